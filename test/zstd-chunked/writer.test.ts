/**
 * The zstd:chunked writer against independent truth: the native `zstd` decoder, the Go reference
 * (`zstdchunked-ref verify`, `build` = the containers/storage 1.43 writer, `mkv2` = its frames and
 * metadata in the current layout) and the fixtures made with it (../shared/fixtures/zstd-chunked).
 */
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { encodeManifestJson, type ManifestJsonEntry } from '../../src/core/formats/zstd-chunked/manifest-json.ts';
import { FRAME_MAX } from '../../src/core/formats/zstd-chunked/writer.ts';
import type { Manifest, ManifestEntry } from '../../src/core/formats/zstd-chunked/types.ts';
import { dir, file, gnuLong, member, pax, symlink, tarOf } from '../helpers/tar-builder.ts';
import {
  FIXTURES, inputTar, manifestJson, refToc, refVerify, refWrite, tarSplitText, v2Spans, withoutOffsets, writeToMemory, zstdDecompress,
} from './writer-support.ts';

const INPUTS = ['t1-basic', 't2-paxbig', 't3-gnu'] as const;
const sha256 = (b: Uint8Array) => 'sha256:' + createHash('sha256').update(b).digest('hex');
const parse = (json: Buffer | string) => JSON.parse(json.toString()) as Manifest;

/** Deterministic incompressible bytes (xorshift), so chunk boundaries come from the rolling sum. */
function noise(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

const cat = (...parts: Uint8Array[]) => Uint8Array.from(Buffer.concat(parts));
const zeros = (n: number) => new Uint8Array(n);

/**
 * Entries compared field by field as both writers fill them (spec §3): everything but the
 * compressed offsets (different encoders) and atime/ctime (1.43 writes year-1 values; the current
 * writer omits them); times as instants.
 */
function comparable(e: ManifestEntry) {
  const { offset: _o, endOffset: _e, accesstime: _a, changetime: _c, modtime, ...rest } = e;
  return { ...rest, modtime: modtime === undefined ? undefined : Date.parse(modtime) };
}

/** Chunk layout of every file: [name, chunkOffset, chunkSize, chunkDigest, chunkType]. */
function chunksOf(m: Manifest) {
  return m.entries.filter((e) => e.type === 'chunk' || (e.type === 'reg' && e.chunkSize)).map((e) => [e.name, e.chunkOffset ?? 0, e.chunkSize, e.chunkDigest, e.chunkType ?? '']);
}

describe('the estargz input tars', () => {
  for (const name of INPUTS) {
    describe(name, () => {
      const tar = inputTar(name);
      let blob: Buffer;
      let annotations: Record<string, string>;

      it('decompresses (native zstd) to the input tar byte for byte, record padding included; diffID = its sha256', async () => {
        const w = await writeToMemory(tar);
        blob = w.blob;
        annotations = w.r.annotations;
        expect(zstdDecompress(blob).equals(tar)).toBe(true);
        expect(w.r.diffId).toBe(sha256(tar));
        expect(w.r.uncompressedSize).toBe(tar.length);
        expect(w.r.compressedSize).toBe(blob.length);
        // Spec §2: a v2-64 footer in a skippable frame, ending `GNUlInUx`; §5 annotations agree with it.
        const s = v2Spans(blob);
        expect(s.magic).toBe('GNUlInUx');
        expect([...blob.subarray(blob.length - 72, blob.length - 64)]).toEqual([0x50, 0x2a, 0x4d, 0x18, 0x40, 0, 0, 0]);
        expect(annotations['io.github.containers.zstd-chunked.manifest-position']).toBe(`${s.manifest.offset}:${s.manifest.length}:${s.manifest.uncompressedLength}:1`);
        expect(annotations['io.github.containers.zstd-chunked.tarsplit-position']).toBe(`${s.tarSplit.offset}:${s.tarSplit.length}:${s.tarSplit.uncompressedLength}`);
        expect(annotations['io.github.containers.zstd-chunked.manifest-checksum']).toBe(sha256(blob.subarray(s.manifest.offset, s.manifest.offset + s.manifest.length)));
        expect(Object.keys(annotations)).toHaveLength(3);
      });

      it('passes zstdchunked-ref verify with its annotations and the input tar', () => {
        const v = refVerify(blob, annotations, tar);
        expect(v.status, v.report + v.stderr).toBe(0);
        const report = JSON.parse(v.report);
        expect(report.ok).toBe(true);
        expect(report.footer_kind).toBe('v2-64');
        expect(report.tarsplit).toMatch(/^ok: .*rebuilt tar == whole-stream decompression/);
        expect(report.notes).toContain('decompressed stream == input tar');
      });

      it('has the manifest JSON of the reference (mkv2 fixture) byte for byte, but for offsets and the tar-split digest', () => {
        const mine = manifestJson(blob);
        expect(withoutOffsets(mine)).toBe(withoutOffsets(readFileSync(resolve(FIXTURES, `toc/${name}.v2-constructed.json`))));
        // The tar-split digest in it is the sha256 of our compressed tar-split (spec §3).
        const s = v2Spans(blob).tarSplit;
        expect(parse(mine).tarSplitDigest).toBe(sha256(blob.subarray(s.offset, s.offset + s.length)));
      });

      it('has the entries and chunk boundaries of the containers/storage 1.43 writer (zc143 fixture), entry by entry', () => {
        const mine = parse(manifestJson(blob)).entries;
        const ref = parse(readFileSync(resolve(FIXTURES, `toc/${name}.zc143.json`))).entries;
        expect(mine.length).toBe(ref.length);
        mine.forEach((e, i) => expect(comparable(e), `entry ${i} ${e.name}`).toEqual(comparable(ref[i])));
        // Offsets are ours, but consistent: every chunk starts after the previous one.
        for (const e of mine) if (e.endOffset !== undefined) expect(e.endOffset).toBeGreaterThan(e.offset!);
      });

      it('has the tar-split of the reference (mkv2): same lines up to the archive\'s end, same bytes after it', () => {
        const refBlob = name === 't2-paxbig' ? refWrite('mkv2', tar) : readFileSync(resolve(FIXTURES, `blobs/${name}.v2-constructed.zst`));
        const mine = tarSplitText(blob).toString().split('\n');
        const ref = tarSplitText(refBlob).toString().split('\n');
        expect(mine.pop()).toBe('');
        expect(ref.pop()).toBe('');
        // mkv2 writes everything after the last entry as one segment; tar-split's disassembler (and
        // so we) the end-of-archive, then the rest, then an empty segment (tar-split-writer.ts).
        const head = ref.length - 1;
        expect(mine.slice(0, head)).toEqual(ref.slice(0, head));
        const payload = (lines: string[]) => Buffer.concat(lines.map((l) => Buffer.from((JSON.parse(l) as { payload: string }).payload, 'base64')));
        expect(payload(mine.slice(head)).equals(payload(ref.slice(head)))).toBe(true);
        expect(mine.slice(head).map((l) => JSON.parse(l).type)).toEqual(mine.slice(head).map(() => 2));
        expect(mine.at(-1)).toBe(`{"type":2,"payload":"","position":${mine.length - 1}}`);
      });
    });
  }

  it('t2: the random 5 MiB file is 1 reg + 95 chunk entries, the first chunk 38916 bytes (the rolling sum of spec §3)', async () => {
    const { blob } = await writeToMemory(inputTar('t2-paxbig'), {}, 1 << 20);
    const entries = parse(manifestJson(blob)).entries.filter((e) => e.name === 'data/random-5MiB.bin');
    expect(entries[0].type).toBe('reg');
    expect(entries[0].chunkSize).toBe(38916);
    expect(entries.slice(1).every((e) => e.type === 'chunk')).toBe(true);
    expect(entries).toHaveLength(96);
  });
});

describe('the manifest JSON encoder is Go-exact', () => {
  for (const fixture of ['t1-basic.v2-constructed', 't2-paxbig.v2-constructed', 't3-gnu.v2-constructed', 't1-basic.zc143', 't2-paxbig.zc143', 't3-gnu.zc143']) {
    it(`re-encoding the parsed ${fixture} manifest gives its bytes`, () => {
      const raw = readFileSync(resolve(FIXTURES, `toc/${fixture}.json`));
      const m = parse(raw);
      expect(Buffer.from(encodeManifestJson(m.entries, m.tarSplitDigest)).equals(raw)).toBe(true);
    });
  }

  it('escapes as Go: HTML characters, U+2028/2029, control characters, invalid UTF-8 per byte; sorts xattr keys by bytes', () => {
    const e: ManifestJsonEntry = {
      type: 'reg', name: '', nameBytes: Uint8Array.from([0x61, 0x3c, 0x3e, 0x26, 0xe2, 0x80, 0xa8, 0xe2, 0x80, 0xa9, 0x01, 0x7f, 0xff, 0xc3, 0xa9, 0xed, 0xa0, 0x80, 0x22, 0x5c]),
      mode: 420, xattrs: { 'user.é': 'AA==', 'user.z': 'AQ==', 'user.A': 'Ag==' }, chunkType: '',
    };
    expect(Buffer.from(encodeManifestJson([e])).toString()).toBe(
      '{"version":1,"entries":[{"type":"reg","name":"a\\u003c\\u003e\\u0026\\u2028\\u2029\\u0001\x7f\\ufffdé\\ufffd\\ufffd\\ufffd\\"\\\\","mode":420,' +
      '"xattrs":{"user.A":"Ag==","user.z":"AQ==","user.é":"AA=="}}]}');
    expect(Buffer.from(encodeManifestJson([])).toString()).toBe('{"version":1,"entries":null}');
  });
});

/** A tar exercising names, times, xattrs, devices and every zero-run rule of the chunker. */
function craftedTar(): Uint8Array {
  const gnuTimes = (atime: number, ctime: number) => ({ format: 'gnu' as const, poke: [[345, octal12(atime)], [357, octal12(ctime)]] as [number, Uint8Array][] });
  return tarOf(
    dir('dir/'),
    file('dir/a<b>&c.txt', 'html'),
    file('dir/line\u2028sep\u2029.txt', 'u2028'),
    file('dir/données-文件-🐳.txt', 'utf-8'),
    symlink('dir/link', '../a&b<c>'),
    member({ name: 'dev/null', typeflag: '3', devmajor: 1, devminor: 3, mode: 0o666 }),
    member({ name: 'dev/sda', typeflag: '4', devmajor: 8, devminor: 0, mode: 0o660 }),
    member({ name: 'fifo', typeflag: '6', mode: 0o644 }),
    file('suid', 'x', { mode: 0o4755, uid: 1000, gid: 1000 }),
    pax([['mtime', '1700000000.123456789987'], ['atime', '1700000001.5'], ['ctime', '-1.25'],
      ['SCHILY.xattr.user.b', 'x'], ['SCHILY.xattr.security.capability', Uint8Array.from([1, 0, 0, 2, 0xff])], ['SCHILY.xattr.user.a<&>', 'y']],
    file('pax-times-xattrs', 'p')),
    file('gnu-times', 'g', gnuTimes(1700000100, 1700000200)),
    gnuLong('L', 'long/'.repeat(30) + 'name', file('ignored', 'long name')),
    // Zero runs (spec §3): 1023 zeros are data; 1024 and more a `zeros` chunk, also at the start,
    // at the end, longer than a frame, and a whole file of them.
    file('holes.bin', cat(noise(5000, 1), zeros(1023), noise(3000, 2), zeros(1024), noise(100, 3), zeros(3 << 20), noise(70000, 4), zeros(2000))),
    file('starts-with-hole.bin', cat(zeros(4096), noise(200000, 5))),
    file('all-zeros.bin', zeros(1500)),
    file('exactly-1024-zeros.bin', zeros(1024)),
    file('short-zeros.bin', zeros(1023)),
    // A chunk the rolling sum never ends (a constant byte keeps s2 constant): one chunk over several frames.
    file('constant.bin', new Uint8Array(FRAME_MAX * 2 + 12345).fill(1)),
    file('random.bin', noise(700000, 6)),
    file('empty', ''),
  );
}

function octal12(v: number): Uint8Array {
  return new TextEncoder().encode(v.toString(8).padStart(11, '0') + '\0');
}

describe('a crafted tar (names, times, xattrs, devices, zero runs, long chunks)', () => {
  const tar = craftedTar();
  let blob: Buffer;
  let annotations: Record<string, string>;

  it('round-trips and passes zstdchunked-ref verify', async () => {
    const w = await writeToMemory(tar, {}, 4099);
    blob = w.blob;
    annotations = w.r.annotations;
    expect(zstdDecompress(blob).equals(Buffer.from(tar))).toBe(true);
    const v = refVerify(blob, annotations, tar);
    expect(v.status, v.report + v.stderr).toBe(0);
    // holes.bin: 3, starts-with-hole.bin: 1 (single-chunk all-zero files carry no chunk fields).
    expect(JSON.parse(v.report).zeros_chunks).toBe(4);
  });

  it('has the manifest JSON `mkv2` writes for it, byte for byte but for offsets (escapes, name_raw, times, xattrs, devices)', () => {
    const ref = refToc(refWrite('mkv2', tar));
    expect(withoutOffsets(manifestJson(blob))).toBe(withoutOffsets(ref));
  });

  it('has the chunk boundaries and zeros chunks of the containers/storage 1.43 writer (`build`)', () => {
    const ref = parse(refToc(refWrite('build', tar)));
    const mine = parse(manifestJson(blob));
    expect(chunksOf(mine)).toEqual(chunksOf(ref));
    mine.entries.forEach((e, i) => expect(comparable(e), `entry ${i} ${e.name}`).toEqual(comparable(ref.entries[i])));
    const holes = mine.entries.filter((e) => e.name === 'holes.bin');
    expect(holes.map((e) => [e.chunkOffset ?? 0, e.chunkType ?? ''])).toContainEqual([5000 + 1023 + 3000, 'zeros']);
    // A single-chunk file has no chunk fields, even when that chunk is zeros (spec §3).
    const allZeros = mine.entries.filter((e) => e.name === 'all-zeros.bin');
    expect(allZeros).toHaveLength(1);
    expect(allZeros[0].chunkType).toBeUndefined();
  });

  it('has the tar-split `mkv2` writes (HTML escapes, null payload for empty files)', () => {
    const mine = tarSplitText(blob).toString().split('\n');
    const ref = tarSplitText(refWrite('mkv2', tar)).toString().split('\n');
    const head = ref.length - 2;
    expect(mine.slice(0, head)).toEqual(ref.slice(0, head));
    expect(mine.some((l) => l.includes('a\\u003cb\\u003e\\u0026c.txt'))).toBe(true);
    expect(mine.some((l) => l.startsWith('{"type":1,"name":"empty","payload":null,'))).toBe(true);
  });

  it('the same bytes whatever the input piece sizes', async () => {
    for (const piece of [1, 511, 1 << 20]) {
      if (piece === 1) {
        // Byte by byte through the whole tar is slow; a small prefix-free variant is enough.
        const small = tarOf(file('z', cat(noise(3000, 7), zeros(1500), noise(70000, 8), zeros(1000), noise(10, 9))));
        const a = await writeToMemory(small, {}, 1);
        const b = await writeToMemory(small, {}, 1 << 20);
        expect(a.blob.equals(b.blob)).toBe(true);
        continue;
      }
      const again = await writeToMemory(tar, {}, piece);
      expect(again.blob.equals(blob), `piece ${piece}`).toBe(true);
    }
  });
});

describe('a name that is not UTF-8', () => {
  const name = Uint8Array.from([0x64, 0x69, 0x72, 0x2f, 0x62, 0x61, 0x64, 0xff, 0xfe]);
  const tar = tarOf(file(name, 'not utf-8'), file('after', 'x'));

  it('is escaped per byte in the manifest as the 1.43 writer does (`build`: \\ufffd), and kept raw in the tar-split (name_raw)', async () => {
    const { blob } = await writeToMemory(tar);
    expect(zstdDecompress(blob).equals(Buffer.from(tar))).toBe(true);
    const mine = manifestJson(blob).toString();
    expect(mine).toContain('"name":"dir/bad\\ufffd\\ufffd"');
    // The upstream writer's bytes for the same entry (mkv2 re-encodes parsed JSON and so writes
    // the replacement characters literally: not comparable here).
    const ref = parse(refToc(refWrite('build', tar)));
    const entries = parse(mine).entries;
    entries.forEach((e, i) => expect(comparable(e)).toEqual(comparable(ref.entries[i])));
    expect(refToc(refWrite('build', tar)).toString()).toContain('"name":"dir/bad\\ufffd\\ufffd"');
    expect(tarSplitText(blob).toString()).toContain('{"type":1,"name_raw":"ZGlyL2JhZP/+","size":9,"payload":');
    // JSON cannot carry the raw name, so no manifest can match its tar header: the reference's
    // verify refuses its own mkv2 blob of this tar the same way (noted in the report).
    expect(refVerify(refWrite('mkv2', tar)).report).toContain('manifest disagrees with tar header on name');
  });
});

describe('archive ends', () => {
  const cases: [string, Uint8Array][] = [
    ['an empty archive (end-of-archive only)', new Uint8Array(1024)],
    ['no end-of-archive after the last entry', Uint8Array.from(Buffer.concat([file('a', 'x'), file('b', '')]))],
    ['a lone zero block', Uint8Array.from(Buffer.concat([file('a', 'x'), new Uint8Array(512)]))],
    ['10 KiB of record padding and trailing junk', Uint8Array.from(Buffer.concat([tarOf(file('a', 'x')), new Uint8Array(9216), Buffer.from('junk after the archive')]))],
  ];
  for (const [what, tar] of cases) {
    it(`${what}: kept byte for byte, verified by the reference, tar-split rebuilds it`, async () => {
      const { blob, r } = await writeToMemory(tar);
      expect(zstdDecompress(blob).equals(Buffer.from(tar))).toBe(true);
      const v = refVerify(blob, r.annotations, tar);
      expect(v.status, v.report + v.stderr).toBe(0);
      if (tar.length === 1024) expect(manifestJson(blob).toString()).toMatch(/^\{"version":1,"entries":null,"tarSplitDigest":"sha256:[0-9a-f]{64}"\}$/);
    });
  }
});
