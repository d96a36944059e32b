import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'fflate';
import { afterEach, beforeAll, describe, expect, test, vi } from 'vitest';
import { decompress } from '../../src/core/compress/decompress.ts';
import { decodeGzip, type GzipDecodeOptions } from '../../src/core/compress/gzip-decoder.ts';
import { nativeGunzipSupport, resetNativeGunzipProbe } from '../../src/core/compress/native-gunzip.ts';
import { LayerlabError } from '../../src/core/errors.ts';
import { ChromiumLikeDecompressionStream } from './chromium-like-gunzip.ts';
import { FIXTURES, chunked, cli, collect, concat, failure, realContent, sha256 } from './helpers.ts';

/**
 * The three ways decodeGzip runs: Node's DecompressionStream (reads all members), a
 * Chromium-like one (stops at the second member: restart path), and the JS reader alone.
 */
const MODES = ['node-native', 'chromium-like', 'js'] as const;
type Mode = (typeof MODES)[number];

function inMode(mode: Mode): void {
  resetNativeGunzipProbe();
  if (mode === 'chromium-like') vi.stubGlobal('DecompressionStream', ChromiumLikeDecompressionStream);
}

afterEach(() => {
  vi.unstubAllGlobals();
  resetNativeGunzipProbe();
});

function gunzip(mode: Mode, bytes: Uint8Array, o: GzipDecodeOptions & { sizes?: number | number[] } = {}): AsyncIterable<Uint8Array> {
  return decodeGzip(chunked(bytes, o.sizes), { ...o, path: mode === 'js' ? 'js' : undefined });
}

const A = realContent(3 << 20, 0);
const B = realContent(1 << 20, 3);
const SMALL_A = realContent(24_000, 1);
const SMALL_B = realContent(15_000, 2);
let catGz: Uint8Array; // `gzip a; gzip b; cat a.gz b.gz`
let aGz: Uint8Array;
let smallCat: Uint8Array;

beforeAll(() => {
  aGz = cli('gzip', ['-6', '-n', '-c'], A);
  catGz = concat(aGz, cli('gzip', ['-1', '-n', '-c'], B));
  smallCat = concat(cli('gzip', ['-n', '-c'], SMALL_A), cli('gzip', ['-9', '-n', '-c'], SMALL_B));
});

describe('runtime probe', () => {
  test('Node 20 DecompressionStream reads every member', async () => {
    expect(await nativeGunzipSupport()).toBe('multi-member');
  });
  test('the Chromium-like stub is detected as first-member-only', async () => {
    inMode('chromium-like');
    expect(await nativeGunzipSupport()).toBe('first-member-only');
  });
});

describe.each(MODES)('gunzip (%s)', (mode) => {
  test('multi-member from the gzip CLI (cat a.gz b.gz)', async () => {
    inMode(mode);
    const out = await collect(gunzip(mode, catGz));
    expect(out.length).toBe(A.length + B.length);
    expect(sha256(out)).toBe(sha256(concat(A, B)));
  });

  test('multi-member from fflate (gzipSync × 3, one of them empty)', async () => {
    inMode(mode);
    const gz = concat(gzipSync(SMALL_A), gzipSync(new Uint8Array(0)), gzipSync(SMALL_B, { level: 1 }));
    expect(sha256(await collect(gunzip(mode, gz)))).toBe(sha256(concat(SMALL_A, SMALL_B)));
  });

  test('eStargz fixtures: whole-stream output matches diff_id and uncompressed_size', async () => {
    inMode(mode);
    const manifest = JSON.parse(readFileSync(join(FIXTURES, 'estargz/manifest.json'), 'utf8')) as {
      outputs: { file: string; compression: string; diff_id: string; uncompressed_size: number }[];
    };
    const gz = manifest.outputs.filter((x) => x.compression === 'gzip');
    expect(gz.length).toBeGreaterThan(5);
    for (const f of gz) {
      const out = await collect(gunzip(mode, readFileSync(join(FIXTURES, 'estargz', f.file)), { sizes: 64 << 10 }));
      expect({ file: f.file, size: out.length, digest: sha256(out) }).toEqual({ file: f.file, size: f.uncompressed_size, digest: f.diff_id });
    }
  });

  test.each([
    ['1 B', 1], ['7 B', 7], ['odd sizes', [3, 1000, 17, 65537, 5, 4093]],
  ] as const)('pushes of %s equal one-shot', async (_, sizes) => {
    inMode(mode);
    const out = await collect(gunzip(mode, smallCat, { sizes: sizes as number | number[] }));
    expect(sha256(out)).toBe(sha256(concat(SMALL_A, SMALL_B)));
  });

  test('truncated anywhere: TRUNCATED at the end offset, never a short stream', async () => {
    inMode(mode);
    const firstLen = cli('gzip', ['-n', '-c'], SMALL_A).length;
    const cuts = [1, 5, 10, 300, firstLen - 9, firstLen - 8, firstLen - 3, firstLen + 4, firstLen + 50, smallCat.length - 1];
    for (const cut of cuts) {
      const { error } = await failure(gunzip(mode, smallCat.subarray(0, cut), { sizes: 4096 }));
      expect({ cut, code: error.code, offset: error.context.offset }).toEqual({ cut, code: 'TRUNCATED', offset: cut });
      expect(error.context.offsetSpace).toBe('compressed');
    }
  });

  test('empty input is TRUNCATED', async () => {
    inMode(mode);
    const { error } = await failure(gunzip(mode, new Uint8Array(0)));
    expect(error.code).toBe('TRUNCATED');
  });

  test('corrupt CRC32 and ISIZE: BAD_COMPRESSION at the trailer', async () => {
    inMode(mode);
    for (const back of [8, 5, 4, 1]) { // CRC bytes, then ISIZE bytes, of the last member
      const bad = Uint8Array.from(catGz);
      bad[bad.length - back] ^= 0x40;
      const { error } = await failure(gunzip(mode, bad));
      expect(error.code).toBe('BAD_COMPRESSION');
      expect(error.context.offset).toBe(catGz.length - 8);
      expect(error.message).toMatch(back > 4 ? /CRC32 mismatch/ : /length mismatch/);
    }
  });

  test('corrupt deflate data: BAD_COMPRESSION with an offset, not a short stream', async () => {
    inMode(mode);
    const bad = Uint8Array.from(aGz);
    for (let i = 2000; i < 2040; i++) bad[i] ^= 0xa5;
    const { error } = await failure(gunzip(mode, bad));
    expect(error.code).toBe('BAD_COMPRESSION');
    expect(error.context.offset).toBeGreaterThan(0);
  });

  test('garbage after the last member is BAD_COMPRESSION; zero padding is accepted', async () => {
    inMode(mode);
    const { error } = await failure(gunzip(mode, concat(smallCat, new TextEncoder().encode('not gzip'))));
    expect(error.code).toBe('BAD_COMPRESSION');
    expect(error.context.offset).toBe(smallCat.length);
    const padded = await collect(gunzip(mode, concat(smallCat, new Uint8Array(4096))));
    expect(padded.length).toBe(SMALL_A.length + SMALL_B.length);
  });

  test('file name and offsets end up in the error context', async () => {
    inMode(mode);
    const { error } = await failure(decodeGzip(chunked(smallCat.subarray(0, 100)), { file: 'layer.tar.gz', path: mode === 'js' ? 'js' : undefined }));
    expect(error.context).toMatchObject({ file: 'layer.tar.gz', offset: 100, offsetSpace: 'compressed' });
    expect(error.describe()).toContain('layer.tar.gz');
  });
});

describe('restart after the native decoder gives up (Chromium-like)', () => {
  test('with reopen(): the prefix is re-read from the source, the rest is not re-read', async () => {
    inMode('chromium-like');
    let reopened = 0;
    let reread = 0;
    const out = await collect(decodeGzip(chunked(catGz, 1 << 20), {
      pieces: { maxPiece: 64 << 10 },
      reopen: () => {
        reopened++;
        return (async function* () {
          for await (const c of chunked(catGz, 64 << 10)) {
            reread += c.length;
            yield c;
          }
        })();
      },
    }));
    expect(sha256(out)).toBe(sha256(concat(A, B)));
    expect(reopened).toBe(1);
    expect(reread).toBeLessThan(catGz.length); // only up to where the native decoder stopped
  });

  test('past the replay limit without reopen(): hands over to the JS reader early, still exact', async () => {
    inMode('chromium-like');
    const out = await collect(decodeGzip(chunked(catGz, 64 << 10), { replayLimit: 200 << 10 }));
    expect(sha256(out)).toBe(sha256(concat(A, B)));
  });

  test('Node-like native past the replay limit: errors come from the native message, with an offset', async () => {
    const bad = Uint8Array.from(catGz);
    bad[bad.length - 6] ^= 1;
    const { error } = await failure(decodeGzip(chunked(bad, 64 << 10), { replayLimit: 100 << 10 }));
    expect(error.code).toBe('BAD_COMPRESSION');
    expect(error.context.offset).toBe(catGz.length);
  });
});

describe('members, cancellation, source errors', () => {
  test('onMember reports every member with compressed and uncompressed offsets', async () => {
    const seen: [number, number][] = [];
    const out = await collect(decompress(chunked(catGz, 100_000), 'gzip', { onMember: (c, u) => seen.push([c, u]) }));
    expect(out.length).toBe(A.length + B.length);
    expect(seen).toEqual([[0, 0], [aGz.length, A.length]]);
  });

  test('onMember on an eStargz layer: each offset starts a gzip member', async () => {
    const blob = readFileSync(join(FIXTURES, 'estargz/outputs/t1-basic.chunk4096.esgz'));
    const seen: number[] = [];
    await collect(decompress(chunked(blob, 7), 'gzip', { onMember: (c) => seen.push(c) }));
    expect(seen.length).toBeGreaterThan(20);
    for (const c of seen) expect([blob[c], blob[c + 1]]).toEqual([0x1f, 0x8b]);
  });

  test.each(['native', 'js'] as const)('abort between chunks → ABORTED (%s)', async (path) => {
    const ac = new AbortController();
    let n = 0;
    const it = decodeGzip(chunked(catGz, 64 << 10), { signal: ac.signal, path: path === 'js' ? 'js' : undefined });
    const { error } = await failure((async function* () {
      for await (const c of it) {
        if ((n += c.length) > 100_000) ac.abort();
        yield c;
      }
    })());
    expect(error.code).toBe('ABORTED');
  });

  test.each(['native', 'js'] as const)('a source error propagates unchanged (%s)', async (path) => {
    const boom = new LayerlabError('IO', 'disk on fire', { file: 'x' });
    const source = (async function* () {
      yield catGz.subarray(0, 200_000);
      throw boom;
    })();
    await expect(collect(decodeGzip(source, { path: path === 'js' ? 'js' : undefined }))).rejects.toBe(boom);
  });

  test.each(['native', 'js'] as const)('a consumer that stops early closes the source (%s)', async (path) => {
    let closed = false;
    const source = (async function* () {
      try {
        yield* chunked(catGz, 64 << 10);
      } finally {
        closed = true;
      }
    })();
    for await (const _ of decodeGzip(source, { path: path === 'js' ? 'js' : undefined })) break;
    expect(closed).toBe(true);
  });
});
