/**
 * The reader's tree and lazy reads against independent truth: the tar scan of the very same layer
 * (the engine's tar parser over the decompressed stream) and a byte-counting source on a
 * ≥ 100 MB blob built by the Go reference (`zstdchunked-ref mkv2`).
 */
import { describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { fromBytes } from '../../src/core/bytes/memory-source.ts';
import { fromPath } from '../../src/cli/node-sources.ts';
import { createContentHasher } from '../../src/core/digest/content-hasher.ts';
import { scanLayer, type LayerScan } from '../../src/core/layer/layer-scan.ts';
import { openZstdChunked, readZstdChunkedFooter, unixSeconds, zstdChunkedFormat } from '../../src/core/formats/zstd-chunked/index.ts';
import { detectLayer } from '../../src/core/formats/registry.ts';
import { openImage } from '../../src/core/image/open-image.ts';
import { analyzeImage } from '../../src/core/analysis/analyze-image.ts';
import { countingSource } from '../helpers/counting-source.ts';
import { ROOT, SHARED } from '../helpers/cli.ts';
import { file, tarOf } from '../helpers/tar-builder.ts';
import { runZstdchunkedRef } from './zstdchunked-ref.ts';

const FIXTURES = resolve(SHARED, 'fixtures/zstd-chunked/blobs');
const BLOBS = ['t1-basic.zc143.zst', 't1-basic.zc143-level3.zst', 't1-basic.v2-constructed.zst', 't3-gnu.zc143.zst', 't3-gnu.zc143-level3.zst', 't3-gnu.v2-constructed.zst'];
const bareLayer = (b: Uint8Array, name: string) =>
  ({ index: 0, digestIsClaim: false, source: fromBytes(b, name), path: name, descriptor: { mediaType: '', digest: '', size: b.length } });
const sha256hex = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** A scan as comparable rows: everything a manifest can state (not uname/gname, not tar offsets). */
function rows(s: LayerScan) {
  const entries = s.entries.map((e) => ({
    key: e.key, kind: e.kind, mode: e.mode, uid: e.uid, gid: e.gid, size: e.size, mtime: e.mtime, link: e.link,
    dev: [e.devmajor, e.devminor], hash: e.hash, xattrs: e.xattrs && [...e.xattrs].map(([k, v]) => [k, sha256hex(v)]),
  }));
  return { entries, markers: s.markers.map((m) => [m.key, m.target, m.opaque]), counts: s.counts, fileBytes: s.fileBytes };
}

describe('tree from the manifest = tree from the tar (the tar scan of the same layer)', () => {
  for (const name of BLOBS) {
    it(name, async () => {
      const blob = new Uint8Array(readFileSync(resolve(FIXTURES, name)));
      const hasher = await createContentHasher('sha256');
      const fromIndex = await zstdChunkedFormat.tree!(bareLayer(blob, name), { hasher });
      const fromData = await scanLayer(bareLayer(blob, name), { hasher: await createContentHasher('sha256') });
      expect(fromIndex?.error).toBeUndefined();
      expect(fromData.error).toBeUndefined();
      expect(rows(fromIndex!)).toEqual(rows(fromData));
      // The stored-blob digest is still checked; the diffID is the tar's to give.
      expect(fromIndex!.digest).toBe(fromData.digest);
      expect(fromIndex!.diffID).toBe('');
    });
  }

  it('reads Go time.Time JSON as the tar does: fraction kept, zone applied, year 1 = absent', () => {
    expect(unixSeconds('2023-11-14T22:13:20Z')).toBe(1700000000);
    expect(unixSeconds('2023-11-14T23:13:20.75+01:00')).toBe(1700000000.75);
    expect(unixSeconds('0001-01-01T00:00:00Z')).toBe(0);
  });

  it('the analysis lists a zstd:chunked layer from its manifest and reads files through it', async () => {
    const name = 't1-basic.v2-constructed.zst';
    const img = await openImage({ kind: 'file', source: await fromPath(resolve(FIXTURES, name)) }, { contentHash: 'sha256' });
    const r = await analyzeImage(img, { contentHash: 'sha256', listFromIndex: true });
    const layer = r.report.layers[0];
    expect(layer.lazyFormat).toBe('zstd-chunked');
    expect(layer.zstdChunked?.variant).toBe('v2-64');
    const busybox = r.trees.merged.find((n) => n.path === 'usr/bin/busybox')!;
    const bytes = await zstdChunkedFormat.readFile!(img, busybox, { offset: 10, length: 100 });
    const whole = await openZstdChunked(img.layers[0].source).then((z) => z.readFile('usr/bin/busybox'));
    expect(Buffer.from(bytes!).equals(Buffer.from(whole.subarray(10, 110)))).toBe(true);
  });
});

describe('interim-56 (containers/storage 1.47–1.49): the tar-split found only through the annotation', () => {
  /** The v2 fixture with its footer replaced by the interim one (spec §2: the v1 40 bytes + 16 zero bytes, frame length 56). */
  async function interim(): Promise<{ blob: Uint8Array; tarSplit: string; input: Buffer }> {
    const v2 = new Uint8Array(readFileSync(resolve(FIXTURES, 't1-basic.v2-constructed.zst')));
    const f = (await readZstdChunkedFooter(fromBytes(v2)))!;
    const out = new Uint8Array(v2.length - 72 + 64);
    out.set(v2.subarray(0, v2.length - 72));
    const dv = new DataView(out.buffer);
    const at = v2.length - 72;
    out.set([0x50, 0x2a, 0x4d, 0x18, 56, 0, 0, 0], at);
    dv.setBigUint64(at + 8, BigInt(f.manifest.offset), true);
    dv.setBigUint64(at + 16, BigInt(f.manifest.length), true);
    dv.setBigUint64(at + 24, BigInt(f.manifest.uncompressedLength), true);
    dv.setBigUint64(at + 32, 1n, true);
    out.set(new TextEncoder().encode('GnUlInUx'), at + 40);
    const t = f.tarSplit!;
    return { blob: out, tarSplit: `${t.offset}:${t.length}:${t.uncompressedLength}`, input: readFileSync(resolve(SHARED, 'fixtures/estargz/inputs/t1-basic.tar')) };
  }

  it('is detected as interim-56; with tarsplit-position its tar-split rebuilds the input tar', async () => {
    const { blob, tarSplit, input } = await interim();
    const annotations = { 'io.github.containers.zstd-chunked.tarsplit-position': tarSplit };
    const d = await detectLayer({ ...bareLayer(blob, 'interim.zst'), descriptor: { mediaType: '', digest: '', size: blob.length, annotations } });
    expect(d.format).toBe('zstd-chunked');
    expect(d.facts).toMatchObject({ variant: 'interim-56', tarSplit: 'present' });
    const r = await openZstdChunked(fromBytes(blob), { annotations });
    const parts: Uint8Array[] = [];
    for await (const p of r.tar()) parts.push(p);
    expect(Buffer.concat(parts).equals(input)).toBe(true);
  });

  it('without the annotation nothing says where the tar-split is (spec §2)', async () => {
    const { blob } = await interim();
    const r = await openZstdChunked(fromBytes(blob));
    expect(r.summary()).toMatchObject({ variant: 'interim-56', tarSplit: 'absent' });
    expect((await r.verify()).problems).toEqual([]);
  });
});

describe('verify', () => {
  it('reports progress and stops on abort', async () => {
    const r = await openZstdChunked(fromBytes(new Uint8Array(readFileSync(resolve(FIXTURES, 't3-gnu.v2-constructed.zst')))));
    const seen: string[] = [];
    const v = await r.verify({ onProgress: (p) => seen.push(p.phase) });
    expect(v.problems).toEqual([]);
    expect(seen).toContain('chunks');
    expect(seen).toContain('diffid'); // no diffID given: the whole stream is hashed for it
    const ac = new AbortController();
    const aborted = r.verify({ signal: ac.signal, onProgress: () => ac.abort() });
    await expect(aborted).rejects.toMatchObject({ code: 'ABORTED' });
  });
});

/** A ≥ 100 MB zstd:chunked layer (random data, so it does not compress) built once by the Go reference. */
function bigLayer(): { path: string; small: Uint8Array } {
  const dir = resolve(ROOT, '.cache/zstdchunked-ref');
  const out = resolve(dir, 'big-v2.zst');
  const smallPath = resolve(dir, 'big-small.txt');
  if (!existsSync(out) || !existsSync(smallPath)) {
    mkdirSync(dir, { recursive: true });
    const small = new TextEncoder().encode('the one small file we read\n'.repeat(40));
    const members = [file('data/small.txt', small)];
    for (let i = 0; i < 104; i++) members.push(file(`data/blob-${i}.bin`, randomBytes(1 << 20)));
    const tarPath = resolve(dir, 'big.tar');
    writeFileSync(tarPath, tarOf(...members));
    const r = runZstdchunkedRef(['mkv2', '-in', tarPath, '-out', out, '-level', '1']);
    if (r.status !== 0) throw new Error(`zstdchunked-ref mkv2 failed: ${r.stderr}`);
    writeFileSync(smallPath, small);
  }
  return { path: out, small: new Uint8Array(readFileSync(smallPath)) };
}

describe('lazy reads fetch only the footer, the manifest and the file\'s frames', () => {
  it('one small file of a ≥ 100 MB layer reads < 1 % of it', async () => {
    const big = bigLayer();
    const src = countingSource(await fromPath(big.path));
    expect(src.size).toBeGreaterThanOrEqual(100e6);
    const r = await openZstdChunked(src);
    expect(r.variant).toBe('v2-64');
    expect(Buffer.from(await r.readFile('data/small.txt')).equals(Buffer.from(big.small))).toBe(true);
    expect(src.bytesRead).toBeLessThan(src.size / 100);
    // A range in the middle of a 1 MiB file: only the chunks it touches.
    const before = src.bytesRead;
    const part = await r.readFile('data/blob-50.bin', { offset: 300_000, length: 10 });
    expect(part.length).toBe(10);
    expect(src.bytesRead - before).toBeLessThan(600_000);
  }, 300_000);

  it('a file of many chunks: the chunk plan is the reference\'s (`cat -ranges`) and the bytes its `cat`', async () => {
    const big = bigLayer();
    const r = await openZstdChunked(await fromPath(big.path));
    const path = 'data/blob-50.bin';
    const ref = JSON.parse(runZstdchunkedRef(['cat', '-in', big.path, '-path', path, '-ranges']).stdout.toString()) as
      { chunks: { chunk_offset: number; chunk_size: number; offset: number; end: number; chunk_digest: string }[] };
    const i = r.index.byKey.get(path)!;
    const mine = r.index.fileChunks.get(i)!;
    expect(mine.length).toBeGreaterThan(2);
    expect(mine.map((c) => ({ chunk_offset: c.chunkOffset, chunk_size: c.chunkSize, offset: c.offset, end: c.end, chunk_digest: c.digest })))
      .toEqual(ref.chunks.map((c) => ({ chunk_offset: c.chunk_offset, chunk_size: c.chunk_size, offset: c.offset, end: c.end, chunk_digest: c.chunk_digest })));
    const bytes = runZstdchunkedRef(['cat', '-in', big.path, '-path', path]).stdout;
    expect(Buffer.from(await r.readFile(path)).equals(bytes)).toBe(true);
  }, 300_000);
});

describe('zeros chunks (spec §3: a run of ≥ 1024 zero bytes)', () => {
  it('are synthesised on read, not fetched; verify fetches and checks them', async () => {
    const data = new Uint8Array(1200 + 5000 + 1200);
    data.fill(0x61, 0, 1200);
    data.fill(0x62, 6200);
    const dir = resolve(ROOT, '.cache/zstdchunked-ref');
    mkdirSync(dir, { recursive: true });
    writeFileSync(resolve(dir, 'holey.tar'), tarOf(file('holey.bin', data)));
    const made = runZstdchunkedRef(['mkv2', '-in', resolve(dir, 'holey.tar'), '-out', resolve(dir, 'holey.zst')]);
    expect(made.status, made.stderr).toBe(0);
    const blob = new Uint8Array(readFileSync(resolve(dir, 'holey.zst')));
    const reads: [number, number][] = [];
    const inner = fromBytes(blob, 'holey.zst');
    const src = { ...inner, read: (off: number, len: number, sig?: AbortSignal) => { reads.push([off, off + len]); return inner.read(off, len, sig); } };
    const r = await openZstdChunked(src);
    const zeros = r.index.chunks.filter((c) => c.zeros);
    expect(zeros.map((c) => [c.chunkOffset, c.chunkSize])).toEqual([[1200, 5000]]);
    expect(Buffer.from(await r.readFile('holey.bin')).equals(Buffer.from(data))).toBe(true);
    expect(reads.some(([a, b]) => a < zeros[0].end && b > zeros[0].offset)).toBe(false);
    const v = await r.verify();
    expect(v).toMatchObject({ zeroChunks: 1, files: 1, tarSplit: 'ok', problems: [] });
    expect(reads.some(([a, b]) => a <= zeros[0].offset && b >= zeros[0].end)).toBe(true);
  });
});
