/**
 * A whole Nydus image (our converter's output of the corpus image layered-oci) read back through
 * the image analysis (`ls`, `cat`, `inspect`) and through `nydus inspect|check|cat`, against the
 * corpus' ground truth and the source image.
 *
 * Which tree columns a bootstrap preserves: path (bytes), type, mode (07777), uid, gid, size,
 * symlink target and device numbers are stored as they are; the sha256 column is computed by
 * reading each file's chunks. One column is not recorded: for hard links, *which* name the tar
 * stored first. A bootstrap only says that several names share an inode; layerlab takes the first
 * name in tree order as the file and the others as hard links to it. In layered-oci the tar's
 * first names also sort first, so the whole expect-tree.tsv matches; an image whose hard link
 * sorts before its target would differ in the type and link columns of those rows (and only there).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { ROOT, layerlab } from '../helpers/cli.ts';

const CORPUS = resolve(ROOT, '.cache/corpus');
const SOURCE = join(CORPUS, 'layered-oci/image');
let dir: string;
let archive: string;
let layout: string;

/** The CLI's stdout as bytes (for `cat`). */
function catBytes(...args: string[]): Buffer {
  const r = spawnSync(resolve(ROOT, 'bin/layerlab'), args, { cwd: ROOT, maxBuffer: 256 << 20 });
  expect(r.status, String(r.stderr)).toBe(0);
  return r.stdout;
}

beforeAll(() => {
  expect(existsSync(SOURCE), 'the corpus is missing: run test/corpus/ensure-corpus.sh').toBe(true);
  dir = mkdtempSync(join(tmpdir(), 'layerlab-nydus-image-'));
  archive = join(dir, 'layered-nydus.tar');
  layout = join(dir, 'layered-nydus');
  for (const out of [archive, layout]) {
    const r = layerlab('convert', SOURCE, '--to', 'nydus', '-o', out);
    expect(r.status, r.stderr).toBe(0);
  }
}, 120_000);

describe('a Nydus image through the image analysis', () => {
  it('ls --tsv equals the corpus expect-tree.tsv (every column)', () => {
    const r = layerlab('ls', archive, '--tsv');
    expect(r.status, r.stderr).toBe(0);
    const want = readFileSync(join(CORPUS, 'layered-oci/expect-tree.tsv'), 'utf8');
    const got = new Set(r.stdout.split('\n')), exp = new Set(want.split('\n'));
    expect([...got].filter((l) => !exp.has(l)).slice(0, 20)).toEqual([]);
    expect([...exp].filter((l) => !got.has(l)).slice(0, 20)).toEqual([]);
    expect(r.stdout).toBe(want);
  }, 60_000);

  it('the OCI layout form gives the same tree', () => {
    const a = layerlab('ls', layout, '--tsv'), b = layerlab('ls', archive, '--tsv');
    expect(a.status, a.stderr).toBe(0);
    expect(a.stdout).toBe(b.stdout);
  }, 60_000);

  it('cat of files equals the source image', () => {
    for (const p of ['etc/os-release', 'usr/bin/perl5.36.0', 'srv/lab/hl/orig', 'etc/passwd']) {
      expect(catBytes('cat', archive, p).equals(catBytes('cat', SOURCE, p)), p).toBe(true);
    }
  }, 60_000);

  it('inspect --report: blob layers are Nydus (digest and diffID checked), the report has the nydus section', () => {
    const r = layerlab('inspect', archive, '--report');
    expect(r.status, r.stderr).toBe(0);
    const rep = JSON.parse(r.stdout);
    const n = rep.layers.length;
    for (const l of rep.layers.slice(0, n - 1)) {
      expect(l.lazyFormat).toBe('nydus');
      expect(l.error).toBeUndefined();
      expect(l.digestCheck).toBe('ok');
      expect(l.diffIDCheck).toBe('ok');
    }
    expect(rep.layers[n - 1].format).toBe('gzip');
    expect(rep.nydus.input).toBe('image');
    expect(rep.nydus.rafsVersion).toBe(6);
    expect(rep.nydus.bootstrapLayer).toBe(n - 1);
    expect(rep.nydus.blobs.map((b: { layer: number }) => b.layer).sort()).toEqual([...Array(n - 1).keys()]);
    expect(rep.nydus.layers).toHaveLength(n - 1);
    // Cross-layer dedup of the converter shows up per layer.
    expect(rep.nydus.layers.some((l: { dedupChunks: number }) => l.dedupChunks > 0)).toBe(true);
    expect(rep.problems).toEqual([]);
    const src = JSON.parse(layerlab('inspect', SOURCE, '--report').stdout);
    expect(rep.merged).toEqual(src.merged);
  }, 60_000);
});

describe('nydus inspect|check|cat on a whole image', () => {
  it('check passes (every chunk of every blob verified, each layer TOC ok)', () => {
    for (const src of [archive, layout]) {
      const r = layerlab('nydus', 'check', src);
      expect(r.status, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^OK$/m);
      expect(r.stdout).not.toMatch(/not in the image/);
    }
  }, 120_000);

  it('inspect names the bootstrap layer and the blob layers', () => {
    const r = layerlab('nydus', 'inspect', archive, '--json');
    expect(r.status, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.version).toBe(6);
    expect(j.image.blobLayers.length).toBe(j.blobs.length);
    for (const b of j.blobs) expect(b.layer).toBeGreaterThanOrEqual(0);
  });

  it('cat reads a file through the image bootstrap', () => {
    expect(catBytes('nydus', 'cat', archive, '/etc/os-release').equals(catBytes('cat', SOURCE, 'etc/os-release'))).toBe(true);
  });
});

/** The bootstrap layer of the layout: the manifest's last layer. */
function bootstrapDigest(): string {
  const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8'));
  const manifest = JSON.parse(readFileSync(join(layout, 'blobs/sha256', index.manifests[0].digest.slice(7)), 'utf8'));
  return manifest.layers.at(-1).digest.slice(7);
}

describe('lone Nydus inputs open as one pseudo-layer', () => {
  it('a per-layer blob and a bare bootstrap', () => {
    const r = layerlab('nydus', 'inspect', layout, '--json');
    const j = JSON.parse(r.stdout);
    const base = j.blobs.find((b: { layer: number }) => b.layer === 0).effectiveId;
    const blob = join(layout, 'blobs/sha256', base);
    const ls = layerlab('ls', blob);
    expect(ls.status, ls.stderr).toBe(0);
    expect(ls.stdout).toMatch(/^etc\/$/m);
    const cat = catBytes('cat', blob, 'usr/lib/os-release');
    expect(cat.equals(catBytes('cat', SOURCE, 'usr/lib/os-release', '--layer', '0'))).toBe(true);
    const rep = JSON.parse(layerlab('inspect', blob, '--report').stdout);
    expect(rep.nydus.input).toBe('layer-blob');
    expect(rep.layers[0].lazyFormat).toBe('nydus');

    // The image bootstrap alone: the tree, no data to read.
    const bootLayer = join(layout, 'blobs/sha256', bootstrapDigest());
    const x = join(dir, 'boot');
    spawnSync('mkdir', ['-p', x]);
    expect(spawnSync('tar', ['-xzf', bootLayer, '-C', x]).status).toBe(0);
    const bare = join(x, 'image/image.boot');
    const tree = layerlab('ls', bare, '--long');
    expect(tree.status, tree.stderr).toBe(0);
    expect(tree.stdout).toMatch(/ usr\/bin\/perl$/m);
    const brep = JSON.parse(layerlab('inspect', bare, '--report').stdout);
    expect(brep.nydus.input).toBe('bootstrap');
    expect(brep.merged.files).toBeGreaterThan(1000);
    const c = layerlab('cat', bare, 'usr/lib/os-release');
    expect(c.status).toBe(1);
    expect(c.stderr).toMatch(/not a file with content|no content/);
  }, 60_000);
});
