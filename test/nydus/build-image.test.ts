/**
 * Merge, image assembly, cross-layer dedup, unpack and bad input of the Nydus builder, judged by
 * nydus-oracle (`image --extract`, `check --extract`), Python's tarfile and the OCI whiteout
 * rules as build-fixtures.py applies them.
 */
import { describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { fromBytes } from '../../src/core/bytes/memory-source.ts';
import type { Digest } from '../../src/core/digest/digest.ts';
import { LayerlabError } from '../../src/core/errors.ts';
import { decodeBootstrapV6 } from '../../src/core/formats/nydus/bootstrap-v6.ts';
import { nydusFormat } from '../../src/core/formats/nydus/index.ts';
import {
  nydusBlobDescriptor, nydusBootstrapDescriptor, nydusBootstrapLayer, NYDUS_BOOTSTRAP_HISTORY, NYDUS_OS_FEATURE,
} from '../../src/core/formats/nydus/build/image.ts';
import { addToChunkDict, buildNydusLayer, createChunkDict, type NydusBuildOptions, type NydusLayerResult } from '../../src/core/formats/nydus/build/layer.ts';
import { mergeBootstraps } from '../../src/core/formats/nydus/merge.ts';
import { unpackNydusLayer } from '../../src/core/formats/nydus/unpack.ts';
import type { Descriptor, ImageConfig, ImageManifest } from '../../src/core/image/types.ts';
import { buildLayerFile, expectedTree, fileChunks, makeTar, oracle, richSpec, tarEntries, tmp, treeBootRows, type Spec } from './build-helpers.ts';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

const LAYERS: Spec[] = [
  [
    { name: 'etc/', type: 'dir' },
    { name: 'etc/os-release', type: 'file', data: 'ID=test\n' },
    { name: 'etc/gone', type: 'file', data: 'to be whited out\n' },
    { name: 'opaque/', type: 'dir', mode: 0o750 },
    { name: 'opaque/old1', type: 'file', data: 'old1' },
    { name: 'opaque/sub/old2', type: 'file', data: 'old2' },
    { name: 'tree/x/y/z', type: 'file', data: 'zzz' },
    { name: 'big.bin', type: 'file', random: 7, size: 3_000_000 },
    { name: 'replace-me', type: 'file', data: 'file first' },
    { name: 'usr/bin/tool', type: 'file', data: 'tool v1', mode: 0o755 },
    { name: 'usr/bin/tool-link', type: 'hardlink', target: 'usr/bin/tool' },
  ],
  [
    { name: 'etc/.wh.gone', type: 'file', data: '' },
    { name: 'opaque/.wh..wh..opq', type: 'file', data: '' },
    { name: 'opaque/new', type: 'file', data: 'new', xattrs: { 'user.k': 'v' } },
    { name: '.wh.tree', type: 'file', data: '' },
    { name: 'replace-me/', type: 'dir' },
    { name: 'replace-me/inside', type: 'file', data: 'now a dir' },
    { name: 'big-copy.bin', type: 'file', random: 7, size: 3_000_000 }, // = big.bin: dedup target
    { name: 'usr/bin/tool', type: 'file', data: 'tool v2', mode: 0o755 },
  ],
  [
    { name: 'etc/', type: 'dir', mode: 0o700, mtime: 1234567890 },
    { name: 'etc/motd', type: 'file', data: 'hi' },
    { name: 'newdir/.wh.nothing', type: 'file', data: '' },
    { name: 'newdir/f', type: 'file', data: 'f' },
  ],
];

async function buildAll(dir: string, tars: string[], o: NydusBuildOptions & { dedup?: boolean } = {}) {
  const dict = o.dedup ? createChunkDict(o.digester ?? 'blake3', o.chunkSize) : undefined;
  const results: NydusLayerResult[] = [];
  const paths: string[] = [];
  for (let i = 0; i < tars.length; i++) {
    const p = join(dir, `layer${i}.nydus`);
    const r = await buildLayerFile(tars[i], p, { ...o, chunkDict: dict, layer: i });
    if (dict) addToChunkDict(dict, r);
    results.push(r);
    paths.push(p);
  }
  return { results, paths };
}

/** Writes an OCI image layout of the nydus image as the converter assembles it. */
async function writeLayout(dir: string, results: NydusLayerResult[], merged: Uint8Array): Promise<{ config: ImageConfig; manifest: ImageManifest }> {
  mkdirSync(join(dir, 'blobs/sha256'), { recursive: true });
  const put = (b: Uint8Array) => { const h = sha(b); writeFileSync(join(dir, 'blobs/sha256', h), b); return h; };
  for (let i = 0; i < results.length; i++) writeFileSync(join(dir, 'blobs/sha256', results[i].blobId), readFileSync(join(dir, '..', `layer${i}.nydus`)));
  const bl = await nydusBootstrapLayer(merged, results.filter((r) => r.blobMeta).map((r) => ({ blobId: r.blobId, ...r.blobMeta! })));
  put(bl.blob);
  const source: ImageConfig = { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, history: [{ created_by: 'test' }] };
  // Assembled here by hand, independently of the conversion spine: config = blob layer digests +
  // the bootstrap tar's sha256, the converter's history entry (spec §6.5).
  const config: ImageConfig = { ...source, rootfs: { type: 'layers', diff_ids: [...results.map((r) => r.diffId), bl.diffId] }, history: [...source.history!, { ...NYDUS_BOOTSTRAP_HISTORY }] };
  const cfgBytes = new TextEncoder().encode(JSON.stringify(config));
  const cfgDesc: Descriptor = { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${put(cfgBytes)}` as Digest, size: cfgBytes.length };
  const manifest: ImageManifest = { schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: cfgDesc, layers: [...results.map(nydusBlobDescriptor), nydusBootstrapDescriptor(bl)] };
  const mBytes = new TextEncoder().encode(JSON.stringify(manifest));
  const mDesc: Descriptor = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${put(mBytes)}` as Digest, size: mBytes.length };
  writeFileSync(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [{ ...mDesc, platform: { os: 'linux', architecture: 'amd64', 'os.features': [NYDUS_OS_FEATURE] } }] }));
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  return { config, manifest };
}

describe('merge and image', () => {
  for (const dedup of [false, true]) {
    it(`three layers${dedup ? ' with cross-layer dedup' : ''}: oracle image --extract passes and the tree follows the OCI whiteout rules`, async () => {
      const dir = tmp();
      const tars = LAYERS.map((s, i) => makeTar(dir, `l${i}`, s));
      const { results } = await buildAll(dir, tars, { dedup });
      const merged = await mergeBootstraps(results.map((r) => ({ bootstrap: r.bootstrap, blobId: r.blobId })));
      // first use in layout order: /big-copy.bin (layer 1, or layer 0's chunks with dedup) sorts before /big.bin
      expect(merged.blobIds).toEqual(dedup ? [results[0].blobId, results[2].blobId, results[1].blobId] : [results[1].blobId, results[0].blobId, results[2].blobId]);
      const boot = decodeBootstrapV6(merged.bootstrap);
      expect(boot.flags & 0x20).toBe(0x20); // HAS_XATTR always set in merged bootstraps
      expect(boot.blobs.every((b) => (b.features & 0x2) === 0)).toBe(true); // INLINED_FS_META cleared
      expect(boot.prefetch).toEqual([128]);

      if (dedup) {
        expect(results[1].dictChunks).toBe(3);
        expect(results[1].dedupSavedBytes).toBe(3_000_000);
        expect(results[1].compressedSize).toBeLessThan(10_000);
        expect(decodeBootstrapV6(results[1].bootstrap).blobs.map((b) => b.id)).toEqual(['x'.repeat(64), results[0].blobId]);
      }

      const layout = join(dir, 'oci');
      await writeLayout(layout, results, merged.bootstrap);
      const img = oracle('image', layout, join(dir, 'img'), '--extract', '--digests', 'all');
      expect(img.stdout, img.stdout + img.stderr).toMatch(/RESULT: PASS \(0 error/);

      const rows = treeBootRows(readFileSync(join(dir, 'img/tree-boot.tsv'), 'utf8'));
      expect(rows).toEqual(expectedTree(dir, tars));
      expect(rows.map((r) => r[0])).not.toContain('/tree');
      expect(rows.map((r) => r[0])).not.toContain('/newdir/.wh.nothing');
    });
  }

  it('the base layer keeps its .wh.* files (nydus quirk), an upper layer without ./ resets the root', async () => {
    const dir = tmp();
    const tars = [makeTar(dir, 'b0', [{ name: './', type: 'dir', mode: 0o700, mtime: 99 }, { name: '.wh.kept', type: 'file', data: '' }, { name: 'a', type: 'file', data: 'a' }]),
      makeTar(dir, 'b1', [{ name: 'b', type: 'file', data: 'b' }])];
    const { results } = await buildAll(dir, tars);
    const merged = await mergeBootstraps(results.map((r) => ({ bootstrap: r.bootstrap, blobId: r.blobId })));
    const nodes = decodeBootstrapV6(merged.bootstrap).nodes;
    expect(nodes.map((n) => n.path)).toEqual(['/', '/.wh.kept', '/a', '/b']);
    expect([nodes[0].mode, nodes[0].mtime]).toEqual([0o40755, 0]);
  });

  // The manifest, config and index entry are the conversion spine's (checked on real conversions
  // in test/convert/nydus.test.ts); these are the pieces the Nydus target gives it.
  it('descriptors carry what nydus-snapshotter writes, and a reverse conversion recognises the history entry it drops', () => {
    expect(nydusBlobDescriptor({ blobId: 'ab'.repeat(32), layerTarSize: 5 })).toEqual({
      mediaType: 'application/vnd.oci.image.layer.nydus.blob.v1', digest: `sha256:${'ab'.repeat(32)}`, size: 5, annotations: { 'containerd.io/snapshot/nydus-blob': 'true' },
    });
    expect(nydusBootstrapDescriptor({ digest: 'sha256:c' as Digest, size: 1 }, { docker: true })).toEqual({
      mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', digest: 'sha256:c', size: 1,
      annotations: { 'containerd.io/snapshot/nydus-bootstrap': 'true', 'containerd.io/snapshot/nydus-fs-version': '6' },
    });
    expect(NYDUS_OS_FEATURE).toBe('nydus.remoteimage.v1');
    const traits = nydusFormat.image!;
    expect(traits.isOwnHistory({ created_by: 'Nydus Converter', comment: 'Nydus Bootstrap Layer' })).toBe(true);
    expect(traits.isOwnHistory({ created_by: 'x' })).toBe(false);
    expect(traits.isMetadataLayer(nydusBootstrapDescriptor({ digest: 'sha256:c' as Digest, size: 1 }))).toBe(true);
    expect(traits.isMetadataLayer(nydusBlobDescriptor({ blobId: 'ab'.repeat(32), layerTarSize: 5 }))).toBe(false);
  });
});

describe('unpack (nydus → OCI tar)', () => {
  async function unpackToFile(layer: string, out: string, lower?: Map<string, Uint8Array>) {
    const parts: Uint8Array[] = [];
    for await (const c of unpackNydusLayer(fromBytes(readFileSync(layer), layer), { lowerBlobs: (id) => (lower?.has(id) ? fromBytes(lower.get(id)!, id) : undefined) })) parts.push(c.slice());
    writeFileSync(out, Buffer.concat(parts));
  }
  const norm = (entries: unknown[]) => (entries as Record<string, unknown>[]).map((e) => {
    const { mtime: _m, ...rest } = e;
    return rest;
  });

  it('round trip: tar → nydus layer → tar keeps paths, types, modes, owners, xattrs, link targets and contents', async () => {
    const dir = tmp();
    const tar = makeTar(dir, 'rich', richSpec());
    await buildLayerFile(tar, join(dir, 'layer.nydus'));
    await unpackToFile(join(dir, 'layer.nydus'), join(dir, 'back.tar'));
    const want = tarEntries(tar) as Record<string, unknown>[];
    const all = tarEntries(join(dir, 'back.tar')) as Record<string, unknown>[];
    // the unpacked tar also names the directories the source only implied (created 0755, root, mtime 0)
    const explicit = new Set(want.map((e) => e.path));
    const got = all.filter((e) => explicit.has(e.path));
    expect(all.filter((e) => !explicit.has(e.path)).every((e) => e.type === 'dir' && e.mode === 0o755 && e.mtime === 0)).toBe(true);
    // python resolves hard links to their target path: either name may come first after sorting
    // a hard link's owner and mode are its inode's (the target's): the link header's own are not kept
    const key = (e: Record<string, unknown>) => (e.link ? { ...e, uid: undefined, gid: undefined, mode: undefined } : e);
    expect(norm(got).filter((e) => e.path !== '/').map(key)).toEqual(norm(want).filter((e) => e.path !== '/').map(key));
    expect(got.filter((e) => e.link).length).toBe(1);
    expect(got.map((e) => [e.path, e.mtime])).toEqual(want.filter((e) => e.path !== '/').map((e) => [e.path, e.mtime]));
  });

  it('a deduplicated layer unpacks with the lower layer\'s blob; without it the error names the blob', async () => {
    const dir = tmp();
    const tars = LAYERS.slice(0, 2).map((s, i) => makeTar(dir, `l${i}`, s));
    const { results, paths } = await buildAll(dir, tars, { dedup: true });
    const lower = new Map([[results[0].blobId, readFileSync(paths[0])]]);
    await unpackToFile(paths[1], join(dir, 'back1.tar'), lower);
    const want = tarEntries(tars[1]) as Record<string, unknown>[];
    const got = (tarEntries(join(dir, 'back1.tar')) as Record<string, unknown>[]).filter((e) => want.some((w) => w.path === e.path));
    expect(got.map((e) => [e.path, e.sha256])).toEqual(want.filter((e) => e.path !== '/').map((e) => [e.path, e.sha256]));
    await expect(unpackToFile(paths[1], join(dir, 'x.tar'))).rejects.toThrow(/not available/);
  });
});

describe('bad input', () => {
  async function buildBytes(tar: string, o: NydusBuildOptions = {}) {
    return buildNydusLayer(fileChunks(tar), () => {}, { layer: 3, file: 'in.tar', ...o });
  }
  async function error(p: Promise<unknown>): Promise<LayerlabError> {
    try { await p; } catch (e) { return e as LayerlabError; }
    throw new Error('no error');
  }

  it('an xattr outside the five RAFS namespaces fails with layer, entry and offset', async () => {
    const dir = tmp();
    const tar = makeTar(dir, 'x', [{ name: 'ok', type: 'file', data: 'x' }, { name: 'f', type: 'file', data: 'x', xattrs: { 'system.nfs4_acl': 'z' } }]);
    const e = await error(buildBytes(tar));
    expect(e).toBeInstanceOf(LayerlabError);
    expect([e.code, e.context.layer, e.context.entry, e.context.file]).toEqual(['UNSUPPORTED', 3, 'f', 'in.tar']);
    expect(e.context.offset).toBe(1024);
    expect(e.message).toMatch(/system\.nfs4_acl/);
  });

  it('hostile tars: "..", dangling and non-regular hard links, truncation, long symlinks, bad chunk sizes', async () => {
    const dir = tmp();
    const cases: [Spec, string, RegExp][] = [
      [[{ name: 'a/../../etc/passwd', type: 'file', data: 'x' }], 'UNSAFE_PATH', /"\.\."/],
      [[{ name: 'h', type: 'hardlink', target: 'missing' }], 'BAD_TAR', /not earlier in this layer/],
      [[{ name: 'd/', type: 'dir' }, { name: 'h', type: 'hardlink', target: 'd' }], 'UNSUPPORTED', /regular files only/],
      [[{ name: 's', type: 'symlink', target: 'x'.repeat(5000) }], 'UNSUPPORTED', /5000-byte target/],
      [[{ name: 'f', type: 'file', data: 'x' }, { name: 'f/g', type: 'file', data: 'y' }], 'BAD_TAR', /is not a directory/],
    ];
    for (const [spec, code, msg] of cases) {
      const e = await error(buildBytes(makeTar(dir, `c${code}`, spec)));
      expect([e.code, e.context.layer], e.message).toEqual([code, 3]);
      expect(e.message).toMatch(msg);
      expect(typeof e.context.offset).toBe('number');
    }
    const tar = makeTar(dir, 'trunc', [{ name: 'f', type: 'file', random: 1, size: 100_000 }]);
    const cut = join(dir, 'cut.tar');
    writeFileSync(cut, readFileSync(tar).subarray(0, 50_000));
    const t = await error(buildBytes(cut));
    expect([t.code, t.context.layer, t.context.file]).toEqual(['TRUNCATED', 3, 'in.tar']);
    expect((await error(buildBytes(tar, { chunkSize: 5000 }))).code).toBe('UNSUPPORTED');
    const ac = new AbortController();
    ac.abort();
    expect((await error(buildBytes(tar, { signal: ac.signal }))).code).toBe('ABORTED');
  });
});
