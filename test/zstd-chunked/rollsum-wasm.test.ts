/**
 * The WebAssembly chunker (wasm/assembly/rollsum.ts) against the JavaScript one it ports, which is
 * its oracle (core/formats/zstd-chunked/rollsum.ts, itself checked against spec §3's prose in
 * writer-pool-and-bad.test.ts): the same bytes fed in the same pieces give identical events —
 * same kinds, same data bytes, same split of the data into views — on random data with zero runs
 * of every length around the hole threshold, in random piece sizes.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { ContentChunker, type ChunkEvent, type Chunker } from '../../src/core/formats/zstd-chunked/rollsum.ts';
import { initRollsumWasm, WasmContentChunker } from '../../src/core/formats/zstd-chunked/rollsum-wasm.ts';

beforeAll(() => initRollsumWasm());

/** Events as comparable data (data views as byte arrays). */
function run(c: Chunker, data: Uint8Array, sizes: readonly number[]): unknown[] {
  const ev: ChunkEvent[] = [];
  let at = 0;
  for (const n of sizes) {
    c.feed(data.subarray(at, at + n), ev);
    at += n;
  }
  c.finish(ev);
  return ev.map((e) => (e.kind === 'data' ? { kind: 'data', bytes: Array.from(e.bytes) } : e));
}

function rng(seed: number): () => number {
  let x = seed;
  return () => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return x >>> 8;
  };
}

/** Random bytes with zero runs of every length 0..3000 (dense around 1024) and longer holes. */
function sample(rnd: () => number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let i = 0;
  while (i < length) {
    const kind = rnd() % 8;
    const run = kind === 0 ? rnd() % 3000 : kind === 1 ? 1018 + (rnd() % 12) : kind === 2 ? 64 * 1024 + (rnd() % 200_000) : 0;
    if (run) {
      i += run; // zeros already
      continue;
    }
    for (let k = rnd() % 4000; k > 0 && i < length; k--) out[i++] = rnd() % 4 === 0 ? 0 : 1 + (rnd() % 255);
  }
  return out;
}

/** Piece sizes covering `length`; the wasm chunker takes pieces of up to 64 KiB in one call. */
function piecesOf(rnd: () => number, length: number, max: number): number[] {
  const sizes: number[] = [];
  for (let left = length; left > 0;) {
    const n = Math.min(left, 1 + (rnd() % max));
    sizes.push(n);
    left -= n;
  }
  return sizes;
}

describe('WasmContentChunker', () => {
  it('reports the same events as the JS chunker on random data with zero runs of every length, in random piece sizes', () => {
    const rnd = rng(7);
    let holes = 0;
    let splits = 0;
    for (let round = 0; round < 6; round++) {
      const data = sample(rnd, 1_500_000);
      for (const max of [1, 7, 1500, 20_000, 64 << 10]) {
        const sizes = max === 1 ? piecesOf(rnd, data.length, 3) : piecesOf(rnd, data.length, max);
        const want = run(new ContentChunker(), data, sizes);
        expect(run(new WasmContentChunker(), data, sizes)).toEqual(want);
        holes += want.filter((e) => (e as ChunkEvent).kind === 'end' && (e as { zeros: boolean }).zeros).length;
        splits += want.filter((e) => (e as ChunkEvent).kind === 'end' && !(e as { zeros: boolean }).zeros).length;
      }
    }
    expect(holes).toBeGreaterThan(100);
    expect(splits).toBeGreaterThan(100);
  });

  it('every zero-run length 1..2100 between data, and edge inputs', () => {
    const rnd = rng(99);
    const parts: number[] = [];
    for (let len = 1; len <= 2100; len += len < 1000 ? 37 : len < 1100 ? 1 : 53) {
      for (let k = 1 + (rnd() % 300); k > 0; k--) parts.push(1 + (rnd() % 255));
      for (let k = 0; k < len; k++) parts.push(0);
    }
    const inputs = [
      Uint8Array.from(parts),
      new Uint8Array(0), new Uint8Array(1), new Uint8Array(1023), new Uint8Array(1024), new Uint8Array(5000),
      new Uint8Array(200_000), // a hole longer than a wasm buffer
      Uint8Array.from([...new Array(2000).fill(0), 5, ...new Array(1500).fill(0)]),
    ];
    for (const data of inputs) {
      for (const max of [1, 333, 1024, 64 << 10]) {
        const sizes = piecesOf(rnd, data.length, max);
        expect(run(new WasmContentChunker(), data, sizes)).toEqual(run(new ContentChunker(), data, sizes));
      }
    }
  });

  it('chunkers alive at once keep their own state', () => {
    const rnd = rng(11);
    const a = sample(rnd, 400_000);
    const b = sample(rnd, 400_000);
    const wa = new WasmContentChunker();
    const wb = new WasmContentChunker();
    const ea: ChunkEvent[] = [];
    const eb: ChunkEvent[] = [];
    for (let at = 0; at < a.length; at += 10_000) {
      wa.feed(a.subarray(at, at + 10_000), ea);
      wb.feed(b.subarray(at, at + 10_000), eb);
    }
    wa.finish(ea);
    wb.finish(eb);
    const sizes = new Array(40).fill(10_000);
    const norm = (ev: ChunkEvent[]) => ev.map((e) => (e.kind === 'data' ? { kind: 'data', bytes: Array.from(e.bytes) } : e));
    expect(norm(ea)).toEqual(run(new ContentChunker(), a, sizes));
    expect(norm(eb)).toEqual(run(new ContentChunker(), b, sizes));
  });
});
