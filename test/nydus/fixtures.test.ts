/**
 * The decoders against the real nydus artifacts in ../shared/fixtures/nydus, compared with what
 * its README documents (verified there by an independent parser and erofs-utils): superblock
 * figures, blob tables, trees (`.listing.tsv`, `.result`), chunk placement and content digests.
 */
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { fromPath } from '../../src/cli/node-sources.ts';
import { openNydus, effectiveBlobId } from '../../src/core/formats/nydus/open-bootstrap.ts';
import { openNydusLayerBlob, readEntry, verifyToc, locateEntry } from '../../src/core/formats/nydus/layer-blob.ts';
import { treeListingTsv } from '../../src/core/formats/nydus/listing.ts';
import { NydusReader } from '../../src/core/formats/nydus/reader.ts';
import { checkNydus } from '../../src/core/formats/nydus/check.ts';
import { parseBlobMetaFile } from '../../src/core/formats/nydus/blob-meta.ts';
import { createBlake3 } from '../../src/core/digest/blake3.ts';
import { SHARED } from '../helpers/cli.ts';

const F = resolve(SHARED, 'fixtures/nydus');
const DF = resolve(F, 'dragonflyoss-nydus');
const SN = resolve(F, 'nydus-snapshotter');
const SY = resolve(F, 'synthetic');
const BE7 = 'be7d77eeb719f70884758d1aa800ed0fb09d701aaec469964e9d54325f0d5fef';
const TOC_2FA = '2fa78cad554b75ac91a4a125ed148d0ddeb25efa4aaa8bd80e5dc292690a4dca';

const md5 = (b: Uint8Array) => createHash('md5').update(b).digest('hex');
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
async function blake3(b: Uint8Array) { const h = await createBlake3(); h.update(b); return h.digest().slice(7); }

describe('rafs-v6-2.2.boot + blob be7d77…', () => {
  it('superblock, blob table, tree, chunks and contents as the README states', async () => {
    const o = await openNydus(await fromPath(resolve(DF, 'rafs-v6-2.2.boot')));
    const b = o.bootstrap;
    expect(o.kind).toBe('bootstrap');
    expect([b.version, b.size, b.flags, b.chunkSize, b.inodeCount]).toEqual([6, 20480, 0x194, 1 << 20, 3]);
    expect(b.v6!.sb).toMatchObject({ metaBlkaddr: 2, rootNid: 128, blocks: 9 });
    expect(b.v6!.ext).toMatchObject({ blobTableOffset: 0x1000, blobTableSize: 256, chunkTableOffset: 0x4000, chunkTableSize: 160, prefetchTableSize: 0 });
    expect(b.prefetch).toEqual([]);
    expect(b.blobs).toHaveLength(1);
    expect(b.blobs[0]).toMatchObject({ id: BE7, chunkCount: 2, compressedSize: 14554, uncompressedSize: 36864, features: 0x7000_0021,
      ciCompressor: 'none', ciOffset: 8314, ciUncompressedSize: 32, tocSize: 1024, deviceBlocks: 9, mappedBlkaddr: 512, compressor: 'zstd', digester: 'blake3' });
    expect(b.blobs[0].tocDigest.startsWith('cfc89ed0')).toBe(true);
    const rows = b.nodes.map((n) => [n.path, n.nid, n.ino, n.mode.toString(8), n.size, n.mtime, n.chunks.map((c) => [c.blobIndex, c.ciIndex, c.blkaddr])]);
    expect(rows).toEqual([
      ['/', 128, 0, '40755', 67, 0, []],
      ['/lib.rs', 133, 2, '100644', 16931, 1676819553, [[0, 0, 0]]],
      ['/sync_io.rs', 136, 3, '100644', 13400, 1676819553, [[0, 1, 5]]],
    ]);
    const blob = await fromPath(resolve(DF, BE7));
    const reader = new NydusReader(b, () => blob);
    expect(await blake3(await reader.readFile('/lib.rs'))).toBe('f7e2735f1c6ae9cde91e537416b09d8bb71b306a421d19cc1012a51f93a7fe69');
    expect(await blake3(await reader.readFile('/sync_io.rs'))).toBe('812465bcc9e88393598311dc5fc93abaeccef0185bcd99f9701d17ebdf9adc3f');
    // A range inside the file reads only what it asks for.
    const all = await reader.readFile('/lib.rs');
    expect(await reader.readFile('/lib.rs', { offset: 100, length: 50 })).toEqual(all.subarray(100, 150));
    const r = await checkNydus(b, { blobOf: () => blob, layerDigests: [`sha256:${BE7}`] });
    expect(r.findings).toEqual([]);
    expect(r.verified[0].chunks).toBe(2);
  });

  it('the separate blob: records by tail walk, TOC with the pre-2023 image.blob offset, CI array and digests', async () => {
    const lb = await openNydusLayerBlob(await fromPath(resolve(DF, BE7)));
    expect(lb.records.map((r) => [r.name, r.offset, r.size])).toEqual([
      ['image.blob', 0, 7802], ['blob.meta', 8314, 4128], ['blob.digest', 12954, 64], ['rafs.blob.toc', 13530, 512],
    ]);
    expect(lb.toc!.entries.map((e) => e.name)).toEqual(['image.blob', 'blob.meta', 'blob.meta.header', 'blob.digest']);
    expect(lb.toc!.entries[0].compressedOffset).toBe(7802);
    expect(locateEntry(lb, 'image.blob')!.offset).toBe(0);
    expect((await verifyToc(lb)).map((t) => t.result)).toEqual(['ok', 'ok', 'ok', 'ok']);
    // README: the ToC digest is the sha256 of the last 1024 bytes (entries + header).
    const bytes = new Uint8Array(readFileSync(resolve(DF, BE7)));
    expect(sha256(bytes.subarray(bytes.length - 1024)).startsWith('cfc89ed0')).toBe(true);
  });
});

describe('per-layer nydus tar 2fa78cad… (spec §2.7)', () => {
  it('records, TOC entries and offsets as §2.7 states; image.boot extracted and decoded', async () => {
    const src = await fromPath(resolve(DF, TOC_2FA));
    const lb = await openNydusLayerBlob(src);
    expect(lb.records.map((r) => [r.name, r.offset, r.size, r.headerOffset])).toEqual([
      ['image.blob', 0, 2829, 2829], ['blob.meta', 3341, 4144, 7485], ['image.boot', 7997, 501, 8498], ['rafs.blob.toc', 9010, 512, 9522],
    ]);
    expect(lb.toc!.entries.map((e) => [e.name, e.compressor, e.compressedOffset, e.compressedSize, e.uncompressedSize])).toEqual([
      ['image.blob', 'none', 2829, 2829, 12288], ['blob.meta', 'none', 3341, 48, 48], ['blob.meta.header', 'none', 3389, 4096, 4096], ['image.boot', 'zstd', 7997, 501, 20480],
    ]);
    expect(lb.notes.join()).toMatch(/nydus ≤ 2\.2 bug/);
    expect((await verifyToc(lb)).every((t) => t.result === 'ok')).toBe(true);
    expect((await readEntry(lb, 'image.boot')).length).toBe(20480);

    const o = await openNydus(src);
    expect(o.kind).toBe('layer-blob');
    expect(o.layerDigestHex).toBe(TOC_2FA);
    const b = o.bootstrap;
    expect(b.flags).toBe(0x94);
    expect(b.blobs.map((x) => [x.id, x.features])).toEqual([['d788a0eac4ff9779bc2eae3842117a918d847d90fddbea1503f7c5296a4a7de3', 0x1]]);
    expect(b.nodes.map((n) => [n.path, n.nid, n.size])).toEqual([['/', 128, b.nodes[0].size], ['/error.rs', 133, 2816], ['/lib.rs', 136, 678], ['/logger.rs', 139, 3115]]);
    // No chunk table needed: the reader takes chunk places from the blob's CI array too.
    const reader = new NydusReader({ ...b, nodes: b.nodes.map((n) => ({ ...n, chunks: n.chunks.map((c) => ({ ...c, info: undefined })) })) }, () => src);
    expect((await blake3(await reader.readFile('/error.rs'))).startsWith('bf8f65fe')).toBe(true);
    expect((await blake3(await reader.readFile('/lib.rs'))).startsWith('28f73b40')).toBe(true);
    expect((await blake3(await reader.readFile('/logger.rs'))).startsWith('9909d80b')).toBe(true);
    const r = await checkNydus(b, { blobOf: () => src, blobIdOf: (x) => effectiveBlobId(o, x.id) });
    expect(r.ok).toBe(true);
    expect(r.verified[0].chunks).toBe(3);
  });
});

describe('nydus-snapshotter bootstrap layers', () => {
  const listing = readFileSync(resolve(SN, 'v6-bootstrap-chunk-pos-438272.listing.tsv'), 'utf8');

  it('v6: figures of the README and the tree equal to the listing (3517 entries)', async () => {
    const o = await openNydus(await fromPath(resolve(SN, 'v6-bootstrap-chunk-pos-438272.tar.gz')));
    const b = o.bootstrap;
    expect(o.kind).toBe('bootstrap-layer');
    expect([b.version, b.size, b.flags, b.compressor, b.digester, b.inodeCount]).toEqual([6, 643072, 0x6, 'lz4_block', 'blake3', 3517]);
    expect(b.v6!.sb).toMatchObject({ rootNid: 128, metaBlkaddr: 2, blocks: 4096 });
    expect(b.v6!.ext.chunkTableOffset).toBe(438272);
    expect(b.prefetch).toEqual([142]);
    expect(b.blobs.map((x) => [x.id, x.chunkCount, x.compressedSize, x.uncompressedSize, x.ciCompressor, x.ciCompressedSize, x.ciUncompressedSize, x.ciOffset, x.mappedBlkaddr]))
      .toEqual([['cdde6f5645daea414d60bc75611102a8bc8dae6198f087366365d6ff85bf5726', 2515, 43090887, 83767296, 'lz4_block', 35949, 40240, 43090887, 0]]);
    expect(b.chunkTable).toHaveLength(2515);
    expect(b.nodes).toHaveLength(3517);
    expect(treeListingTsv(b)).toBe(listing);
    const r = await checkNydus(b, { layerDigests: ['sha256:cdde6f5645daea414d60bc75611102a8bc8dae6198f087366365d6ff85bf5726'] });
    expect(r.findings.filter((f) => f.severity === 'error')).toEqual([]);
  });

  it('v5: detected and summarised, and its tree equals the same listing', async () => {
    const o = await openNydus(await fromPath(resolve(SN, 'v5-bootstrap-file-size-736032.tar.gz')));
    const b = o.bootstrap;
    expect([b.version, b.size, b.flags, b.compressor, b.digester]).toEqual([5, 736032, 0x16, 'lz4_block', 'blake3']);
    expect(b.blobs.map((x) => [x.id, x.chunkCount])).toEqual([['02fef4a13a311de4adc5b34ca152d3a87c9371c76a5f720451c8b9602859b780', 2515]]);
    expect(b.prefetch).toEqual([1]);
    expect(treeListingTsv(b)).toBe(readFileSync(resolve(SN, 'v5-bootstrap-file-size-736032.listing.tsv'), 'utf8'));
  });

  it('invalid layers are clear errors', async () => {
    await expect(openNydus(await fromPath(resolve(SN, 'invalid.tar.gz')))).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringMatching(/no image\/image\.boot/) });
    await expect(openNydus(await fromPath(resolve(SN, 'invalid-bootstrap-file-size-133513.tar.gz'))))
      .rejects.toMatchObject({ code: 'UNKNOWN_FORMAT', context: { entry: 'image/image.boot', offset: 0 } });
  });
});

describe('RAFS v5 (dragonflyoss tests/texture/repeatable)', () => {
  /** Paths and types of the `tree -J`-style JSON, plus the md5 lines after it. */
  function expected(): { paths: Map<string, string>; md5s: Map<string, string> } {
    const text = readFileSync(resolve(DF, 'sha256-nocompress-repeatable.result'), 'utf8');
    const end = text.lastIndexOf(']') + 1;
    const tree = JSON.parse(text.slice(0, end)) as { type: string; name: string; contents?: unknown[] }[];
    const paths = new Map<string, string>();
    const walk = (n: { type: string; name: string; contents?: unknown[] }, dir: string) => {
      const p = n.name === '' ? '/' : dir === '/' ? `/${n.name}` : `${dir}/${n.name}`;
      paths.set(p, n.type);
      for (const c of (n.contents ?? []) as typeof tree) walk(c, p);
    };
    walk(tree[0], '');
    const md5s = new Map(text.slice(end).trim().split('\n').map((l) => { const [h, p] = l.split(/\s+/); return [p, h] as [string, string]; }));
    return { paths, md5s };
  }

  it('sha256-nocompress-repeatable decodes to its .result tree and every md5 matches (holes included)', async () => {
    const o = await openNydus(await fromPath(resolve(DF, 'sha256-nocompress-repeatable')));
    const b = o.bootstrap;
    expect([b.version, b.flags, b.compressor, b.digester, b.inodeCount, b.chunkSize]).toEqual([5, 0x9, 'none', 'sha256', 51, 1 << 20]);
    expect(b.blobs.map((x) => x.id)).toEqual(['7334a2594e133cf8ae364189c2276b090fc490c627bcc3fb1077f0419a538e00']);
    const { paths, md5s } = expected();
    const typeOf = { dir: 'directory', file: 'file', symlink: 'link' } as Record<string, string>;
    expect(new Map(b.nodes.map((n) => [n.path, typeOf[n.type]]))).toEqual(paths);
    const blob = await fromPath(resolve(DF, 'blobs/7334a2594e133cf8ae364189c2276b090fc490c627bcc3fb1077f0419a538e00'));
    const reader = new NydusReader(b, () => blob);
    expect(md5s.size).toBe(23);
    for (const [p, h] of md5s) expect([p, md5(await reader.readFile(p))]).toEqual([p, h]);
    const r = await checkNydus(b, { blobOf: () => blob });
    expect(r.findings).toEqual([]);
    expect(r.verified[0].chunks).toBe(23);
  });

  it('blake3-lz4_block-non_repeatable: same tree (metadata only, README: inconsistent chunk flags)', async () => {
    const o = await openNydus(await fromPath(resolve(DF, 'blake3-lz4_block-non_repeatable')));
    expect([o.bootstrap.flags, o.bootstrap.digester]).toEqual([0x5, 'blake3']);
    expect(new Set(o.bootstrap.nodes.map((n) => n.path))).toEqual(new Set(expected().paths.keys()));
  });

  it('nydusd_daemon_test_bootstrap: detected as legacy v5, tree not decoded', async () => {
    const o = await openNydus(await fromPath(resolve(DF, 'nydusd_daemon_test_bootstrap')));
    expect([o.bootstrap.version, o.bootstrap.flags, o.bootstrap.inodeCount]).toEqual([5, 0x1, 0x41b0]);
    expect(o.bootstrap.treeError).toMatch(/legacy/);
    expect(o.bootstrap.nodes).toEqual([]);
  });
});

describe('synthetic fixtures (tree, sizes, contents only; README lists their xattr/feature defects)', () => {
  interface Entry { path: string; mode: string; uid: number; gid: number; mtime: number; nlink: number; ino: number; nid: number; size?: number; sha256?: string; symlink?: string; chunks?: { blob_index: number; ci_index: number; blkaddr: number; digest: string }[] }
  const cases = [
    { name: 'per-layer blob', file: 'layer-5753151e416fe9c5d74adc1f59650dca5825b6904f8e942c41d6aa657e5b2523.nydus', expected: 'layer-expected.json', blobs: [] as string[] },
    { name: 'two-blobs.boot', file: 'two-blobs.boot', expected: 'two-blobs-expected.json', blobs: ['f2f45397fef6889af08d27994fdd1ae3b755b4b9fcd9222a7164d261c857aabd', '2c4edfdf697ed6cd0baceb7481a7c9353949feab63f81e15bf11a91615013e1a'] },
  ];
  for (const c of cases) {
    it(`${c.name}: tree, nids, chunks and file contents`, async () => {
      const src = await fromPath(resolve(SY, c.file));
      const o = await openNydus(src);
      const want = (JSON.parse(readFileSync(resolve(SY, c.expected), 'utf8')) as { entries: Entry[] }).entries;
      const got = o.bootstrap.nodes;
      expect(got.map((n) => n.path).sort()).toEqual(want.map((e) => e.path).sort());
      const blobs = await Promise.all(c.blobs.map((b) => fromPath(resolve(SY, b))));
      const reader = new NydusReader(o.bootstrap, (b) => (o.kind === 'layer-blob' ? src : blobs[b.index]));
      const byPath = new Map(got.map((n) => [n.path, n]));
      for (const e of want) {
        const n = byPath.get(e.path)!;
        expect([e.path, n.mode.toString(8), n.uid, n.gid, n.mtime, n.nlink, n.ino, n.nid]).toEqual([e.path, e.mode, e.uid, e.gid, e.mtime, e.nlink, e.ino, e.nid]);
        if (e.symlink !== undefined) expect(n.symlink).toBe(e.symlink);
        if (e.chunks) expect(n.chunks.map((k) => [k.blobIndex, k.ciIndex, k.blkaddr, k.info?.digest])).toEqual(e.chunks.map((k) => [k.blob_index, k.ci_index, k.blkaddr, k.digest]));
        if (e.sha256) expect([e.path, sha256(await reader.readFile(n))]).toEqual([e.path, e.sha256]);
      }
      expect(byPath.get('/vlonglink')!.symlink!.length).toBe(4051);
      expect(byPath.get('/hl')!.nid).toBe(byPath.get('/a.txt')!.nid);
    });
  }

  it('the per-layer image.boot equals the extracted copy next to it', async () => {
    const lb = await openNydusLayerBlob(await fromPath(resolve(SY, 'layer-5753151e416fe9c5d74adc1f59650dca5825b6904f8e942c41d6aa657e5b2523.nydus')));
    expect(await readEntry(lb, 'image.boot')).toEqual(new Uint8Array(readFileSync(resolve(SY, 'layer-5753151e416fe9c5d74adc1f59650dca5825b6904f8e942c41d6aa657e5b2523.image.boot'))));
  });
});

describe('ZRan blob.meta (cache-file form)', () => {
  it('decodes header and the first CI v2 entry as the README states', () => {
    const m = parseBlobMetaFile(new Uint8Array(readFileSync(resolve(DF, '233c72f2b6b698c07021c4da367cfe2dff4f049efbaa885ca0ff760ea297865a.blob.meta'))), 'zran');
    expect(m.header).toMatchObject({ features: 0xf, entries: 0xa3, uncompressedSize: 0xa1290, zranOffset: 0xf48, zranSize: 0xa0348, zranCount: 0x15 });
    expect(m.entries).toHaveLength(163);
    expect(m.entries[0]).toMatchObject({ uncompressedOffset: 0, uncompressedSize: 1404, flags: 0x3, compressedOffset: 184, compressedSize: 649 });
  });
});
