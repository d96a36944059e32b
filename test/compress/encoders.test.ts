import { describe, expect, test } from 'vitest';
import { decompress } from '../../src/core/compress/decompress.ts';
import { createGzipEncoder, type GzipLevel } from '../../src/core/compress/gzip-encoder.ts';
import { createZstdEncoder } from '../../src/core/compress/zstd-encoder.ts';
import { gzipMemberSync } from '../../src/core/compress/compression-pool.ts';
import { gunzipSync } from 'node:zlib';
import { chunked, cli, collect, concat, realContent, sha256, withTempFile } from './helpers.ts';

const DATA = realContent(2_500_000, 1);

/** Pushes DATA in odd pieces, ending a member/frame after each boundary in `cuts`. */
function pieces(cuts: number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let p = 0;
  for (const c of [...cuts, DATA.length]) {
    out.push(DATA.subarray(p, c));
    p = c;
  }
  return out;
}

describe('gzip encoder', () => {
  test.each([1, 6, 9] as GzipLevel[])('level %i: gzip -t passes, gzip -dc gives the input back', (level) => {
    const parts: Uint8Array[] = [];
    const enc = createGzipEncoder({ level, ondata: (d) => parts.push(d) });
    for (let p = 0; p < DATA.length; p += 77_777) enc.push(DATA.subarray(p, p + 77_777));
    enc.finish();
    const gz = concat(...parts);
    expect(enc.compressedSize).toBe(gz.length);
    expect(enc.members).toBe(1);
    withTempFile(gz, 'x.gz', (f) => cli('gzip', ['-t', f]));
    expect(sha256(cli('gzip', ['-dc'], gz))).toBe(sha256(DATA));
    expect(gz.length).toBeLessThan(DATA.length * 0.6);
  });

  test('members: endMember() boundaries are exact; the CLI and our decoder read them all', async () => {
    const parts: Uint8Array[] = [];
    const enc = createGzipEncoder({ level: 9, ondata: (d) => parts.push(d) });
    const starts: number[] = [];
    for (const piece of pieces([1, 4096, 100_000, 100_000, 2_000_000])) {
      starts.push(enc.compressedSize);
      enc.push(piece); // an empty piece still makes a (deliberate) empty member
      enc.endMember();
    }
    enc.endMember(); // no open member: nothing happens
    enc.finish();
    const gz = concat(...parts);
    expect(enc.members).toBe(6);
    withTempFile(gz, 'm.gz', (f) => cli('gzip', ['-t', f]));
    expect(sha256(cli('gzip', ['-dc'], gz))).toBe(sha256(DATA));
    const seen: number[] = [];
    expect(sha256(await collect(decompress(chunked(gz, 10_000), 'gzip', { onMember: (c) => seen.push(c) })))).toBe(sha256(DATA));
    expect(seen).toEqual(starts);
    for (const s of starts) expect([gz[s], gz[s + 1], gz[4 + s]]).toEqual([0x1f, 0x8b, 0]); // MTIME 0
  });

  test('finish() with no input still writes valid gzip', () => {
    const parts: Uint8Array[] = [];
    const enc = createGzipEncoder({ ondata: (d) => parts.push(d) });
    enc.finish();
    expect(cli('gzip', ['-dc'], concat(...parts)).length).toBe(0);
    expect(() => enc.push(DATA)).toThrow(/after finish/);
  });
});

describe('zstd encoder', () => {
  test('frame per chunk: zstd -t passes, zstd -dc gives the input back, our decoder sees each frame', async () => {
    const parts: Uint8Array[] = [];
    const enc = await createZstdEncoder({ level: 3, frameSize: 1 << 20, ondata: (d) => parts.push(d) });
    const frameStarts: number[] = [];
    for (const piece of pieces([10, 5000, 300_000])) {
      frameStarts.push(enc.compressedSize);
      enc.push(piece);
      enc.endFrame();
    }
    enc.finish();
    const zst = concat(...parts);
    expect(enc.frames).toBe(3 + 3); // three small pieces, then 2.2 MB cut into 1 MiB frames
    withTempFile(zst, 'x.zst', (f) => cli('zstd', ['-q', '-t', f]));
    expect(sha256(cli('zstd', ['-dc'], zst))).toBe(sha256(DATA));
    const seen: number[] = [];
    expect(sha256(await collect(decompress(chunked(zst, 4096), 'zstd', { onMember: (c) => seen.push(c) })))).toBe(sha256(DATA));
    expect(seen.slice(0, 4)).toEqual(frameStarts);
    expect(zst.length).toBeLessThan(DATA.length * 0.6);
  });

  test('finish() with no input still writes a valid (empty) frame', async () => {
    const parts: Uint8Array[] = [];
    const enc = await createZstdEncoder({ ondata: (d) => parts.push(d) });
    enc.finish();
    expect(cli('zstd', ['-dc'], concat(...parts)).length).toBe(0);
  });
});

describe('gzip members of data held whole (gzipMemberSync: eStargz chunks)', () => {
  // The 4 KiB eStargz chunk of Debian's /usr/bin/addpart that fflate's streaming class turned into
  // a member zlib refuses ("invalid distance too far back"): 8 zero bytes, then a sparse table.
  const table = new Uint8Array(4096);
  for (let i = 8; i < 240; i += 24) { table[i] = 0x80; table[i + 1] = 0x6f; table[i + 8] = 7; table[i + 12] = 0x23 + i / 24; }
  for (const level of [1, 3, 6, 9] as const) {
    test(`level ${level}: data starting with zero bytes decodes (zlib and our decoder) to itself`, async () => {
      for (const data of [table, new Uint8Array(4096), concat(new Uint8Array(3), realContent(50_000))]) {
        const member = gzipMemberSync(data, level);
        expect(Buffer.compare(gunzipSync(member), Buffer.from(data))).toBe(0);
        expect(await sha256(await collect(decompress(chunked(member, 997), 'gzip')))).toBe(await sha256(data));
      }
    });
  }
});
