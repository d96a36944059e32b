/**
 * Broken and hostile input: truncation anywhere, bad checksums, absurd sizes, oversized
 * extension headers, malformed numbers and PAX records. Every error must be a LayerlabError with
 * the right code and the byte offset where it happened; nothing may hang or allocate per size.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { LayerlabError } from '../../src/core/errors.ts';
import { TarParser } from '../../src/core/tar/tar-parser.ts';
import { END, concat, file, gnuLong, header, member, pax, tarOf } from '../helpers/tar-builder.ts';
import { parseBytes, pythonFirst, pythonView, tempDir, thrown } from './support.ts';

const tmp = tempDir('hostile');
afterAll(() => tmp.remove());

function expectError(e: unknown, code: string, offset: number, entry?: string): LayerlabError {
  expect(e).toBeInstanceOf(LayerlabError);
  const err = e as LayerlabError;
  expect(err.code, err.message).toBe(code);
  expect(err.context.offset, err.message).toBe(offset);
  expect(err.context.offsetSpace).toBe('uncompressed');
  if (entry !== undefined) expect(err.context.entry).toBe(entry);
  return err;
}

/** GNU tar's verdict on an archive: exit status of `tar -tf`. */
function gnuTarStatus(bytes: Uint8Array, name: string): number {
  const path = join(tmp.path, name);
  writeFileSync(path, bytes);
  return spawnSync('tar', ['-tf', path], { encoding: 'utf8' }).status ?? -1;
}

// d/ at 0, d/a (700 bytes) header 512 data 1024..1724 padding to 2048, d/b header 2048 data 2560.
const archive = tarOf(
  member({ name: 'd/', typeflag: '5', mode: 0o755 }),
  file('d/a', new Uint8Array(700).fill(0x61)),
  pax([['path', 'd/' + 'p'.repeat(150)]], file('d/b', 'bee')),
);
// pax header of the 3rd member at 2048, its records at 2560, the member header at 3072, data 3584.

describe('truncated archives', () => {
  it('the layout the cuts below rely on is what Python sees', () => {
    writeFileSync(join(tmp.path, 'whole.tar'), archive);
    const py = pythonView(join(tmp.path, 'whole.tar'));
    expect(py.map((m) => [m.offset, m.offset_data])).toEqual([[0, 512], [512, 1024], [2048, 3584]]);
  });

  it('inside a header: TRUNCATED at the end of the input', () => {
    const err = expectError(thrown(() => parseBytes(archive.subarray(0, 600))), 'TRUNCATED', 600);
    expect(err.message).toContain('header block at 512');
  });

  it('inside data: TRUNCATED at the end of the input, naming the member (GNU tar agrees it is cut)', () => {
    const cut = archive.subarray(0, 1500);
    const err = expectError(thrown(() => parseBytes(cut, 100)), 'TRUNCATED', 1500, 'd/a');
    expect(err.message).toContain('224 bytes before the end of the data');
    expect(gnuTarStatus(cut, 'cut-data.tar')).toBe(2);
  });

  it('inside padding: TRUNCATED (GNU tar agrees)', () => {
    const cut = archive.subarray(0, 1800);
    expectError(thrown(() => parseBytes(cut, 7)), 'TRUNCATED', 1800, 'd/a');
    expect(gnuTarStatus(cut, 'cut-pad.tar')).toBe(2);
  });

  it('inside PAX records and between a PAX header and its member: TRUNCATED', () => {
    expectError(thrown(() => parseBytes(archive.subarray(0, 2600))), 'TRUNCATED', 2600);
    const err = expectError(thrown(() => parseBytes(archive.subarray(0, 3072))), 'TRUNCATED', 3072);
    expect(err.message).toContain('extension headers at 2048');
  });

  it('right after a member, without end-of-archive blocks: accepted, endOfArchive not called (GNU tar agrees)', () => {
    const cut = archive.subarray(0, 2048);
    const p = parseBytes(cut, 511);
    expect(p.entries.map((e) => e.name)).toEqual(['d/', 'd/a']);
    expect(p.endOfArchive).toBeUndefined();
    expect(gnuTarStatus(cut, 'cut-clean.tar')).toBe(0);
  });

  it('after one zero block, or inside the second: accepted, the archive is over', () => {
    for (const n of [4096 + 512, 4096 + 700]) {
      const p = parseBytes(archive.subarray(0, n), 13);
      expect(p.entries).toHaveLength(3);
      expect(p.endOfArchive).toBeUndefined();
    }
  });

  it('bytes after the end-of-archive marker are accepted and ignored, zero or not', () => {
    const tail = concat(archive, new Uint8Array(9216), new Uint8Array(1000).fill(0x41));
    const p = parseBytes(tail, 4096);
    expect(p.entries).toHaveLength(3);
    expect(p.endOfArchive).toBe(4096);
    expect(p.offset).toBe(tail.length);
    expect(gnuTarStatus(tail, 'junk-tail.tar')).toBe(0);
  });
});

describe('bad headers', () => {
  it('bad checksum: BAD_TAR at that header (GNU tar rejects it too)', () => {
    const bad = tarOf(file('ok', 'x'), member({ name: 'bad', checksum: 0o1234 }, 'y'));
    const err = expectError(thrown(() => parseBytes(bad)), 'BAD_TAR', 1024);
    expect(err.message).toMatch(/checksum/);
    // (Python's tarfile silently stops at a bad header after the first one, so it is no judge.)
    expect(gnuTarStatus(bad, 'bad.tar')).toBe(2);
    expect(gnuTarStatus(tarOf(file('ok', 'x'), member({ name: 'good' }, 'y')), 'good.tar')).toBe(0);
  });

  it('random bytes are not a tar', () => {
    const junk = new Uint8Array(4096).map((_, i) => (i * 7919) % 251);
    expectError(thrown(() => parseBytes(junk)), 'BAD_TAR', 0);
  });

  it('signed-char checksums (historic tars) are accepted, as GNU tar and Python do', () => {
    const name = new Uint8Array([0x6e, 0xe9, 0xff]);
    const t = tarOf(member({ name, checksum: 'signed' }, 'z'));
    const p = parseBytes(t);
    expect([...p.entries[0].nameBytes]).toEqual([...name]);
    writeFileSync(join(tmp.path, 'signed.tar'), t);
    expect(pythonView(join(tmp.path, 'signed.tar'))[0].name).toBe('6ee9ff');
  });

  it('a size field that is not a number: BAD_TAR naming the member', () => {
    const t = tarOf(member({ name: 'nan', size: '12345678xyz\0' }));
    expectError(thrown(() => parseBytes(t)), 'BAD_TAR', 0, 'nan');
  });

  it('a negative base-256 size: BAD_TAR', () => {
    expectError(thrown(() => parseBytes(tarOf(member({ name: 'neg', size: -5n })))), 'BAD_TAR', 0, 'neg');
  });

  it('numbers beyond 2^53: TOO_LARGE (size, uid, PAX size)', () => {
    expectError(thrown(() => parseBytes(tarOf(member({ name: 'big', size: 2n ** 60n })))), 'TOO_LARGE', 0, 'big');
    expectError(thrown(() => parseBytes(tarOf(member({ name: 'uid', uid: 2n ** 54n })))), 'TOO_LARGE', 0, 'uid');
    // Record errors point at the member's first header block: its PAX header.
    expectError(thrown(() => parseBytes(tarOf(file('a', ''), pax([['size', '99999999999999999999']], file('p', ''))))), 'TOO_LARGE', 512, 'p');
    expectError(thrown(() => parseBytes(tarOf(pax([['size', 'ten']], file('p', ''))))), 'BAD_TAR', 0, 'p');
    expectError(thrown(() => parseBytes(tarOf(pax([['mtime', '1.2.3']], file('p', ''))))), 'BAD_TAR', 0, 'p');
  });
});

describe('hostile sizes', () => {
  for (const [how, arch] of [
    ['a base-256 size field', member({ name: 'huge', size: 2n ** 40n }, 'only this much')],
    ['a PAX size record', pax([['size', String(2 ** 40)]], member({ name: 'huge', size: 14 }, 'only this much'))],
  ] as const) {
    it(`2^40 bytes announced by ${how}: no allocation, no hang; TRUNCATED where the data stops`, () => {
      writeFileSync(join(tmp.path, 'huge.tar'), arch);
      expect(pythonFirst(join(tmp.path, 'huge.tar')).size).toBe(2 ** 40); // independent reading of the header
      const before = process.memoryUsage().arrayBuffers;
      const t0 = performance.now();
      const input = concat(arch, new Uint8Array(64 << 10));
      const p = new TarParser({ entry: (e) => { expect(e.size).toBe(2 ** 40); } });
      for (let i = 0; i < input.length; i += 4096) p.push(input.subarray(i, i + 4096));
      const err = expectError(thrown(() => p.finish()), 'TRUNCATED', input.length, 'huge');
      expect(err.message).toContain(String(2 ** 40 - (input.length - (arch.length - 512))));
      expect(performance.now() - t0).toBeLessThan(1000);
      expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 << 20);
    });
  }

  it('a PAX header larger than maxHeaderBytes: TOO_LARGE before reading it', () => {
    const records: [string, string][] = [['path', 'x'.repeat(3000)]];
    const t = tarOf(file('first', 'a'), pax(records, file('short', '')));
    expectError(thrown(() => parseBytes(t, 512, { maxHeaderBytes: 2048 })), 'TOO_LARGE', 1024);
    expect(parseBytes(t, 512, { maxHeaderBytes: 4096 }).entries[1].name).toBe('x'.repeat(3000));
  });

  it('a PAX header announcing 2^40 bytes: TOO_LARGE with the default limit (1 MiB)', () => {
    const t = concat(member({ name: 'PaxHeaders/x', typeflag: 'x', size: 2n ** 40n }), new Uint8Array(2048));
    expectError(thrown(() => parseBytes(t)), 'TOO_LARGE', 0);
  });

  it('GNU long names count against the limit too, also when split over several headers', () => {
    const long = gnuLong('L', 'n'.repeat(1500), gnuLong('K', 'k'.repeat(1500), file('x', '')));
    expectError(thrown(() => parseBytes(tarOf(long), 512, { maxHeaderBytes: 2000 })), 'TOO_LARGE', 2048);
    expect(parseBytes(tarOf(long), 512, { maxHeaderBytes: 4000 }).entries[0]).toMatchObject({ name: 'n'.repeat(1500), linkname: 'k'.repeat(1500) });
  });
});

describe('malformed extension headers', () => {
  it('PAX record with a wrong length: BAD_TAR at its header', () => {
    const recs = new TextEncoder().encode('30 path=short\n');
    expectError(thrown(() => parseBytes(tarOf(file('a', ''), pax(recs, file('b', ''))))), 'BAD_TAR', 512);
  });

  it('PAX record without "=": BAD_TAR', () => {
    expectError(thrown(() => parseBytes(tarOf(pax(new TextEncoder().encode('9 pathx\n'), file('b', ''))))), 'BAD_TAR', 0);
  });

  it('LIBARCHIVE.xattr value that is not base64: BAD_TAR', () => {
    expectError(thrown(() => parseBytes(tarOf(file('a', ''), pax([['LIBARCHIVE.xattr.user.a', '!!!']], file('b', ''))))), 'BAD_TAR', 512, 'b');
  });

  it('extension headers followed by the end of the archive: BAD_TAR', () => {
    expectError(thrown(() => parseBytes(concat(pax([['path', 'p']]), END))), 'BAD_TAR', 1024);
  });
});

describe('after an error', () => {
  it('the parser stays failed; a throwing visitor or sink stops it the same way', () => {
    const p = new TarParser({ entry: () => { throw new Error('visitor says no'); } });
    expect(() => p.push(tarOf(file('a', 'x')))).toThrow('visitor says no');
    expect(() => p.push(new Uint8Array(512))).toThrow('visitor says no');
    expect(() => p.finish()).toThrow('visitor says no');
    const q = new TarParser({ entry: () => ({ data() { throw new Error('sink full'); }, end() {} }) });
    expect(() => q.push(tarOf(file('a', 'x')))).toThrow('sink full');
    const r = new TarParser({ entry: () => {} });
    r.finish();
    expectError(thrown(() => r.push(new Uint8Array(1))), 'INTERNAL', 0);
  });

  it('errors carry the file name given to the parser', () => {
    const p = new TarParser({ entry: () => {} }, { file: 'layer.tar' });
    p.push(header({ name: 'x' }).subarray(0, 100));
    const err = thrown(() => p.finish()) as LayerlabError;
    expect(err.context.file).toBe('layer.tar');
    expect(err.describe()).toContain('uncompressed offset 100');
  });
});
