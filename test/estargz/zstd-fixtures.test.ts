/**
 * The zstd variant of eStargz (stargz-snapshotter `estargz/zstdchunked`, spec estargz.md §10,
 * zstd-chunked.md §9 shape B) read from the reference's own blobs: ../shared/fixtures/estargz
 * (`*.zstd*.esgz.zst`) and ../shared/fixtures/zstd-chunked (`*.stargz-zstd*`). Truth: the
 * fixtures' stored TOCs, annotations and expected files, the input tars (Python's tarfile), and
 * the native `zstd` tool for the stream.
 */
import { describe, it, expect } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { fromPath } from '../../src/cli/node-sources.ts';
import { openEstargz } from '../../src/core/formats/estargz/reader.ts';
import { detectLayer } from '../../src/core/formats/registry.ts';
import { SHARED, layerlab, run } from '../helpers/cli.ts';
import { detectLazyFormat } from './detect-lazy.ts';
import { zstdDecompress, zstdFooterOf } from './writer-support.ts';

const ESGZ = resolve(SHARED, 'fixtures/estargz');
const ZC = resolve(SHARED, 'fixtures/zstd-chunked');
const sha256 = (b: Uint8Array) => 'sha256:' + createHash('sha256').update(b).digest('hex');
const TOC_KEY = 'containerd.io/snapshot/stargz/toc.digest';

interface Blob { path: string; input: string; toc: string; annotations: Record<string, string>; chunks: number; lossless: boolean; position: string }

const esgzManifest = JSON.parse(readFileSync(resolve(ESGZ, 'manifest.json'), 'utf8')) as {
  outputs: { file: string; input: string; toc_file: string; compression: string; annotations: Record<string, string>; verified_chunks: number; unpack_equals_input: boolean }[];
};
const zcManifest = JSON.parse(readFileSync(resolve(ZC, 'manifest.json'), 'utf8')) as {
  outputs: { file: string; input: string; toc: string; annotations: Record<string, string>; chunks_verified: number; decompresses_to_input: boolean }[];
};
const blobs: Blob[] = [
  ...esgzManifest.outputs.filter((o) => o.compression === 'zstd').map((o) => ({
    path: resolve(ESGZ, o.file), input: o.input, toc: resolve(ESGZ, o.toc_file), annotations: o.annotations, chunks: o.verified_chunks,
    lossless: o.unpack_equals_input, position: o.annotations['io.containers.zstd-chunked.manifest-position'],
  })),
  ...zcManifest.outputs.filter((o) => o.file?.includes('stargz-zstd') && existsSync(resolve(ZC, o.file))).map((o) => ({
    path: resolve(ZC, o.file), input: o.input, toc: resolve(ZC, o.toc), annotations: o.annotations, chunks: o.chunks_verified,
    lossless: o.decompresses_to_input, position: o.annotations['io.containers.zstd-chunked.manifest-position'],
  })),
];

/** name → sha256 of every regular file, the last copy of a name winning (zstd-chunked expected/*.files.json). */
function expectedFiles(input: string): Map<string, string> {
  const list = JSON.parse(readFileSync(resolve(ZC, 'expected', `${input}.files.json`), 'utf8')) as { name: string; type: string; sha256?: string }[];
  return new Map(list.filter((e) => e.type === 'reg').map((e) => [e.name, e.sha256!]));
}

describe('zstd eStargz fixtures of the reference', () => {
  it('has the blobs', () => expect(blobs.length).toBe(7));

  for (const b of blobs) {
    describe(b.path.slice(SHARED.length + 1), () => {
      it('is detected as eStargz (zstd) from its bytes; TOC digest and position as annotated', async () => {
        const src = await fromPath(b.path);
        const d = await detectLazyFormat(src, { expectedTocDigest: b.annotations[TOC_KEY] });
        const [offset] = b.position.split(':').map(Number);
        expect(d).toMatchObject({ format: 'estargz', footer: 'estargz-zstd', tocDigest: b.annotations[TOC_KEY], tocDigestCheck: 'ok', tocOffset: offset - 8, chunks: b.chunks });
        const layer = await detectLayer({ index: 0, digestIsClaim: false, source: src, path: src.name, descriptor: { mediaType: '', digest: '', size: src.size } });
        expect(layer.compression).toBe('zstd');
        expect(layer.tarEnd).toBe(offset - 8);
        // What a kept layer re-states: the writer's own annotations (all but the size, which needs
        // the whole stream), recomputed from the bytes.
        const { ['io.containers.estargz.uncompressed-size']: _size, ...located } = b.annotations;
        expect(layer.keepAnnotations).toEqual(located);
      });

      it('TOC byte-exact, every chunk verifies, every file reads lazily', async () => {
        const r = await openEstargz(await fromPath(b.path), { tocDigest: b.annotations[TOC_KEY] });
        expect(Buffer.from(r.tocJson).equals(readFileSync(b.toc))).toBe(true);
        expect(sha256(r.tocJson)).toBe(b.annotations[TOC_KEY]);
        expect(r.footer).toMatchObject({ compression: 'zstd', size: 48 });
        expect(`${r.footer.toc!.offset}:${r.footer.toc!.length}:${r.footer.toc!.uncompressedLength}:1`).toBe(b.position);
        expect((await r.verifyChunks()).chunks).toBe(b.chunks);
        const files = expectedFiles(b.input);
        expect(files.size).toBeGreaterThan(5);
        for (const [name, digest] of files) expect(sha256(await r.readFile(name)), name).toBe(digest);
        expect(r.landmark).toBe(b.lossless ? 'none' : 'no-prefetch');
      });

      it(b.lossless ? 'lossless: the stream before the TOC is the input tar' : 'Build: the stream before the TOC is the whole stream', async () => {
        const blob = readFileSync(b.path);
        const z = zstdFooterOf(blob);
        const data = zstdDecompress(blob.subarray(0, z.offset - 8));
        expect(data.equals(zstdDecompress(blob))).toBe(true); // the TOC and footer are skippable frames
        if (b.lossless) expect(data.equals(readFileSync(resolve(ESGZ, 'inputs', `${b.input}.tar`)))).toBe(true);
      });
    });
  }

  it('containers/storage zstd:chunked blobs (same 40-byte footer, shape A) and v2 ones are not eStargz', async () => {
    for (const o of zcManifest.outputs.filter((x) => x.file && !x.file.includes('stargz') && existsSync(resolve(ZC, x.file)))) {
      const src = await fromPath(resolve(ZC, o.file));
      expect(await detectLazyFormat(src), o.file).toBeUndefined();
      await expect(openEstargz(src), o.file).rejects.toMatchObject({ code: 'UNKNOWN_FORMAT' });
    }
  });

  it('layerlab estargz toc|verify|cat read a zstd eStargz blob', () => {
    const b = blobs.find((x) => x.path.endsWith('t1-basic.zstd.esgz.zst'))!;
    const toc = layerlab('estargz', 'toc', b.path);
    expect(toc.status).toBe(0);
    expect(toc.stdout).toBe(readFileSync(b.toc, 'utf8'));
    const v = layerlab('estargz', 'verify', b.path, '--toc-digest', b.annotations[TOC_KEY]);
    expect(v.status, v.stderr).toBe(0);
    expect(v.stdout).toMatch(new RegExp(`OK: ${b.chunks} chunk\\(s\\) verified`));
    const bad = layerlab('estargz', 'verify', b.path, '--toc-digest', 'sha256:' + 'a'.repeat(64));
    expect(bad.status).toBe(1);
    const expected = run('tar', ['-xOf', resolve(ESGZ, 'inputs/t1-basic.tar'), 'usr/bin/busybox']);
    expect(layerlab('estargz', 'cat', b.path, 'usr/bin/ash').stdout).toBe(expected); // a hard link to busybox
    expect(layerlab('inspect', b.path).stdout).toMatch(/eStargz \(zstd\): TOC sha256:b13425a82f25 at 26001, 23 entries, 8 chunks, no-prefetch landmark/);
  });
});
