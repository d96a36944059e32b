import type { TreeNode } from '../../../core/analysis/report.ts';
import { blobFeatureNames, checkNydusImage, loadNydusBootstrap, nodeKey, nydusLayout, nydusReader } from '../../../core/formats/nydus/image-reader.ts';
import { byteStringBytes, displayPath } from '../../../core/tar/tar-path.ts';
import { LayerlabError } from '../../../core/errors.ts';
import { rdevParts } from '../../../core/formats/nydus/rafs-common.ts';
import { RAFS_FLAG, type RafsNode } from '../../../core/formats/nydus/types.ts';
import type { OpenedImage } from '../../../core/image/opened-image.ts';
import type { NydusBootstrapView, NydusCheckView, NydusFileView } from './protocol.ts';
import { xattrValueText } from '../../../core/bytes/hex.ts';

/**
 * The Nydus inspector's data (spec §8.2 `inspect`, §8.1 `check`), from the engine's decoded
 * bootstraps: tables as decoded, the tree as TreeNodes for the file tree, one file's chunks.
 */

const FLAG_NAMES: [number, string][] = [
  [RAFS_FLAG.compressionNone, 'COMPRESSION_NONE'], [RAFS_FLAG.compressionLz4, 'COMPRESSION_LZ4'], [RAFS_FLAG.hashBlake3, 'HASH_BLAKE3'],
  [RAFS_FLAG.hashSha256, 'HASH_SHA256'], [RAFS_FLAG.explicitUidGid, 'EXPLICIT_UID_GID'], [RAFS_FLAG.hasXattr, 'HAS_XATTR'],
  [RAFS_FLAG.compressionGzip, 'COMPRESSION_GZIP'], [RAFS_FLAG.compressionZstd, 'COMPRESSION_ZSTD'], [RAFS_FLAG.inlinedChunkDigest, 'INLINED_CHUNK_DIGEST'],
  [RAFS_FLAG.tarfsMode, 'TARFS_MODE'], [RAFS_FLAG.encryptionNone, 'ENCRYPTION_NONE'], [RAFS_FLAG.encryptionAes128Xts, 'ENCRYPTION_ASE_128_XTS'],
];

/** Which layer's bootstrap: the merged one (`'merged'`) or a blob layer's own. */
function bootLayer(img: OpenedImage, which: number | 'merged'): number {
  const layout = nydusLayout(img);
  if (!layout) throw new LayerlabError('UNSUPPORTED', 'this image is not a Nydus image');
  if (which === 'merged') return layout.bootstrapLayer;
  if (!layout.blobLayers.includes(which) && which !== layout.bootstrapLayer) throw new LayerlabError('NOT_FOUND', `layer ${which} is not a Nydus blob layer`, { layer: which });
  return which;
}

export async function nydusBootstrapView(img: OpenedImage, which: number | 'merged', signal?: AbortSignal): Promise<NydusBootstrapView> {
  const layer = bootLayer(img, which);
  const l = await loadNydusBootstrap(img, layer, signal);
  const b = l.boot;
  const byNid = new Map<number, string>();
  for (const n of b.nodes) if (!byNid.has(n.nid)) byNid.set(n.nid, n.path);
  return {
    layer, merged: which === 'merged', version: b.version, size: b.size, flags: b.flags,
    flagNames: FLAG_NAMES.filter(([bit]) => (b.flags & bit) !== 0).map(([, n]) => n),
    compressor: b.compressor, digester: b.digester, chunkSize: b.chunkSize, inodeCount: b.inodeCount,
    v6: b.v6, v5: b.v5,
    blobs: b.blobs.map((x) => ({ ...x, effectiveId: l.blobIds[x.index], layer: l.blobLayer[x.index], featureNames: blobFeatureNames(x.features) })),
    prefetch: b.prefetch.map((nid) => ({ nid, path: byNid.get(nid) ?? '?' })),
    chunkTableEntries: b.chunkTable.length,
    problems: b.problems, treeError: b.treeError,
    layerBlob: l.layerBlob && { records: l.layerBlob.records, toc: l.layerBlob.toc, notes: l.layerBlob.notes },
    tree: bootstrapTree(b.nodes, layer),
  };
}

/** The tree of a bootstrap, flat and sorted as the file tree wants it; every name as stored. */
function bootstrapTree(nodes: RafsNode[], layer: number): TreeNode[] {
  const rows: [string, TreeNode][] = [];
  for (const n of nodes) {
    const key = nodeKey(n);
    if (!key) continue;
    const shown = displayPath(key);
    const type: TreeNode['type'] = n.type === 'socket' ? 'fifo' : n.type;
    const t: TreeNode = {
      path: shown.text, depth: key.split('/').length - 1, type, mode: n.mode & 0o7777, uid: n.uid, gid: n.gid,
      size: n.type === 'file' ? n.size : 0, mtime: n.mtime, layer, change: 'unchanged',
    };
    if (!shown.valid) t.rawPath = byteStringBytes(key);
    if (n.type === 'symlink') t.link = n.symlink;
    if (n.type === 'char' || n.type === 'block') { const d = rdevParts(n.rdev); t.link = `${d.major},${d.minor}`; }
    rows.push([key, t]);
  }
  rows.sort((a, b) => comparePaths(a[0], b[0]));
  return rows.map((r) => r[1]);
}

function comparePaths(a: string, b: string): number {
  const x = a.split('/'), y = b.split('/');
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] < y[i] ? -1 : 1;
  return x.length - y.length;
}

export async function nydusFileView(img: OpenedImage, which: number | 'merged', key: string, signal?: AbortSignal): Promise<NydusFileView> {
  const layer = bootLayer(img, which);
  const l = await loadNydusBootstrap(img, layer, signal);
  const n = l.byKey.get(key);
  if (!n) throw new LayerlabError('NOT_FOUND', `no /${key} in the bootstrap of layer ${layer}`, { layer, entry: key });
  const reader = nydusReader(img, l);
  const chunks: NydusFileView['chunks'] = [];
  for (const ref of n.chunks) {
    let info = ref.info;
    let source: 'chunk table' | 'CI array' = 'chunk table';
    if (!info) {
      try { info = await reader.chunkInfo(ref, n, signal); source = 'CI array'; } catch { /* blob data not available */ }
    }
    chunks.push({
      fileOffset: ref.fileOffset, blobIndex: ref.blobIndex, blobId: l.blobIds[ref.blobIndex] ?? '', ciIndex: ref.ciIndex,
      compressed: info?.compressed ?? false, compressedOffset: info?.compressedOffset ?? -1, compressedSize: info?.compressedSize ?? -1,
      uncompressedOffset: info?.uncompressedOffset ?? ref.blkaddr * 4096, uncompressedSize: info?.uncompressedSize ?? -1,
      digest: info?.digest ?? '', source,
    });
  }
  const xattrs: Record<string, string> = {};
  for (const [k, v] of n.xattrs) xattrs[k] = xattrValueText(v);
  return {
    path: n.path, nid: n.nid, ino: n.ino, nlink: n.nlink, inodeOffset: n.inodeOffset, size: n.size, mtime: n.mtime, xattrs,
    links: l.boot.nodes.filter((x) => x.nid === n.nid && x !== n && x.type === n.type).map((x) => x.path),
    chunks,
  };
}

export async function nydusCheckView(img: OpenedImage, which: number | 'merged', signal?: AbortSignal): Promise<NydusCheckView> {
  const t0 = Date.now();
  const r = await checkNydusImage(img, bootLayer(img, which), { signal });
  return { ...r, seconds: (Date.now() - t0) / 1000 };
}
