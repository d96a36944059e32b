import { describe, it, expect, beforeAll } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { ROOT, SHARED, layerlab, run } from '../helpers/cli.ts';
import { CORPUS, convert, corpusImage, corpusRows } from './support.ts';

/**
 * OCI ⇄ Nydus at the image level on every image of the corpus (../shared/tools/corpus), judged by
 * the independent nydus-oracle (its own RAFS v6 decoder, the nydus tables, the per-layer TOCs and
 * chunk digests, then erofs-utils' fsck.erofs --extract) and by the corpus' own ground truth.
 */
const ORACLE = resolve(SHARED, 'tools/nydus-oracle/nydus-oracle.py');
const rows = corpusRows().filter(([, kind]) => kind !== 'layer');
const imagePath = corpusImage;

let out: string;
beforeAll(() => {
  out = mkdtempSync(join(tmpdir(), 'layerlab-nydus-'));
});


/**
 * Runs `nydus-oracle image --extract`. It must pass, with one allowance that is the checker's
 * environment, not the image: run as root (needed here to create device nodes), fsck.erofs 1.5
 * `--preserve-owner` chowns each file after setting its mode, and the kernel clears S_ISUID and
 * S_ISGID on chown; so the extracted copies of set-id programs lack those bits, while the
 * oracle's own decoder (and the corpus' ground truth, compared below) has them.
 */
function oracleImage(image: string, digests: 'auto' | 'none' = 'auto'): { dir: string; text: string } {
  const dir = mkdtempSync(join(out, 'oracle-'));
  const r = spawnSync('python3', [ORACLE, 'image', '--extract', '--digests', digests, image, join(dir, 'o')], { encoding: 'utf8', maxBuffer: 256 << 20 });
  const text = r.stdout + r.stderr;
  const fails = text.split('\n').filter((l) => l.startsWith('FAIL'));
  if (r.status !== 0) {
    expect(fails.length, text.slice(-4000)).toBe(1);
    expect(fails[0]).toMatch(/^FAIL {2}fsck-extract and own-parser agree/);
    const diffs = text.split('\n').filter((l) => /^\s+diff /.test(l));
    expect(diffs.length).toBeGreaterThan(0);
    for (const d of diffs) {
      const m = /mode: fsck-extract=(\d+) own-parser=(\d+)$/.exec(d);
      expect(m, d).not.toBeNull();
      const [fsck, own] = [parseInt(m![1], 8), parseInt(m![2], 8)];
      expect(own & 0o6000, d).not.toBe(0);
      expect(fsck, d).toBe(own & ~0o6000);
    }
  }
  expect(text).toMatch(/OK {4}fsck\.erofs exit 0 \(with --extract\)/);
  return { dir: join(dir, 'o'), text };
}

/**
 * The oracle's tree of the merged bootstrap, in the corpus' expect-tree.tsv columns (path, type,
 * mode, uid, gid, size, sha256, link). A bootstrap has no "hardlink" type: every name of a link
 * group is a regular file sharing one inode, so the corpus' hardlink rows are compared as files
 * and the group is checked to share one nid.
 */
function compareTreeBoot(oracleDir: string, name: string) {
  const boot = readFileSync(join(oracleDir, 'tree-boot.tsv'), 'utf8').trim().split('\n').map((l) => l.split('\t'));
  const want = readFileSync(join(CORPUS, name, 'expect-tree.tsv'), 'utf8').trim().split('\n').map((l) => l.split('\t'));
  const type: Record<string, string> = { reg: 'file', dir: 'dir', symlink: 'symlink', chr: 'char', blk: 'block', fifo: 'fifo' };
  const got = new Map<string, string>();
  const nid = new Map<string, string>();
  // The oracle prints valid UTF-8 names as they are; the corpus escapes every byte ≥ 0x80 as \xHH.
  const escape = (s: string) => [...s].map((c) => (c.codePointAt(0)! < 0x80 ? c : [...new TextEncoder().encode(c)].map((b) => `\\x${b.toString(16).padStart(2, '0')}`).join(''))).join('');
  for (const [path, t, mode, size, sha, target, uid, gid, , , n] of boot) {
    if (path === '/') continue;
    const p = escape(path.slice(1));
    nid.set(p, n);
    const kind = type[t] ?? t;
    const link = kind === 'symlink' ? escape(target) : kind === 'char' || kind === 'block' ? target.replace(':', ',') : '-';
    got.set(p, [p, kind, (parseInt(mode, 8) & 0o7777).toString(8).padStart(4, '0'), uid, gid, kind === 'file' ? size : '0', kind === 'file' ? sha : '-', link].join('\t'));
  }
  const exp = new Map<string, string>();
  for (const w of want) {
    const [p, kind, mode, uid, gid, size, sha, link] = w;
    if (kind === 'hardlink') {
      expect(nid.get(p), `${p} shares the inode of ${link}`).toBe(nid.get(link));
      exp.set(p, [p, 'file', mode, uid, gid, size, sha, '-'].join('\t'));
    } else exp.set(p, [p, kind, mode, uid, gid, kind === 'file' ? size : '0', sha, link].join('\t'));
  }
  const missing = [...exp.keys()].filter((k) => !got.has(k));
  const extra = [...got.keys()].filter((k) => !exp.has(k));
  expect({ missing: missing.slice(0, 10), extra: extra.slice(0, 10) }).toEqual({ missing: [], extra: [] });
  const differ = [...exp].filter(([k, v]) => got.get(k) !== v).map(([k, v]) => `want ${v}\n got ${got.get(k)}`);
  expect(differ.slice(0, 10)).toEqual([]);
}

describe('OCI → Nydus: every corpus image passes nydus-oracle, and its merged tree is the ground truth', () => {
  for (const [name] of rows) {
    // The oracle's BLAKE3 is pure Python (~0.5 MB/s): one image has its first 64 MiB of chunk
    // digests checked; the sha256 runs below check every chunk digest of theirs.
    const digests = name === 'layered-oci' ? 'auto' : 'none';
    it(`${name} (zstd, blake3${digests === 'auto' ? ', 64 MiB of chunk digests checked' : ''})`, () => {
      const o = join(out, `${name}.nydus.tar`);
      const r = convert(imagePath(name), '--to', 'nydus', '-o', o);
      expect(r.layers.at(-1).to.annotations['containerd.io/snapshot/nydus-bootstrap']).toBe('true');
      compareTreeBoot(oracleImage(o, digests).dir, name);
    });
  }
  for (const [name] of rows) {
    it(`${name} (compressor none, sha256 digests, 64 KiB chunks: every chunk digest checked)`, () => {
      const o = join(out, `${name}.nydus-none`);
      convert(imagePath(name), '--to', 'nydus', '--compressor', 'none', '--digester', 'sha256', '--chunk-size', '65536', '-o', o);
      compareTreeBoot(oracleImage(o).dir, name);
    });
  }
  // lz4_block: raw LZ4 blocks (spec §3.3) from our own encoder, read back by the oracle's own
  // LZ4 decoder (pure Python, hence one image) and then by fsck.erofs over the blob caches.
  it('layered-oci (compressor lz4_block, blake3; chunk data and the CI array in LZ4 blocks)', () => {
    const o = join(out, 'layered-oci.nydus-lz4');
    const r = convert(imagePath('layered-oci'), '--to', 'nydus', '--compressor', 'lz4_block', '-o', o);
    expect(r.layers.length).toBeGreaterThan(1);
    const { dir, text } = oracleImage(o, 'none');
    // every blob (one per layer) stores LZ4 chunks, and the big layer's CI array is LZ4 too
    const blobs = text.split('\n').filter((l) => /^\s+blob \d+: [0-9a-f]{64} comp=/.test(l));
    expect(new Set(blobs.map((l) => /[0-9a-f]{64}/.exec(l)![0])).size).toBe(r.layers.length - 1);
    for (const b of blobs) expect(b).toMatch(/comp=lz4_block digest=blake3/);
    expect(text).toMatch(/toc blob\.meta +flags=0x4\(lz4_block\)/);
    compareTreeBoot(dir, 'layered-oci');
  });
});

describe('the image around the Nydus layers', () => {
  it('manifest, config and index as nydus-snapshotter writes them (spec §6.5)', () => {
    const o = join(out, 'layered.nydus');
    const r = convert(imagePath('layered-oci'), '--to', 'nydus', '-o', o);
    const index = JSON.parse(readFileSync(join(o, 'index.json'), 'utf8'));
    expect(index.manifests[0].platform['os.features']).toContain('nydus.remoteimage.v1');
    const manifest = JSON.parse(readFileSync(join(o, 'blobs/sha256', index.manifests[0].digest.slice(7)), 'utf8'));
    const config = JSON.parse(readFileSync(join(o, 'blobs/sha256', manifest.config.digest.slice(7)), 'utf8'));
    const blobs = manifest.layers.slice(0, -1);
    const boot = manifest.layers.at(-1);
    for (const l of blobs) {
      expect(l.mediaType).toBe('application/vnd.oci.image.layer.nydus.blob.v1');
      expect(l.annotations).toEqual({ 'containerd.io/snapshot/nydus-blob': 'true' });
    }
    expect(boot.mediaType).toBe('application/vnd.oci.image.layer.v1.tar+gzip');
    expect(boot.annotations).toEqual({ 'containerd.io/snapshot/nydus-bootstrap': 'true', 'containerd.io/snapshot/nydus-fs-version': '6' });
    // Blob layers are uncompressed tars: their diffID is their digest; the bootstrap's is its tar's.
    expect(config.rootfs.diff_ids.slice(0, -1)).toEqual(blobs.map((l: { digest: string }) => l.digest));
    const bootTar = run('sh', ['-c', `gzip -dc '${join(o, 'blobs/sha256', boot.digest.slice(7))}' | sha256sum`]).split(' ')[0];
    expect(config.rootfs.diff_ids.at(-1)).toBe(`sha256:${bootTar}`);
    expect(config.history.at(-1)).toEqual({ created_by: 'Nydus Converter', comment: 'Nydus Bootstrap Layer' });
    const src = JSON.parse(run('skopeo', ['inspect', '--config', '--raw', `oci:${imagePath('layered-oci')}`]));
    expect(config.history.slice(0, -1)).toEqual(src.history);
    expect(r.layers.filter((l: { summary?: string }) => /found in lower layers/.test(l.summary ?? '')).length).toBeGreaterThan(0);
    // skopeo copies it (every blob digest checked).
    run('skopeo', ['copy', '-q', `oci:${o}`, `dir:${join(out, 'skopeo-nydus')}`]);
  });

  it('a Docker source keeps Docker media types around the Nydus blob layers unless --oci', () => {
    const o = join(out, 'docker.nydus.tar');
    convert(imagePath('layered-docker-archive'), '--to', 'nydus', '-o', o);
    const m = JSON.parse(run('skopeo', ['inspect', '--raw', `oci-archive:${o}`]));
    expect(m.mediaType).toBe('application/vnd.docker.distribution.manifest.v2+json');
    expect(m.layers.at(-1).mediaType).toBe('application/vnd.docker.image.rootfs.diff.tar.gzip');
    const o2 = join(out, 'docker-oci.nydus.tar');
    convert(imagePath('layered-docker-archive'), '--to', 'nydus', '--oci', '-o', o2);
    expect(JSON.parse(run('skopeo', ['inspect', '--raw', `oci-archive:${o2}`])).mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
  });
});

describe('OCI → Nydus → OCI reproduces every layer', () => {
  for (const [dedup, extra] of [[true, []], [false, ['--no-dedup']], [true, ['--compressor', 'lz4_block']]] as const) {
    it(`layered-oci${extra.length ? ` (${extra.join(' ')})` : ''}: per layer, paths, types, modes, uid/gid, xattrs, link targets and content sha256 survive`, () => {
      const src = imagePath('layered-oci');
      const tag = `${dedup}-${extra.length}`;
      const ny = join(out, `rt-${tag}.nydus`);
      convert(src, '--to', 'nydus', ...extra, '-o', ny);
      const back = join(out, `rt-${tag}.oci`);
      const r = convert(ny, '--to', 'gzip', '-o', back);
      const srcIndex = JSON.parse(readFileSync(join(src, 'index.json'), 'utf8'));
      const srcManifest = JSON.parse(readFileSync(join(src, 'blobs/sha256', srcIndex.manifests[0].digest.slice(7)), 'utf8'));
      expect(r.layers).toHaveLength(srcManifest.layers.length);
      srcManifest.layers.forEach((l: { digest: string }, i: number) => {
        const a = run('python3', [join(ROOT, 'test/convert/py/layer-entries.py'), join(src, 'blobs/sha256', l.digest.slice(7))]).trim().split('\n');
        const b = run('python3', [join(ROOT, 'test/convert/py/layer-entries.py'), join(back, 'blobs/sha256', r.layers[i].to.digest.slice(7))]).trim().split('\n');
        // A tar may leave parent directories implicit (`usr/share/doc/x` without `usr/`); a
        // bootstrap cannot, so nydus makes them (0755, root, spec §5) and unpack writes them out.
        const paths = new Set(a.map((x) => JSON.parse(x).path as string));
        const implicit = (x: string) => {
          const e = JSON.parse(x);
          return !paths.has(e.path) && e.type === 'dir' && e.mode === '0o755' && e.uid === 0 && e.gid === 0 && [...paths].some((p) => p.startsWith(e.path + '/'));
        };
        // umoci writes whiteouts for the old children of a directory the same layer replaces with
        // a file (`was-dir`, then `was-dir/.wh.a`); the file hides them anyway, and a bootstrap
        // cannot hold a name under a file, so the builder drops those (and only those) markers.
        const types = new Map(a.map((x) => { const e = JSON.parse(x); return [e.path as string, e.type as string]; }));
        const underFile = (x: string) => {
          const p = JSON.parse(x).path as string;
          const parent = p.slice(0, p.lastIndexOf('/'));
          return p.slice(p.lastIndexOf('/') + 1).startsWith('.wh.') && types.has(parent) && types.get(parent) !== 'dir';
        };
        expect(b.filter((x) => !implicit(x)), `layer ${i}`).toEqual(a.filter((x) => !underFile(x)));
      });
      // And the merged file system of the image that comes back is the corpus' ground truth.
      const tree = layerlab('ls', back, '--tsv');
      expect(tree.status, tree.stderr).toBe(0);
      const want = readFileSync(join(CORPUS, 'layered-oci', 'expect-tree.tsv'), 'utf8');
      const norm = (t: string) => t.trim().split('\n').map((l) => { const c = l.split('\t'); return c[1] === 'hardlink' ? [c[0], 'file', ...c.slice(2, 7), '-'].join('\t') : l; }).sort();
      expect(norm(tree.stdout)).toEqual(norm(want));
    });
  }
});
