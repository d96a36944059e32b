/**
 * The eStargz writer's compression pools (inline vs Node worker threads: the same bytes), its
 * errors on bad input, v0.13 minChunkSize, and the gzip member header Go writes.
 */
import { describe, it, expect, afterAll } from 'vitest';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { GZIP_MEMBERS, ZSTD_MEMBERS, writeEstargz } from '../../src/core/formats/estargz/writer.ts';
import { inlineCompressionPool } from '../../src/core/compress/compression-pool.ts';
import { nodeCompressionPool } from '../../src/cli/node-compression-pool.ts';
import { openEstargz } from '../../src/core/formats/estargz/reader.ts';
import { fromBytes } from '../../src/core/bytes/memory-source.ts';
import { LayerlabError } from '../../src/core/errors.ts';
import { SHARED } from '../helpers/cli.ts';
import { dir, file, pax, tarOf } from '../helpers/tar-builder.ts';
import { chunked, tocJsonOf, writeToMemory } from './writer-support.ts';

const FIXTURES = resolve(SHARED, 'fixtures/estargz');
const input = (name: string) => readFileSync(resolve(FIXTURES, 'inputs', `${name}.tar`));
const sha256 = (b: Uint8Array) => 'sha256:' + createHash('sha256').update(b).digest('hex');

const pool = nodeCompressionPool(2);
afterAll(() => pool.close());

/** Member starts the TOC names (data chunks), the TOC member and the footer. */
function memberStarts(blob: Buffer): number[] {
  const toc = JSON.parse(tocJsonOf(blob).toString()) as { entries: { offset?: number }[] };
  const tocOffset = parseInt(blob.subarray(blob.length - 51 + 16, blob.length - 51 + 32).toString('latin1'), 16);
  const set = new Set<number>([0, tocOffset]);
  for (const e of toc.entries) if (e.offset) set.add(e.offset);
  return [...set].sort((x, y) => x - y);
}

describe('compression pools', () => {
  for (const [compressor, level] of [[GZIP_MEMBERS, 6], [GZIP_MEMBERS, 9], [ZSTD_MEMBERS, 5]] as const) {
    it(`inline and a 2-thread Node pool give the same blob (${compressor.compression} level ${level}, members big and small)`, async () => {
      const tar = input('t2-paxbig');
      const opts = { mode: 'lossless' as const, compressor, level, chunkSize: 256 << 10 };
      const a = await writeToMemory(tar, { ...opts, pool: inlineCompressionPool() });
      const b = await writeToMemory(tar, { ...opts, pool });
      expect(b.blob.equals(a.blob)).toBe(true);
      expect(b.r).toEqual(a.r);
      expect(a.r.chunks).toBeGreaterThan(20);
    });
  }

  it('every member has the header Go writes: MTIME 0, XFL by level, OS 255', async () => {
    for (const [level, xfl] of [[9, 2], [6, 0], [1, 4]] as const) {
      const { blob } = await writeToMemory(input('t1-basic'), { mode: 'build', level, pool });
      const starts = memberStarts(blob);
      expect(starts.length).toBeGreaterThan(5);
      for (const s of starts) {
        expect([...blob.subarray(s, s + 10)], `member at ${s}, level ${level}`).toEqual([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, xfl, 0xff]);
      }
      // The reference's own first member at level 9 has the same header bytes.
      if (level === 9) expect(readFileSync(resolve(FIXTURES, 'outputs/t1-basic.default.esgz')).subarray(0, 10).equals(blob.subarray(0, 10))).toBe(true);
    }
  });

  it('zstd frames through the pool decode to their input', async () => {
    const data = input('t1-basic');
    const a = (await pool.run(Uint8Array.from(data), { kind: 'zstd-frame', level: 3 })).data; // the pool may take the buffer
    const b = (await inlineCompressionPool().run(Uint8Array.from(data), { kind: 'zstd-frame', level: 3 })).data;
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    const { zstdDecompressSync } = await import('node:zlib') as unknown as { zstdDecompressSync?: (b: Uint8Array) => Buffer };
    if (zstdDecompressSync) expect(zstdDecompressSync(a).equals(data)).toBe(true);
    expect([...a.subarray(0, 4)]).toEqual([0x28, 0xb5, 0x2f, 0xfd]);
  });
});

describe('bad input', () => {
  const expectError = async (tar: Uint8Array, o: Parameters<typeof writeEstargz>[2], code: string, offset?: number) => {
    let err: unknown;
    try {
      await writeEstargz(chunked(tar, 700), () => {}, { file: 'layer.tar', layer: 3, ...o });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LayerlabError);
    const le = err as LayerlabError;
    expect(le.code, le.describe()).toBe(code);
    expect(le.context.file).toBe('layer.tar');
    expect(le.context.layer).toBe(3);
    if (offset !== undefined) expect(le.context.offset).toBe(offset);
    return le;
  };

  it('lossless: a tar that already holds stargz.index.json', async () => {
    const tar = tarOf(dir('etc/'), file('etc/a', 'hello'), file('./stargz.index.json', '{}'), file('z', 'x'));
    const e = await expectError(tar, { mode: 'lossless' }, 'BAD_LAZY_FORMAT', 1536);
    expect(e.message).toContain('stargz.index.json');
    expect(e.message).toContain('1536');
    expect(e.context.entry).toBe('./stargz.index.json');
    expect(e.describe()).toContain('layer 3');
  });

  it('build: an old TOC entry is dropped, as Writer.AppendTar does', async () => {
    const tar = tarOf(file('a', 'hello'), file('stargz.index.json', '{}'), file('b', 'x'));
    const { blob } = await writeToMemory(tar, { mode: 'build' });
    const names = JSON.parse(tocJsonOf(blob).toString()).entries.map((e: { name: string }) => e.name);
    expect(names).toEqual(['.no.prefetch.landmark', 'a', 'b']);
  });

  it('a PAX global header is refused (unsupported input tar entry), in both modes', async () => {
    const tar = tarOf(file('a', 'x'), pax([['comment', 'hi']], new Uint8Array(0), 'g'), file('b', 'y'));
    await expectError(tar, { mode: 'lossless' }, 'UNSUPPORTED', 1024);
    await expectError(tar, { mode: 'build' }, 'UNSUPPORTED', 1024);
  });

  it('sparse and contiguous files are refused', async () => {
    await expectError(tarOf(pax([['GNU.sparse.size', '100'], ['GNU.sparse.map', '0,1']], file('s', 'x'))), { mode: 'lossless' }, 'UNSUPPORTED');
    await expectError(tarOf(file('c', 'abc', { typeflag: '7' })), { mode: 'build' }, 'UNSUPPORTED', 0);
  });

  it('a truncated tar is the shared parser\'s TRUNCATED', async () => {
    const tar = tarOf(file('a', 'x'.repeat(3000)));
    await expectError(tar.subarray(0, 2000), { mode: 'lossless' }, 'TRUNCATED');
    await expectError(tar.subarray(0, 2000), { mode: 'build' }, 'TRUNCATED');
  });

  it('a missing prioritized file is NOT_FOUND, unless allowed', async () => {
    const tar = tarOf(dir('etc/'), file('etc/a', 'x'));
    await expectError(tar, { mode: 'build', prioritizedFiles: ['etc/nope'] }, 'NOT_FOUND');
    // A missing parent directory entry makes the path missing too (build.go moveRec).
    await expectError(tarOf(file('usr/bin/x', 'y')), { mode: 'build', prioritizedFiles: ['usr/bin/x'] }, 'NOT_FOUND');
    const { blob } = await writeToMemory(tar, { mode: 'build', prioritizedFiles: ['etc/nope', 'etc/a'], allowMissingPrioritized: true });
    const names = JSON.parse(tocJsonOf(blob).toString()).entries.map((e: { name: string }) => e.name);
    expect(names).toEqual(['etc/', 'etc/a', '.prefetch.landmark']);
  });

  it('an aborted conversion ends with ABORTED', async () => {
    const ac = new AbortController();
    ac.abort();
    await expectError(input('t1-basic'), { mode: 'lossless', signal: ac.signal }, 'ABORTED');
  });
});

describe('prioritized files beyond the reorder buffer, and minChunkSize', () => {
  it('prioritized files in reverse input order come out in list order, data intact', async () => {
    const names = Array.from({ length: 12 }, (_, i) => `f${String(i).padStart(2, '0')}`);
    const body = (i: number) => new Uint8Array(3000 + i * 7).fill(i + 1);
    const tar = tarOf(...names.map((n, i) => file(n, body(i))));
    const prioritized = [...names].reverse().slice(0, 8);
    const { blob, r } = await writeToMemory(tar, { mode: 'build', prioritizedFiles: prioritized, chunkSize: 1000 });
    const toc = JSON.parse(tocJsonOf(blob).toString());
    const order = toc.entries.filter((e: { type: string }) => e.type !== 'chunk').map((e: { name: string }) => e.name);
    expect(order).toEqual([...prioritized, '.prefetch.landmark', ...names.slice(0, 4)]);
    const reader = await openEstargz(fromBytes(blob), { tocDigest: r.tocDigest });
    expect(reader.prioritized).toEqual(prioritized);
    for (let i = 0; i < names.length; i++) expect(sha256(await reader.readFile(names[i]))).toBe(sha256(body(i)));
  });

  it('minChunkSize: small files share members (innerOffset), everything reads back', async () => {
    const tar = input('t1-basic');
    const { blob, r } = await writeToMemory(tar, { mode: 'lossless', minChunkSize: 64 << 10, chunkSize: 4096 });
    const toc = JSON.parse(tocJsonOf(blob).toString());
    const inner = toc.entries.filter((e: { innerOffset?: number }) => e.innerOffset);
    expect(inner.length).toBeGreaterThan(3);
    expect(gunzipSync(blob).subarray(0, tar.length).equals(tar)).toBe(true);
    const reader = await openEstargz(fromBytes(blob), { tocDigest: r.tocDigest });
    expect((await reader.verifyChunks()).chunks).toBe(r.chunks);
    const last = new Map<string, string>(); // a path stored twice reads as its last copy
    for (const e of toc.entries) if (e.type === 'reg') last.set(e.name, e.digest);
    for (const [name, digest] of last) expect(sha256(await reader.readFile(name)), name).toBe(digest);
  });
});
