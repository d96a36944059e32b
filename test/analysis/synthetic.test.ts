import { describe, it, expect, beforeAll } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createHash } from 'node:crypto';
import { SHARED, layerlab, run } from '../helpers/cli.ts';

/**
 * Whiteout, opaque-directory, implicit-directory and hard-link semantics on the corpus'
 * hand-made images (make-synthetic.py). The numbers below were worked out by hand in
 * ../shared/tools/corpus/selftest.py (see its comments); expect.py is a second, independent check.
 */
const TOOLS = resolve(SHARED, 'tools/corpus');
const Z = { file: 0, dir: 0, symlink: 0, hardlink: 0, char: 0, block: 0, fifo: 0 };
const LAYERS = [
  { entries: { ...Z, file: 10, dir: 5, symlink: 1, hardlink: 1 }, fileBytes: 571, whiteouts: 0, opaqueDirs: 0, wastedBytes: 500 },
  { entries: { ...Z, file: 3, dir: 2 }, fileBytes: 26, whiteouts: 3, opaqueDirs: 1, wastedBytes: 8 },
  { entries: { ...Z, file: 3, dir: 1, symlink: 1, char: 1, block: 1, fifo: 1 }, fileBytes: 16, whiteouts: 1, opaqueDirs: 0, wastedBytes: 12 },
  { entries: { ...Z, file: 2, hardlink: 1 }, fileBytes: 1, whiteouts: 0, opaqueDirs: 0, wastedBytes: 0 },
];
const MERGED = { files: 7, dirs: 7, symlinks: 2, hardlinks: 2, char: 1, block: 1, fifo: 1, totalBytes: 94 };
const TREE_ROWS = [
  `hl/link\thardlink\t0644\t0\t0\t60\t${createHash('sha256').update('t'.repeat(60)).digest('hex')}\thl/target`,
  'plain\tdir\t0755\t0\t0\t0\t-\t-',
  'morph\tsymlink\t0644\t0\t0\t0\t-\thl',
  'dev/sda\tblock\t0644\t0\t0\t0\t-\t8,0',
];

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'layerlab-synth-'));
  run('python3', [resolve(TOOLS, 'make-synthetic.py'), dir]);
});

describe('synthetic images (hand-worked numbers)', () => {
  for (const name of ['oci', 'docker.tar']) {
    it(`${name}: per-layer figures, merged figures and tree rows`, () => {
      const r = layerlab('inspect', join(dir, name), '--json');
      expect(r.status, r.stderr).toBe(0);
      const got = JSON.parse(r.stdout);
      expect(got.platform).toBe('linux/amd64');
      expect(got.merged).toStrictEqual(MERGED);
      expect(got.layers).toHaveLength(4);
      LAYERS.forEach((want, i) => expect(got.layers[i]).toMatchObject(want));
      expect(got.layers.map((l: { format: string }) => l.format)).toEqual(name === 'oci' ? ['gzip', 'none', 'zstd', 'gzip'] : ['none', 'none', 'none', 'none']);
      if (name === 'docker.tar') {
        for (const l of got.layers) {
          expect(l.digest).toBe(l.diffID);
          expect(l.mediaType).toBe('application/vnd.docker.image.rootfs.diff.tar');
        }
      }
      const tree = layerlab('ls', join(dir, name), '--tsv').stdout.split('\n').filter(Boolean);
      for (const row of TREE_ROWS) expect(tree).toContain(row);
      expect(tree).toHaveLength(Object.entries(MERGED).filter(([k]) => k !== "totalBytes").reduce((s, [, v]) => s + v, 0));
      // and everything equals the independent implementation
      expect(got).toStrictEqual(JSON.parse(run('python3', [resolve(TOOLS, 'expect.py'), join(dir, name)])));
      expect(tree.join('\n') + '\n').toBe(run('python3', [resolve(TOOLS, 'expect.py'), '--tree', join(dir, name)]));
    });
  }

  it('a lone layer: markers with nothing below, implicit parents', () => {
    const r = layerlab('inspect', join(dir, 'layer1.tar'), '--json');
    expect(r.status, r.stderr).toBe(0);
    const got = JSON.parse(r.stdout);
    expect(got.platform).toBeNull();
    expect(got.merged).toStrictEqual({ files: 3, dirs: 3, symlinks: 0, hardlinks: 0, char: 0, block: 0, fifo: 0, totalBytes: 26 });
    const l = got.layers[0];
    expect(l).toMatchObject({ wastedBytes: 0, whiteouts: 3, opaqueDirs: 1, format: 'none', mediaType: 'application/vnd.oci.image.layer.v1.tar' });
    expect(l.digest).toBe(l.diffID);
  });
});
