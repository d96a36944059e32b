/**
 * LZ4 block encoder: every output goes back through our decoder (formats/nydus/lz4-block.ts) and
 * through a structural check of the block-format end-of-block rules; a selection also goes
 * through two independent decoders — the nydus oracle's pure-Python `lz4_block_decompress` and,
 * where the `lz4` CLI is installed, liblz4 itself (the block wrapped in a hand-made LZ4 frame).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { encodeLz4Block, lz4BlockBound } from '../../src/core/compress/lz4-block-encoder.ts';
import { LayerlabError } from '../../src/core/errors.ts';
import { decodeLz4Block } from '../../src/core/formats/nydus/lz4-block.ts';
import { SHARED } from '../helpers/cli.ts';
import { cli, sha256 } from './helpers.ts';

const ORACLE = resolve(SHARED, 'tools/nydus-oracle/nydus-oracle.py');
const MiB = 1 << 20;

interface Sequence { literals: number; offset: number; match: number; at: number }

/**
 * Parses a block independently of both codecs and checks the rules of lz4_Block_format.md:
 * offsets 1..65535 and within the output so far, matches ≥ 4 bytes, the last sequence literals
 * only, the last 5 bytes literals, no match starting later than 12 bytes before the end.
 * Returns the sequences (the last, literal-only one has offset 0).
 */
function parseBlock(block: Uint8Array, n: number): Sequence[] {
  // Plain throws, not expect(): a 16 MiB block has about a million sequences.
  const fail = (why: string) => { throw new Error(`lz4 block (n=${n}) at byte ${ip}: ${why}`); };
  const seqs: Sequence[] = [];
  let ip = 0;
  let op = 0;
  const ext = (v: number) => {
    if (v !== 15) return v;
    for (;;) {
      if (ip >= block.length) fail('length bytes run past the end');
      const b = block[ip++];
      v += b;
      if (b !== 255) return v;
    }
  };
  for (;;) {
    if (ip >= block.length) fail('no final literal-only sequence');
    const token = block[ip++];
    const literals = ext(token >> 4);
    ip += literals;
    op += literals;
    if (ip === block.length) {
      seqs.push({ literals, offset: 0, match: 0, at: op });
      break;
    }
    if (ip + 2 > block.length) fail('literals or offset run past the end');
    const offset = block[ip] | (block[ip + 1] << 8);
    ip += 2;
    const match = ext(token & 15) + 4;
    if (offset < 1 || offset > op) fail(`offset ${offset} outside 1..${Math.min(op, 65535)}`);
    if (op > n - 12) fail(`MFLIMIT: match starts at ${op}, later than n − 12`);
    if (op + match > n - 5) fail(`LASTLITERALS: match ends at ${op + match}, later than n − 5`);
    seqs.push({ literals, offset, match, at: op });
    op += match;
  }
  if (op !== n) fail(`decodes to ${op} bytes`);
  if (seqs[seqs.length - 1].literals < Math.min(5, n)) fail('fewer than 5 final literals');
  return seqs;
}

/** Encodes, checks the bound, the structure and our decoder's round trip; returns the block. */
function roundTrip(data: Uint8Array): Uint8Array {
  const block = encodeLz4Block(data);
  expect(block.length).toBeLessThanOrEqual(lz4BlockBound(data.length));
  expect(block.buffer.byteLength, 'the result owns a buffer of exactly its size').toBe(block.length);
  parseBlock(block, data.length);
  const back = decodeLz4Block(block, data.length);
  expect(back.length).toBe(data.length);
  expect(Buffer.compare(back, data), 'decodes to the input').toBe(0);
  return block;
}

/** Deterministic bytes (xorshift32), so failures reproduce. */
function random(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed | 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    out[i] = x & 255;
  }
  return out;
}

const WORDS = ('the of and to in is that for it as with was on be by this are from or at an which not have has ' +
  'layer image container manifest digest blob chunk compress block offset length literal match token sequence ' +
  'decoder encoder format archive file directory symlink hardlink owner mode time size index config platform ' +
  'registry mount overlay whiteout opaque snapshot builder bootstrap superblock inode extent xattr device').split(' ');

/** English-like text from a fixed vocabulary: words, punctuation, line breaks. */
function text(n: number, seed = 7): Uint8Array {
  const r = random(n, seed);
  let s = '';
  for (let i = 0; s.length < n; i++) {
    s += WORDS[r[i % n] % WORDS.length];
    const p = r[(i * 7 + 3) % n];
    s += p < 20 ? '.\n' : p < 40 ? ', ' : ' ';
  }
  return new TextEncoder().encode(s).subarray(0, n);
}

/** A file that exists on every machine that runs the tests, prefixed by `size` bytes at most. */
function realFile(size: number): Uint8Array {
  const b = readFileSync(process.execPath);
  return new Uint8Array(b.buffer, b.byteOffset, Math.min(size, b.length));
}

describe('encodeLz4Block: format edge cases', () => {
  test('empty input is the single token 0x00', () => {
    const block = roundTrip(new Uint8Array(0));
    expect([...block]).toEqual([0x00]);
  });

  test.each([1, 2, 3, 4, 5, 11, 12])('%i bytes: one literal-only sequence (too short for any match)', (n) => {
    for (const data of [new Uint8Array(n), random(n, n)]) {
      const block = roundTrip(data);
      expect([...block]).toEqual([n << 4, ...data]);
    }
  });

  test('13 bytes: the one match the end rules allow (start 1 ≤ 13 − 12, end 8 = 13 − 5)', () => {
    const block = roundTrip(new Uint8Array(13));
    // token (1 literal, match 7 = 4 + 3), literal 0, offset 1; then token (5 literals) and 5 zeros.
    expect([...block]).toEqual([0x13, 0, 1, 0, 0x50, 0, 0, 0, 0, 0]);
    expect([...roundTrip(random(13, 3))]).toEqual([0xd0, ...random(13, 3)]);
  });

  test('long literal and match lengths use 255-valued extension bytes', () => {
    // 15 + 255 + 255 + 4 random literals force the literal-length bytes 255, 255, 4;
    // then a long zero run forces the match-length bytes.
    const data = new Uint8Array(15 + 510 + 4 + 5000);
    data.set(random(529, 11));
    const block = roundTrip(data);
    // The first match starts a few bytes into the zeros (where the search lands), so the literal
    // count is 529 + a little: extension bytes 255, 255, then 4 + that little.
    expect([...block.subarray(0, 3)]).toEqual([0xff, 255, 255]);
    const seqs = parseBlock(block, data.length);
    expect(seqs[0].literals).toBe(15 + 255 + 255 + block[3]);
    expect(seqs[0].literals).toBeGreaterThanOrEqual(529);
    expect(seqs[0].match).toBeGreaterThan(15 + 255); // match-length bytes too
    expect(block.length).toBeLessThan(600);
  });

  test.each([13, 14, 16, 17, 20, 30, 64, 100, 1000])('a match that could run to the end (%i zero bytes) stops 5 bytes short', (n) => {
    const seqs = parseBlock(roundTrip(new Uint8Array(n)), n);
    const last = seqs[seqs.length - 1];
    expect(seqs.length).toBeGreaterThan(1);
    expect(last.literals).toBe(5);
  });

  test('a repeat of period 7 across the whole input: matches stop 5 bytes short, round trip holds', () => {
    for (let n = 13; n < 80; n++) {
      const data = new Uint8Array(n).map((_, i) => 'abcdefg'.charCodeAt(i % 7));
      const seqs = parseBlock(roundTrip(data), n);
      if (n >= 20) expect(seqs[seqs.length - 1].literals).toBe(5);
    }
  });

  test('a repeat that starts less than 12 bytes before the end stays literal', () => {
    const head = random(200, 5);
    const data = new Uint8Array(211);
    data.set(head);
    data.set(head.subarray(0, 11), 200); // a perfect 11-byte repeat, but starting at n − 11
    const seqs = parseBlock(roundTrip(data), data.length);
    expect(seqs).toHaveLength(1);
  });
});

describe('encodeLz4Block: the 65535-byte window', () => {
  /** A (4 KiB random, first byte non-zero), zeros up to `at`, A again, zeros. */
  function repeatAt(at: number): Uint8Array {
    const a = random(4096, 21);
    a[0] = 0xa5;
    const data = new Uint8Array(at + 4096 + 1000);
    data.set(a);
    data.set(a, at);
    return data;
  }

  test('a repeat exactly 65535 back is found and encoded as offset 0xFFFF', () => {
    const data = repeatAt(65535);
    const seqs = parseBlock(roundTrip(data), data.length);
    const far = seqs.filter((s) => s.offset === 65535);
    expect(far.length).toBeGreaterThan(0);
    expect(far[0].at).toBe(65535);
    expect(far[0].match).toBeGreaterThanOrEqual(4096);
  });

  test('a repeat exactly 65536 back is not used (it would encode as the invalid offset 0)', () => {
    const data = repeatAt(65536);
    const block = roundTrip(data);
    const seqs = parseBlock(block, data.length);
    expect(seqs.every((s) => s.offset <= 65535)).toBe(true);
    // The second copy of A can only be literals: it costs at least its 4096 bytes.
    expect(block.length).toBeGreaterThan(4096 * 2);
  });
});

describe('encodeLz4Block: data sets and ratio', () => {
  test('all-zero 1 MiB compresses below 5 KiB', () => {
    const block = roundTrip(new Uint8Array(MiB));
    expect(block.length).toBeLessThan(5 * 1024);
  });

  test('random 1 MiB stays within n + n/255 + 16', () => {
    const data = random(MiB, 99);
    const block = roundTrip(data);
    expect(block.length).toBeLessThanOrEqual(MiB + MiB / 255 + 16);
    expect(block.length).toBeGreaterThanOrEqual(MiB); // nothing to find in random bytes
  });

  test('text-like data is at least 1.5× smaller', () => {
    const data = text(MiB);
    const block = roundTrip(data);
    expect(data.length / block.length).toBeGreaterThanOrEqual(1.5);
  });

  test('a real binary (the node executable) chunked at 1 MiB round-trips and shrinks', () => {
    const data = realFile(8 * MiB);
    let total = 0;
    for (let p = 0; p < data.length; p += MiB) total += roundTrip(data.subarray(p, p + MiB)).length;
    expect(data.length / total).toBeGreaterThan(1.2);
  });

  test('a 16 MiB chunk (nydus maximum) round-trips', () => {
    const data = new Uint8Array(16 * MiB);
    data.set(realFile(8 * MiB));
    data.set(text(4 * MiB), 8 * MiB);
    data.set(random(2 * MiB, 5), 12 * MiB); // the last 2 MiB stay zero
    roundTrip(data);
  });

  test('unaligned views and Buffers are read at their own offset', () => {
    const big = text(100_000, 3);
    const view = big.subarray(12_345, 80_001);
    const copy = view.slice();
    expect(Buffer.compare(encodeLz4Block(view), encodeLz4Block(copy))).toBe(0);
    roundTrip(view);
    roundTrip(Buffer.from(copy));
  });

  test('output depends only on the input, not on earlier calls (the hash table is reused)', () => {
    const a = text(300_000, 1);
    const first = encodeLz4Block(a);
    encodeLz4Block(text(500_000, 2));
    encodeLz4Block(random(70_000, 3));
    encodeLz4Block(new Uint8Array(20));
    expect(Buffer.compare(encodeLz4Block(a), first)).toBe(0);
    // A prefix of what was just compressed: stale table entries must not produce matches.
    const b = a.subarray(0, 1000);
    roundTrip(b);
  });

  test('inputs above the LZ4 limit are refused with TOO_LARGE', () => {
    const huge = { length: 0x7e000001 } as unknown as Uint8Array; // never read: the size check comes first
    expect(() => encodeLz4Block(huge)).toThrow(LayerlabError);
    try {
      encodeLz4Block(huge);
    } catch (e) {
      expect((e as LayerlabError).code).toBe('TOO_LARGE');
    }
  });
});

/** Inputs for the independent decoders: format edges, the window edge, each kind of data. */
function independentCases(): [string, Uint8Array][] {
  const far = new Uint8Array(65535 + 4096 + 100);
  far.set(random(4096, 8));
  far.set(random(4096, 8), 65535);
  return [
    ['one-byte', Uint8Array.of(42)],
    ['zeros-13', new Uint8Array(13)],
    ['zeros-1MiB', new Uint8Array(MiB)],
    ['period-7', new Uint8Array(5000).map((_, i) => 'abcdefg'.charCodeAt(i % 7))],
    ['offset-65535', far],
    ['random-64KiB', random(65536, 4)],
    ['text-1MiB', text(MiB)],
    ['binary-1MiB', realFile(3 * MiB).subarray(2 * MiB)],
  ];
}

describe('encodeLz4Block: independent decoders', () => {
  test.skipIf(!existsSync(ORACLE))('the nydus oracle (Python lz4_block_decompress) decodes our blocks', () => {
    const dir = mkdtempSync(join(tmpdir(), 'layerlab-lz4-'));
    try {
      const cases = [['empty', new Uint8Array(0)] as [string, Uint8Array], ...independentCases()];
      const list: string[] = [];
      for (const [name, data] of cases) {
        writeFileSync(join(dir, `${name}.lz4`), encodeLz4Block(data));
        list.push(`${name}\t${data.length}`);
      }
      writeFileSync(join(dir, 'list.tsv'), list.join('\n'));
      // The oracle's file name has a hyphen, so it is loaded by path; its main() only runs as a script.
      const py = [
        'import hashlib, importlib.util, os, sys',
        'spec = importlib.util.spec_from_file_location("nydus_oracle", sys.argv[1])',
        'm = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)',
        'd = sys.argv[2]',
        'for line in open(os.path.join(d, "list.tsv")).read().splitlines():',
        '    name, size = line.split("\\t")',
        '    raw = m.lz4_block_decompress(open(os.path.join(d, name + ".lz4"), "rb").read(), int(size))',
        '    print(name + "\\tsha256:" + hashlib.sha256(raw).hexdigest())',
      ].join('\n');
      const r = spawnSync('python3', ['-c', py, ORACLE, dir], { encoding: 'utf8', maxBuffer: 16 << 20 });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const got = Object.fromEntries(r.stdout.trim().split('\n').map((l) => l.split('\t')));
      expect(got).toEqual(Object.fromEntries(cases.map(([name, data]) => [name, sha256(data)])));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  const hasLz4 = spawnSync('lz4', ['--version']).status === 0;
  test.skipIf(!hasLz4)('liblz4 (the lz4 CLI, block wrapped in an LZ4 frame) decodes our blocks', () => {
    // Frame header (lz4_Frame_format.md): magic 0x184D2204, FLG 0x60 (version 01, independent
    // blocks, no checksums, no content size), BD 0x70 (4 MiB max block), header checksum 0x73
    // (= (xxh32(FLG BD) >> 8) & 0xFF, as `lz4 -B7 --no-frame-crc` writes it). Then one block: its
    // size as u32 LE (high bit clear = compressed), the block, and the end mark 0.
    const header = [0x04, 0x22, 0x4d, 0x18, 0x60, 0x70, 0x73];
    const u32 = (v: number) => [v & 255, (v >>> 8) & 255, (v >>> 16) & 255, v >>> 24];
    for (const [name, data] of independentCases()) {
      const block = encodeLz4Block(data);
      const frame = Buffer.concat([Uint8Array.from([...header, ...u32(block.length)]), block, Uint8Array.from(u32(0))]);
      expect(sha256(cli('lz4', ['-dc'], frame)), name).toBe(sha256(data));
    }
  });
});
