import { describe, it, expect, beforeAll } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { layerlab, run } from '../helpers/cli.ts';
import { refVerify } from '../zstd-chunked/writer-support.ts';
import { convert, corpusImage, expectJson, expectTree } from './support.ts';

/**
 * Images converted to zstd:chunked and back, on the corpus (../shared/tools/corpus). Independent
 * truth: the corpus' diffIDs and trees, containers/storage's own rules as zstdchunked-ref checks
 * them (chunk and file digests, manifest digest, frame boundaries, headers against entries,
 * tar-split rebuild), native `zstd -d`, and skopeo copying (and digest-checking) every output.
 */
const ANN = 'io.github.containers.zstd-chunked.';
const ZSTD = 'application/vnd.oci.image.layer.v1.tar+zstd';

let out: string;
beforeAll(() => {
  out = mkdtempSync(join(tmpdir(), 'layerlab-zc-'));
});

interface OciDescriptor { mediaType: string; digest: string; size: number; annotations?: Record<string, string> }

/** The layers of the image in an OCI layout folder (single manifest). */
function layoutLayers(dir: string): { manifest: { layers: OciDescriptor[]; config: OciDescriptor }; config: { rootfs: { diff_ids: string[] } } } {
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'));
  const blob = (d: string) => readFileSync(join(dir, 'blobs/sha256', d.slice(7)));
  const manifest = JSON.parse(blob(index.manifests[0].digest).toString());
  return { manifest, config: JSON.parse(blob(manifest.config.digest).toString()) };
}

/**
 * zstdchunked-ref verify passes — except, exactly, for entries whose names are not UTF-8 (the
 * corpus has `srv/lab/names/latin1-caf\xe9.txt`): a JSON manifest cannot hold those bytes (Go
 * writes U+FFFD, as ours does), so the reference, like containers/storage, finds the manifest
 * disagreeing with the tar header there. Our conversion report names such entries; everything
 * else the reference checks (every chunk, digest, frame boundary, other header) must hold.
 */
function expectReferenceAccepts(blob: Uint8Array, annotations: Record<string, string>, tar: Uint8Array, summary: string) {
  const v = refVerify(blob, annotations, tar);
  if (v.status === 0) return;
  const report = JSON.parse(v.report) as { errors: string[] };
  const lossy = Number(/; (\d+) name\(s\) not UTF-8/.exec(summary)?.[1] ?? 0);
  expect(lossy, `${v.report}\n${v.stderr}`).toBeGreaterThan(0);
  // Per such entry: its header disagrees on the name, and its tar-split file finds no entry.
  for (const e of report.errors) expect(e, v.report).toMatch(/"[^"]*\\x[0-9a-f]{2}[^"]*"/);
  expect(report.errors.length).toBeLessThanOrEqual(2 * lossy);
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const unzstd = (path: string) => spawnSync('zstd', ['-dc', path], { maxBuffer: 1 << 30 }).stdout;

describe('convert --to zstd-chunked', () => {
  // The corpus' base image (one 85 MB layer) and the layered one (several layers with
  // whiteouts, hard links, an opaque directory): every distinct layer the corpus has.
  for (const name of ['base-oci', 'layered-oci']) {
    it(`${name}: every layer passes zstdchunked-ref verify; zstd -d and the tar-split rebuild both give the original tar`, () => {
      const o = join(out, `${name}-zc`);
      const r = convert(corpusImage(name), '--to', 'zstd-chunked', '--level', '3', '-o', o);
      expect(r.layout).toBe('oci-layout');
      const want = expectJson(name);
      const { manifest, config } = layoutLayers(o);
      expect(config.rootfs.diff_ids).toEqual(want.layers.map((l: { diffID: string }) => l.diffID));
      manifest.layers.forEach((d, i) => {
        expect(d.mediaType).toBe(ZSTD);
        expect(Object.keys(d.annotations ?? {}).sort()).toEqual([`${ANN}manifest-checksum`, `${ANN}manifest-position`, `${ANN}tarsplit-position`]);
        const path = join(o, 'blobs/sha256', d.digest.slice(7));
        const blob = readFileSync(path);
        const tar = unzstd(path);
        // The input tar byte for byte, trailing padding included (spec §1: unlike the 1.43 writer).
        expect(`sha256:${sha256(tar)}`).toBe(want.layers[i].diffID);
        expectReferenceAccepts(blob, d.annotations!, tar, r.layers[i].summary);
        // The exact original tar rebuilt from the tar-split plus file contents read through the manifest.
        const rebuilt = spawnSync(join(process.cwd(), 'bin/layerlab'), ['zstd-chunked', 'tar', o, '--layer', String(i)], { maxBuffer: 1 << 30 });
        expect(rebuilt.status, rebuilt.stderr.toString()).toBe(0);
        expect(`sha256:${sha256(rebuilt.stdout)}`).toBe(want.layers[i].diffID);
      });
      expect(layerlab('ls', o, '--tsv').stdout).toBe(expectTree(name));
      expect(layerlab('verify', o).status).toBe(0);
      // skopeo copies it (checking every digest) and its copy's layers decompress to our diffIDs.
      const copy = join(out, `${name}-skopeo`);
      run('skopeo', ['copy', '-q', `oci:${o}`, `oci:${copy}`]);
      const c = layoutLayers(copy);
      expect(c.manifest.layers.map((l) => `sha256:${sha256(unzstd(join(copy, 'blobs/sha256', l.digest.slice(7))))}`)).toEqual(config.rootfs.diff_ids);
    });
  }

  it('the image analysis lists zstd:chunked layers from their manifests, the variant named', () => {
    const o = join(out, 'layered-oci-zc');
    const j = JSON.parse(layerlab('inspect', o, '--report').stdout);
    for (const l of j.layers) {
      expect(l.lazyFormat).toBe('zstd-chunked');
      expect(l.zstdChunked.variant).toBe('v2-64');
      expect(l.zstdChunked.manifestDigestCheck).toBe('ok');
    }
  });

  it('zstd:chunked → gzip gives back the original diffIDs and tree; zstd:chunked → zstd:chunked keeps every layer', () => {
    const o = join(out, 'layered-oci-zc');
    const back = join(out, 'layered-back.tar');
    const r = convert(o, '--to', 'gzip', '-o', back);
    expect(r.layers.map((l: { diffId: string }) => l.diffId)).toEqual(expectJson('layered-oci').layers.map((l: { diffID: string }) => l.diffID));
    expect(layerlab('ls', back, '--tsv').stdout).toBe(expectTree('layered-oci'));
    const again = convert(o, '--to', 'zstd-chunked', '-o', join(out, 'layered-again'));
    expect(again.layers.every((l: { action: string }) => l.action === 'kept')).toBe(true);
  });

  it('a multi-platform index converts with --all-platforms; every layer verifies with the reference', () => {
    const o = join(out, 'index-zc');
    const r = convert(corpusImage('layered-index'), '--to', 'zstd-chunked', '--level', '1', '--all-platforms', '-o', o);
    const summaries = new Map<string, string>(r.layers.map((l: { to: { digest: string }; summary: string }) => [l.to.digest, l.summary]));
    const blobs = join(o, 'blobs/sha256');
    let layers = 0;
    for (const f of readdirSync(blobs)) {
      const m = JSON.parse(readFileSync(join(blobs, f)).subarray(0, 1).toString() === '{' ? readFileSync(join(blobs, f), 'utf8') : '{}');
      if (m.mediaType !== 'application/vnd.oci.image.manifest.v1+json') continue;
      for (const d of m.layers as OciDescriptor[]) {
        const path = join(blobs, d.digest.slice(7));
        expectReferenceAccepts(readFileSync(path), d.annotations!, unzstd(path), summaries.get(d.digest) ?? '');
        layers++;
      }
    }
    expect(layers).toBeGreaterThan(2);
  });
});
