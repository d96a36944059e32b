import { describe, it, expect, beforeAll } from 'vitest';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync, openSync, writeSync, closeSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { layerlab, run } from '../helpers/cli.ts';
import { openImage } from '../../src/core/image/open-image.ts';
import { convertImage, finishOutput } from '../../src/core/convert/convert-image.ts';
import { layoutSink } from '../../src/core/convert/layout-sink.ts';
import { memoryDirectory } from '../../src/core/bytes/byte-sink.ts';
import { zstdLayerWriter } from '../../src/core/formats/plain/writers.ts';
import { memorySpool } from '../../src/core/store/blob-spool.ts';
import { directoryFromPath } from '../../src/cli/node-sources.ts';
import { LayerlabError } from '../../src/core/errors.ts';
import { analyzeImage } from '../../src/core/analysis/analyze-image.ts';
import { setSha256Factory } from '../../src/core/digest/sha256.ts';
import type { Digest } from '../../src/core/digest/digest.ts';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { convert, corpusImage, expectJson, expectTree } from './support.ts';

/**
 * The conversion spine with the plain encodings (tar, tar+gzip, tar+zstd), on real images of the
 * corpus (../shared/tools/corpus). Independent truth: the corpus' own expect-tree.tsv and diffIDs,
 * skopeo reading (and digest-checking) every output, and the zstd / gzip CLIs.
 */
const img = corpusImage;

let out: string;
beforeAll(() => {
  out = mkdtempSync(join(tmpdir(), 'layerlab-convert-'));
});

function inspect(path: string, ...more: string[]) {
  const r = layerlab('inspect', path, '--json', ...more);
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

/** skopeo reads the output and copies it, checking every blob against its digest. */
function skopeoAccepts(transport: string, path: string) {
  const dest = join(out, `skopeo-${Math.random().toString(36).slice(2)}`);
  run('skopeo', ['copy', '-q', `${transport}:${path}`, `dir:${dest}`]);
  return JSON.parse(readFileSync(join(dest, 'manifest.json'), 'utf8'));
}

describe('convert to plain encodings', () => {
  it('OCI gzip → zstd OCI archive: same tree, same diffIDs, zstd media types; skopeo reads it', () => {
    const o = join(out, 'layered-zstd.tar');
    const r = convert(img('layered-oci'), '--to', 'zstd', '-o', o);
    expect(r.layout).toBe('oci-archive');
    expect(r.layers.every((l: { action: string }) => l.action === 'converted')).toBe(true);
    const want = expectJson('layered-oci');
    const got = inspect(o);
    expect(got.layers.map((l: { diffID: string }) => l.diffID)).toEqual(want.layers.map((l: { diffID: string }) => l.diffID));
    expect(got.layers.every((l: { mediaType: string; format: string }) => l.mediaType === 'application/vnd.oci.image.layer.v1.tar+zstd' && l.format === 'zstd')).toBe(true);
    expect(layerlab('ls', o, '--tsv').stdout).toBe(expectTree('layered-oci'));
    const m = skopeoAccepts('oci-archive', o);
    expect(m.layers.map((l: { digest: string }) => l.digest)).toEqual(got.layers.map((l: { digest: string }) => l.digest));
    // Only the layer encodings changed: the config (diffIDs, history) is kept byte for byte.
    const srcManifest = JSON.parse(run('skopeo', ['inspect', '--raw', `oci:${img('layered-oci')}`]));
    expect(m.config.digest).toBe(srcManifest.config.digest);
  });

  it('docker-archive (uncompressed) → gzip docker-archive keeps Docker media types; skopeo and our reader agree', () => {
    const o = join(out, 'layered-gzip-docker.tar');
    convert(img('layered-docker-archive'), '--to', 'gzip', '--docker-archive', '-o', o);
    const manifest = JSON.parse(run('tar', ['-xOf', o, 'manifest.json']));
    expect(manifest[0].Layers).toHaveLength(expectJson('layered-docker-archive').layers.length);
    const m = skopeoAccepts('docker-archive', o);
    expect(m.mediaType).toBe('application/vnd.docker.distribution.manifest.v2+json');
    expect(m.layers.every((l: { mediaType: string }) => l.mediaType === 'application/vnd.docker.image.rootfs.diff.tar.gzip')).toBe(true);
    expect(layerlab('ls', o, '--tsv').stdout).toBe(expectTree('layered-docker-archive'));
    expect(layerlab('verify', o).status).toBe(0);
  });

  it('a Docker image converted to zstd gets OCI media types, and says so', () => {
    const o = join(out, 'docker-zstd');
    const r = convert(img('layered-docker-archive'), '--to', 'zstd', '-o', o);
    expect(r.manifests[0].notes.join(' ')).toMatch(/OCI media types/);
    const m = skopeoAccepts('oci', o);
    expect(m.mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
    expect(layerlab('ls', o, '--tsv').stdout).toBe(expectTree('layered-docker-archive'));
  });

  it('an OCI image written to a zstd docker-archive says that Docker\'s schema has no zstd layer type; skopeo reads it with OCI media types', () => {
    const o = join(out, 'oci-zstd-docker.tar');
    const r = convert(img('layered-oci'), '--to', 'zstd', '--docker-archive', '-o', o);
    expect(r.layout).toBe('docker-archive');
    expect(r.manifests[0].notes.join(' ')).toMatch(/Docker schema 2 has no zstd layer type/);
    const m = skopeoAccepts('docker-archive', o);
    expect(m.layers.length).toBe(expectJson('layered-oci').layers.length);
    expect(layerlab('ls', o, '--tsv').stdout).toBe(expectTree('layered-oci'));
    expect(layerlab('verify', o).status).toBe(0);
  });

  it('zstd OCI layout → uncompressed OCI layout folder: blobs are the tars themselves', () => {
    const o = join(out, 'layered-none');
    convert(img('layered-oci-zstd'), '--to', 'uncompressed', '-o', o);
    expect(readdirSync(o).sort()).toEqual(['blobs', 'index.json', 'oci-layout']);
    const got = inspect(o);
    const want = expectJson('layered-oci-zstd');
    expect(got.layers.map((l: { diffID: string }) => l.diffID)).toEqual(want.layers.map((l: { diffID: string }) => l.diffID));
    // An uncompressed layer's digest is its diffID.
    expect(got.layers.map((l: { digest: string }) => l.digest)).toEqual(want.layers.map((l: { diffID: string }) => l.diffID));
    skopeoAccepts('oci', o);
  });

  it('gzip → gzip keeps every layer as it is (same digests)', () => {
    const o = join(out, 'kept.tar');
    const r = convert(img('layered-oci'), '--to', 'gzip', '-o', o);
    expect(r.layers.map((l: { action: string }) => l.action)).toEqual(r.layers.map(() => 'kept'));
    expect(inspect(o).layers.map((l: { digest: string }) => l.digest)).toEqual(expectJson('layered-oci').layers.map((l: { digest: string }) => l.digest));
  });

  it('--all-platforms converts every manifest of a nested index into one output', () => {
    const o = join(out, 'index-zstd.tar');
    const r = convert(img('layered-index'), '--to', 'zstd', '--all-platforms', '-o', o);
    expect(r.manifests.map((m: { platform: { architecture: string } }) => m.platform.architecture).sort()).toEqual(['amd64', 'arm64']);
    const index = JSON.parse(run('tar', ['-xOf', o, 'index.json']));
    expect(index.manifests).toHaveLength(2);
    for (const arch of ['amd64', 'arm64']) {
      const got = inspect(o, '--platform', `linux/${arch}`);
      const src = inspect(img('layered-index'), '--platform', `linux/${arch}`);
      expect(got.layers.map((l: { diffID: string }) => l.diffID)).toEqual(src.layers.map((l: { diffID: string }) => l.diffID));
    }
  });

  it('a lone gzip layer converts to a lone zstd blob holding the same tar', () => {
    const o = join(out, 'layer.tar.zst');
    const r = convert(img('layer-gzip'), '--to', 'zstd', '-o', o);
    expect(r.layout).toBe('layer');
    expect(run('sh', ['-c', `zstd -dc '${o}' | sha256sum`]).split(' ')[0]).toBe(run('sh', ['-c', `gzip -dc '${img('layer-gzip')}' | sha256sum`]).split(' ')[0]);
    expect(r.layers[0].diffId).toBe(`sha256:${run('sh', ['-c', `zstd -dc '${o}' | sha256sum`]).split(' ')[0]}`);
  });

  it('a zstd layer of several frames with skippable frames between them (RFC 8878 §3.1.2) reads and converts as the whole tar', () => {
    // The 85 MB base layer of the corpus, cut at odd offsets into three frames made by the zstd
    // CLI at different levels, one without a content size, with skippable frames before, between
    // and after them: what pigz-like tools, zstd:chunked and eStargz-zstd writers produce.
    const dir = join(out, 'multiframe');
    mkdirSync(dir, { recursive: true });
    const blobs = join(img('base-oci-uncompressed'), 'blobs/sha256');
    const tarPath = join(blobs, readdirSync(blobs).sort((a, b) => statSync(join(blobs, b)).size - statSync(join(blobs, a)).size)[0]);
    const tar = readFileSync(tarPath);
    const cuts = [0, 1_000_003, 40_000_001, tar.length];
    const skippable = (n: number, fill: number) => Buffer.concat([Buffer.from([0x50 + (n & 15), 0x2a, 0x4d, 0x18]), Buffer.from(new Uint32Array([n * 7]).buffer), Buffer.alloc(n * 7, fill)]);
    const zstd = (args: string[], input: Uint8Array) => spawnSync('sh', ['-c', `cat | zstd -q -c ${args.join(' ')}`], { input, maxBuffer: 1 << 30 }).stdout;
    const frames = [zstd(['-19'], tar.subarray(cuts[0], cuts[1])), zstd(['-3', '--no-content-size'], tar.subarray(cuts[1], cuts[2])), zstd(['-1'], tar.subarray(cuts[2], cuts[3]))];
    const blob = join(dir, 'layer.tar.zst');
    writeFileSync(blob, Buffer.concat([frames[0], skippable(3, 0xaa), frames[1], skippable(1, 0), frames[2], skippable(5, 0x55)]));
    expect(run('sh', ['-c', `zstd -dc '${blob}' | sha256sum`]).split(' ')[0]).toBe(createHash('sha256').update(tar).digest('hex'));
    const diffId = `sha256:${createHash('sha256').update(tar).digest('hex')}`;
    const got = inspect(blob);
    expect(got.layers[0].diffID).toBe(diffId);
    expect(got.layers[0].format).toBe('zstd');
    expect(layerlab('ls', blob, '--tsv').stdout).toBe(layerlab('ls', tarPath, '--tsv').stdout);
    const back = join(dir, 'layer.tar.gz');
    const r = convert(blob, '--to', 'gzip', '-o', back);
    expect(r.layers[0].diffId).toBe(diffId);
    expect(run('sh', ['-c', `gzip -dc '${back}' | sha256sum`]).split(' ')[0]).toBe(diffId.slice(7));
  });
});

describe('conversion refuses damaged input and leaves nothing behind', () => {
  it('a layer whose bytes do not match its digest stops the conversion; no output file remains', () => {
    const src = join(out, 'damaged');
    cpSync(img('layered-oci'), src, { recursive: true });
    const manifest = inspect(src);
    const small = manifest.layers.reduce((a: { size: number }, b: { size: number }) => (a.size < b.size ? a : b));
    const blob = join(src, 'blobs/sha256', small.digest.slice(7));
    // Flip a byte in a stored (uncompressed-length-preserving) place: the last byte of the gzip trailer's ISIZE is too obvious; use the middle.
    const fd = openSync(blob, 'r+');
    const at = Math.floor(statSync(blob).size / 2);
    const b = Buffer.alloc(1);
    b[0] = readFileSync(blob)[at] ^ 0x01;
    writeSync(fd, b, 0, 1, at);
    closeSync(fd);
    const o = join(out, 'damaged-out.tar');
    const r = layerlab('convert', src, '--to', 'zstd', '-o', o);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`layer ${manifest.layers.indexOf(small)}`));
    expect(r.stderr).toMatch(/mismatch|corrupt|CRC|invalid/i);
    expect(existsSync(o)).toBe(false);
    expect(readdirSync(out).filter((f) => f.includes('partial'))).toEqual([]);
  });

  it('an output folder that is not empty is refused', () => {
    const o = join(out, 'not-empty');
    mkdirSync(o);
    writeFileSync(join(o, 'x'), 'x');
    const r = layerlab('convert', img('layer-gzip'), '--to', 'zstd', '-o', join(o, 'sub.tar'));
    expect(r.status).toBe(0);
    const r2 = layerlab('convert', img('layered-oci'), '--to', 'zstd', '-o', o);
    expect(r2.status).toBe(1);
    expect(r2.stderr).toMatch(/not empty/);
  });

  it('cancel mid-conversion: ABORTED, and the layout sink removes every file it wrote', async () => {
    const image = await openImage({ kind: 'directory', dir: directoryFromPath(img('layered-oci')) });
    const dir = memoryDirectory();
    const sink = layoutSink(dir);
    const ac = new AbortController();
    let err: unknown;
    try {
      await convertImage(image, sink, {
        writer: zstdLayerWriter(), spool: memorySpool, signal: ac.signal,
        onProgress: (p) => { if (p.layer === 1) ac.abort(); },
      });
      await finishOutput(sink, []);
    } catch (e) {
      err = e;
      await sink.abort();
    }
    expect(err).toBeInstanceOf(LayerlabError);
    expect((err as LayerlabError).code).toBe('ABORTED');
    expect([...dir.files.keys()]).toEqual([]);
  });
});

describe('diffIDs the analysis verified (ConvertImageOptions.verifiedDiffIds, as the app passes them)', () => {
  it('are not hashed a second time; the output is byte for byte the same; a pair that does not match the config is ignored', async () => {
    let hashed = 0;
    setSha256Factory(() => {
      const h = createHash('sha256');
      return { update(b) { hashed += b.length; h.update(b); }, digest: () => `sha256:${h.digest('hex')}` as Digest };
    });
    try {
      const path = img('layered-oci');
      const { report } = await analyzeImage(await openImage({ kind: 'directory', dir: directoryFromPath(path) }));
      const verified = new Map(report.layers.filter((l) => l.digestCheck === 'ok' && l.diffIDCheck === 'ok').map((l) => [l.digest, l.diffID]));
      expect(verified.size).toBe(report.layers.length);
      const tarBytes = report.layers.reduce((n, l) => n + l.uncompressedSize, 0);
      const convertWith = async (v?: ReadonlyMap<string, string>) => {
        const image = await openImage({ kind: 'directory', dir: directoryFromPath(path) });
        const dir = memoryDirectory();
        const sink = layoutSink(dir);
        hashed = 0;
        const m = await convertImage(image, sink, { writer: zstdLayerWriter(3), spool: memorySpool, verifiedDiffIds: v });
        const during = hashed;
        await finishOutput(sink, [m]);
        return { hashed: during, files: [...dir.files].map(([k, b]) => `${k} ${createHash('sha256').update(b).digest('hex')}`).sort() };
      };
      const plain = await convertWith();
      const skipped = await convertWith(verified);
      expect(skipped.files).toEqual(plain.files);
      expect(plain.hashed - skipped.hashed).toBe(tarBytes);
      const wrong = new Map([...verified].map(([d]) => [d, `sha256:${'0'.repeat(64)}`]));
      expect((await convertWith(wrong)).hashed).toBe(plain.hashed);
    } finally {
      setSha256Factory(undefined);
    }
  });
});
