import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { decompress } from '../../src/core/compress/decompress.ts';
import { decodeZstd, type ZstdDecodeOptions } from '../../src/core/compress/zstd-decoder.ts';
import { encodeSkippableFrame } from '../../src/core/compress/zstd-frames.ts';
import { FIXTURES, chunked, cli, collect, concat, failure, realContent, sha256 } from './helpers.ts';

/** 'auto': wasm for bounded frames, fzstd otherwise; 'js': fzstd for every frame. */
const PATHS = ['auto', 'js'] as const;

function unzstd(path: (typeof PATHS)[number], bytes: Uint8Array, o: ZstdDecodeOptions & { sizes?: number | number[] } = {}) {
  return decodeZstd(chunked(bytes, o.sizes), { ...o, path });
}

const A = realContent(3 << 20, 0);
const B = realContent(1 << 20, 4);
const SMALL = realContent(50_000, 2);
let aZst: Uint8Array;
let catZst: Uint8Array; // `zstd a; zstd b; cat a.zst b.zst`
let streamedZst: Uint8Array; // from stdin: no content size in the header
let smallZst: Uint8Array;

beforeAll(() => {
  aZst = cli('zstd', ['-3', '-q', '-c'], A);
  catZst = concat(aZst, cli('zstd', ['-19', '-q', '-c'], B));
  streamedZst = cli('sh', ['-c', 'cat | zstd -3 -q -c --no-content-size'], A);
  smallZst = concat(cli('zstd', ['-q', '-c'], SMALL), cli('zstd', ['-q', '-c', '--no-check'], SMALL));
});

describe.each(PATHS)('zstd decode (%s)', (path) => {
  test('multi-frame from the zstd CLI (cat a.zst b.zst)', async () => {
    const out = await collect(unzstd(path, catZst));
    expect(sha256(out)).toBe(sha256(concat(A, B)));
  });

  test('a frame without content size (zstd from a pipe)', async () => {
    expect(sha256(await collect(unzstd(path, streamedZst)))).toBe(sha256(A));
  });

  test('skippable frames: leading, middle, trailing, and a stream of only skippable frames', async () => {
    const skip = (n: number, v: number) => encodeSkippableFrame(new Uint8Array(n).fill(0xee), v);
    const data = concat(skip(100, 0), aZst, skip(0, 7), skip(70_000, 15), smallZst, skip(40, 10));
    const out = await collect(unzstd(path, data, { sizes: 65_536 }));
    expect(sha256(out)).toBe(sha256(concat(A, SMALL, SMALL)));
    expect((await collect(unzstd(path, concat(skip(10, 1), skip(20, 2))))).length).toBe(0);
    expect(cli('zstd', ['-dc'], data).length).toBe(out.length); // the CLI agrees
  });

  test('zstd:chunked and eStargz-zstd fixtures: whole stream equals diff_id', async () => {
    const m = JSON.parse(readFileSync(join(FIXTURES, 'zstd-chunked/manifest.json'), 'utf8')) as {
      outputs: { file: string; diff_id: string; uncompressed_size: number }[];
    };
    const es = JSON.parse(readFileSync(join(FIXTURES, 'estargz/manifest.json'), 'utf8')) as {
      outputs: { file: string; compression: string; diff_id: string; uncompressed_size: number }[];
    };
    const cases = [
      ...m.outputs.map((x) => ({ ...x, at: join(FIXTURES, 'zstd-chunked', x.file ?? '-') })),
      ...es.outputs.filter((x) => x.compression === 'zstd').map((x) => ({ ...x, at: join(FIXTURES, 'estargz', x.file) })),
    ].filter((x) => existsSync(x.at)); // the t2 blobs are not shipped (fixture README)
    expect(cases.length).toBeGreaterThanOrEqual(10);
    for (const c of cases) {
      const out = await collect(unzstd(path, readFileSync(c.at), { sizes: 4096 }));
      expect({ file: c.file, size: out.length, digest: sha256(out) }).toEqual({ file: c.file, size: c.uncompressed_size, digest: c.diff_id });
    }
  });

  test.each([['1 B', 1], ['7 B', 7], ['odd sizes', [5, 3, 17, 65_537, 1, 4093]]] as const)('pushes of %s equal one-shot', async (_, sizes) => {
    const data = concat(encodeSkippableFrame(new Uint8Array(9)), smallZst);
    const out = await collect(unzstd(path, data, { sizes: sizes as number | number[] }));
    expect(sha256(out)).toBe(sha256(concat(SMALL, SMALL)));
  });

  test('truncated anywhere: TRUNCATED at the end offset', async () => {
    const first = cli('zstd', ['-q', '-c'], SMALL).length;
    const skipFrame = encodeSkippableFrame(new Uint8Array(30));
    const data = concat(smallZst, skipFrame);
    const cuts = [1, 3, 4, 5, 8, 100, first - 4, first - 1, first + 2, first + 9, smallZst.length - 1, smallZst.length + 5, data.length - 1];
    for (const cut of cuts) {
      const { error } = await failure(unzstd(path, data.subarray(0, cut), { sizes: 1000 }));
      expect({ cut, code: error.code, offset: error.context.offset }).toEqual({ cut, code: 'TRUNCATED', offset: cut });
    }
    expect((await failure(unzstd(path, new Uint8Array(0)))).error.code).toBe('TRUNCATED');
  });

  test('wrong checksum: BAD_COMPRESSION naming the frame', async () => {
    const bad = Uint8Array.from(catZst);
    bad[bad.length - 2] ^= 0x10; // inside the second frame's Content_Checksum
    const { error } = await failure(unzstd(path, bad));
    expect(error.code).toBe('BAD_COMPRESSION');
    expect(error.message).toMatch(new RegExp(`frame at ${aZst.length}\\b`));
    expect(error.message).toMatch(/checksum/);
  });

  test('corrupt block data: BAD_COMPRESSION, not a short stream', async () => {
    const bad = Uint8Array.from(aZst);
    for (let i = 5000; i < 5100; i++) bad[i] ^= 0x5a;
    const { error } = await failure(unzstd(path, bad));
    expect(error.code).toBe('BAD_COMPRESSION');
    expect(error.context.offsetSpace).toBe('compressed');
  });

  test('garbage after the last frame is BAD_COMPRESSION at its offset', async () => {
    const { error } = await failure(unzstd(path, concat(smallZst, new TextEncoder().encode('junk!'))));
    expect(error).toMatchObject({ code: 'BAD_COMPRESSION', context: { offset: smallZst.length } });
  });

  test('a frame that needs a dictionary is UNSUPPORTED', async () => {
    // Frame_Header_Descriptor 0x01: 1-byte Dictionary_ID follows the window descriptor.
    const frame = new Uint8Array([0x28, 0xb5, 0x2f, 0xfd, 0x01, 0x00, 0x07, 0x01, 0x00, 0x00]);
    const { error } = await failure(unzstd(path, frame));
    expect(error.code).toBe('UNSUPPORTED');
  });
});

describe('zstd frames as members', () => {
  test('onMember reports each data frame, skippable frames are not members', async () => {
    const seen: [number, number][] = [];
    const data = concat(encodeSkippableFrame(new Uint8Array(3)), catZst);
    await collect(decompress(chunked(data, 100_000), 'zstd', { onMember: (c, u) => seen.push([c, u]) }));
    expect(seen).toEqual([[11, 0], [11 + aZst.length, A.length]]);
  });

  test('abort between chunks → ABORTED', async () => {
    const ac = new AbortController();
    ac.abort();
    const { error } = await failure(decompress(chunked(catZst), 'zstd', { signal: ac.signal }));
    expect(error.code).toBe('ABORTED');
  });

  test("'none' passes bytes through unchanged", async () => {
    expect(sha256(await collect(decompress(chunked(A, 1000), 'none')))).toBe(sha256(A));
  });
});
