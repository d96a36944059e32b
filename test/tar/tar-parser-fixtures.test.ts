/**
 * Every tar among the shared fixtures (real archives from stargz-snapshotter, nydus and
 * nydus-snapshotter test data) read by our parser and by Python's tarfile: same members, same
 * metadata, same data digests, same offsets. Also pushed in awkward chunk sizes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { expectSameAsPython, hex, parseBytes, pythonViews, tempDir, type PyMember } from './support.ts';

const FIXTURES = join(import.meta.dirname, '../../../shared/fixtures');
const dirs = ['estargz/inputs', 'nydus/dragonflyoss-nydus/inputs', 'nydus/nydus-snapshotter'];
const files = dirs.flatMap((d) => readdirSync(join(FIXTURES, d)).filter((f) => /\.tar(\.gz)?$/.test(f)).map((f) => join(FIXTURES, d, f)));
const tmp = tempDir('fixtures');
afterAll(() => tmp.remove());
const loaded = new Map<string, { bytes: Uint8Array; path: string }>();
let python: Record<string, PyMember[]> = {};
beforeAll(() => {
  for (const f of files) loaded.set(f, load(f));
  python = pythonViews([...loaded.values()].map((l) => l.path));
});

/** The uncompressed tar, also on disk for tarfile (the .tar.gz ones are gunzipped first). */
function load(file: string): { bytes: Uint8Array; path: string } {
  if (!file.endsWith('.gz')) return { bytes: new Uint8Array(readFileSync(file)), path: file };
  const bytes = new Uint8Array(gunzipSync(readFileSync(file)));
  const path = join(tmp.path, basename(file, '.gz'));
  writeFileSync(path, bytes);
  return { bytes, path };
}

describe('shared fixture tars', () => {
  it('are there', () => {
    expect(files.length).toBeGreaterThanOrEqual(9);
  });

  for (const file of files) {
    const label = file.slice(FIXTURES.length + 1);
    it(`${label}: same as tarfile, in any chunking`, () => {
      const { bytes, path } = loaded.get(file)!;
      const whole = parseBytes(bytes);
      expectSameAsPython(whole, python[path], label);
      const view = (p: typeof whole) => p.entries.map((e, i) => [hex(e.nameBytes), e.type, e.headerOffset, e.dataOffset, e.size, hex(p.bodies[i])]);
      const expected = view(whole);
      // Tiny pushes cost ~1 s per MB; bigger fixtures get bigger (still block-straddling) ones.
      const chunkings: (number | number[])[] = bytes.length < 50_000 ? [1, 7, [511, 513]] : bytes.length < 1e6 ? [7, [511, 513], 4093] : [[511, 513], 4093, 65539];
      for (const c of chunkings) {
        const p = parseBytes(bytes, c);
        expect(view(p), `${label} in ${c}-byte pushes`).toEqual(expected);
        expect(p.endOfArchive).toBe(whole.endOfArchive);
        expect(p.offset).toBe(bytes.length);
      }
    });
  }
});
