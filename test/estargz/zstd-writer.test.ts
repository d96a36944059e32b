/**
 * The eStargz writer's zstd variant (ZSTD_MEMBERS, spec estargz.md §10) against independent
 * truth: the Go reference (stargz-snapshotter 0.12.0 `estargz/zstdchunked` through estargz-ref
 * `build --zstd`) run now on the same inputs, its `verify` and `extract` on our blobs, the native
 * zstd tool, and the fixtures' TOCs.
 */
import { describe, it, expect, afterAll } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { resolve } from 'node:path';
import { ZSTD_MEMBERS, type EstargzWriteOptions } from '../../src/core/formats/estargz/writer.ts';
import { openEstargz } from '../../src/core/formats/estargz/reader.ts';
import { nodeCompressionPool } from '../../src/cli/node-compression-pool.ts';
import { fromBytes } from '../../src/core/bytes/memory-source.ts';
import { createLayerWriter } from '../../src/core/formats/registry.ts';
import { SHARED } from '../helpers/cli.ts';
import { refFields, runRef } from './estargz-ref.ts';
import { expectZstdAnnotationsTrue as expectAnnotationsTrue, offsetsZeroed, tocJsonOf, withoutOffsets, writeToMemory, zstdDecompress } from './writer-support.ts';

const FIXTURES = resolve(SHARED, 'fixtures/estargz');
const TMP = mkdtempSync(resolve(tmpdir(), 'layerlab-esgz-zstd-'));
const input = (name: string) => readFileSync(resolve(FIXTURES, 'inputs', `${name}.tar`));
const sha256 = (b: Uint8Array) => 'sha256:' + createHash('sha256').update(b).digest('hex');
const TOC_KEY = 'containerd.io/snapshot/stargz/toc.digest';
const SIZE_KEY = 'io.containers.estargz.uncompressed-size';

const pool = nodeCompressionPool(2);
afterAll(() => pool.close());

/** `annotation KEY: value` lines of `estargz-ref build --zstd`. */
function refAnnotations(out: Buffer): Record<string, string> {
  const a: Record<string, string> = {};
  for (const [k, v] of Object.entries(refFields(out))) if (k.startsWith('annotation ')) a[k.slice('annotation '.length)] = v;
  return a;
}

describe('zstd eStargz writer: TOC equal to the reference fixtures', () => {
  const manifest = JSON.parse(readFileSync(resolve(FIXTURES, 'manifest.json'), 'utf8')) as { outputs: { input: string; file: string; toc_file: string; compression: string; flags: string[] }[] };
  for (const o of manifest.outputs.filter((x) => x.compression === 'zstd')) {
    it(o.file, async () => {
      const lossless = o.flags.includes('--lossless');
      const { blob, r } = await writeToMemory(input(o.input), { mode: lossless ? 'lossless' : 'build', compressor: ZSTD_MEMBERS, level: 3 });
      const ours = tocJsonOf(blob);
      const ref = readFileSync(resolve(FIXTURES, o.toc_file));
      expect(withoutOffsets(ours)).toEqual(withoutOffsets(ref));
      expect(offsetsZeroed(ours)).toBe(offsetsZeroed(ref));
      expect(r.tocDigest).toBe(sha256(ours));
      expect(r.compression).toBe('zstd');
      expect(r.compressedSize).toBe(blob.length);
    });
  }
});

describe('zstd eStargz writer: against the Go reference run now', () => {
  const variants: [string, EstargzWriteOptions, string[]][] = [
    ['build L3', { mode: 'build', level: 3 }, ['--level', '3']],
    ['lossless L3', { mode: 'lossless', level: 3 }, ['--lossless', '--level', '3']],
    ['build L9 chunk 3000', { mode: 'build', level: 9, chunkSize: 3000 }, ['--level', '9', '--chunk-size', '3000']],
    ['lossless L1 chunk 1 MiB', { mode: 'lossless', level: 1, chunkSize: 1 << 20 }, ['--lossless', '--level', '1', '--chunk-size', String(1 << 20)]],
  ];
  const cases: [string, string, EstargzWriteOptions, string[]][] = [];
  for (const name of ['t1-basic', 't2-paxbig', 't3-gnu']) for (const [label, o, f] of variants) cases.push([name, label, o, f]);
  cases.push(['t1-basic', 'build prioritized', { mode: 'build', prioritizedFiles: ['usr/bin/sh', 'usr/bin/ash', 'etc/one'] }, ['--level', '3', '--prioritized', 'usr/bin/sh,usr/bin/ash,etc/one']]);
  cases.push(['t3-gnu', 'build prioritized', { mode: 'build', prioritizedFiles: ['./lib/', 'bin/sh'], allowMissingPrioritized: true }, ['--level', '3', '--prioritized', './lib/']]);

  for (const [name, label, opts, flags] of cases) {
    it(`${name}: ${label}`, async () => {
      const tar = input(name);
      const tarPath = resolve(FIXTURES, 'inputs', `${name}.tar`);
      const refBlobPath = resolve(TMP, `${name}-${label.replace(/\W+/g, '_')}.ref.esgz.zst`);
      const built = runRef(['build', tarPath, refBlobPath, '--workers', '1', '--zstd', ...flags]);
      expect(built.status, built.stderr).toBe(0);
      const refBlob = readFileSync(refBlobPath);
      const refToc = tocJsonOf(refBlob);
      expect(sha256(refToc)).toBe(refFields(built.stdout).toc_digest);

      const { blob, r } = await writeToMemory(tar, { ...opts, compressor: ZSTD_MEMBERS, pool });
      const ours = tocJsonOf(blob);
      // Every TOC field but the compressed offsets, and the same serialization byte for byte.
      expect(withoutOffsets(ours)).toEqual(withoutOffsets(refToc));
      expect(offsetsZeroed(ours)).toBe(offsetsZeroed(refToc));

      // Annotations: the same keys as the reference's; values true of our own bytes.
      const refVerify = runRef(['verify', refBlobPath, sha256(refToc)]);
      const refA = { ...refAnnotations(built.stdout), [TOC_KEY]: sha256(refToc), [SIZE_KEY]: refFields(refVerify.stdout).uncompressed_size };
      expectAnnotationsTrue(refBlob, refA);
      expect(Object.keys(r.annotations).sort()).toEqual(Object.keys(refA).sort());
      expectAnnotationsTrue(blob, r.annotations);
      expect(r.annotations[TOC_KEY]).toBe(r.tocDigest);
      if (opts.mode === 'lossless') expect(r.annotations[SIZE_KEY]).toBe(refA[SIZE_KEY]);

      // The reference verifies our blob: TOC digest, every chunk from its own frame, its random-access reader.
      const path = resolve(TMP, `${name}-${label.replace(/\W+/g, '_')}.ours.esgz.zst`);
      writeFileSync(path, blob);
      const v = runRef(['verify', path, r.tocDigest]);
      expect(v.status, v.stderr + v.stdout.toString()).toBe(0);
      expect(v.stdout.toString().trim().endsWith('OK')).toBe(true);
      const vf = refFields(v.stdout);
      expect(vf.diff_id).toBe(r.diffId);
      expect(Number(vf.uncompressed_size)).toBe(r.uncompressedSize);
      expect(Number(vf.verified_chunks)).toBe(r.chunks);
      // The diffID stream is the tar alone: the TOC is in a skippable frame (spec §10).
      const all = zstdDecompress(blob);
      expect(sha256(all)).toBe(r.diffId);
      if (opts.mode === 'lossless') {
        expect(all.equals(tar)).toBe(true);
        expect(runRef(['extract', path]).stdout.equals(tar)).toBe(true);
      }

      // Our reader on our blob.
      const reader = await openEstargz(fromBytes(blob, path), { tocDigest: r.tocDigest });
      expect(reader.footer.kind).toBe('estargz-zstd');
      expect((await reader.verifyChunks()).chunks).toBe(r.chunks);
    });
  }
});

// Inline vs a 2-thread pool, same bytes: writer-pool-and-bad.test.ts (both compressions).
describe('zstd eStargz writer: target options', () => {
  it('--compression picks the members; levels are checked per compression in one place', async () => {
    const w = await createLayerWriter({ target: 'estargz', compression: 'zstd' });
    expect(w.target).toBe('estargz');
    await expect(createLayerWriter({ target: 'estargz', compression: 'gzip', level: 12 })).rejects.toMatchObject({ code: 'UNSUPPORTED', message: expect.stringMatching(/gzip level 12 .* 0 to 9/) });
    await createLayerWriter({ target: 'estargz', compression: 'zstd', level: 19 });
    await expect(createLayerWriter({ target: 'estargz', compression: 'zstd', level: 23 })).rejects.toMatchObject({ code: 'UNSUPPORTED' });
    await expect(createLayerWriter({ target: 'estargz', compression: 'brotli' })).rejects.toMatchObject({ code: 'UNSUPPORTED' });
    await expect(writeToMemory(input('t1-basic'), { mode: 'build', compressor: ZSTD_MEMBERS, level: 0 })).rejects.toMatchObject({ code: 'UNSUPPORTED', message: expect.stringMatching(/zstd level 0 .* 1 to 22 \(default 3\)/) });
  });
});
