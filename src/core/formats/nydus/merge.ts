/**
 * `nydus-image merge` (spec §6.2): per-layer bootstraps (lowest first) → one image bootstrap.
 * OCI whiteout rules on overlay, blob table renumbered by first use in layout order, everything
 * re-laid out by the RAFS v6 writer (wasm). The base layer's `.wh.*` files stay (nydus quirk).
 */
import type { Digest } from '../../digest/digest.ts';
import { byteStringBytes } from '../../bytes/byte-string.ts';
import { LayerlabError, checkAborted, type ErrorContext } from '../../errors.ts';
import { decodeBootstrapV6 } from './bootstrap-v6.ts';
import { rafsFlags, resolvePrefetch } from './build/layer.ts';
import {
  isDirNode, isRegNode, nameKey, writeBootstrap,
  type BlobRecord, type ChunkLoc, type ChunkRecord, type InodeData, type TreeNode,
} from './build/tree.ts';
import { BLOB_FEATURE, RAFS_FLAG, type Bootstrap, type RafsNode } from './types.ts';

export interface MergeLayer {
  /** The per-layer bootstrap (image.boot, uncompressed). */
  bootstrap: Uint8Array;
  /** Hex sha256 of the nydus layer (its OCI digest without `sha256:`): replaces the `"x"×64` placeholder. */
  blobId: string;
  digest?: Digest;
  size?: number;
}

export interface MergeOptions {
  /** Prefetch patterns; default ['/'] (the converter's). */
  prefetch?: string[];
  signal?: AbortSignal;
  file?: string;
}

export interface MergeResult {
  bootstrap: Uint8Array;
  /** Blob ids in the merged blob table's order (= `nydus-image merge --output-json` "blobs"). */
  blobIds: string[];
  /** Tree entries (names) in the merged bootstrap. */
  inodes: number;
}

const PLACEHOLDER = 'x'.repeat(64);
const WH = '.wh.';
const OPQ = '.wh..wh..opq';
const enc = new TextEncoder();

/**
 * Rebuilds the builder tree of a decoded v6 bootstrap: attributes, xattrs, symlinks, rdev and
 * chunks (blob indexes mapped through `blobMap`); names sharing a nid share their inode (§6.2
 * "hardlinks are recognised per layer by nid").
 */
export function treeFromBootstrap(boot: Bootstrap, blobMap: (local: number) => number = (b) => b): TreeNode {
  const byPath = new Map<string, TreeNode>();
  const byNid = new Map<number, InodeData>();
  let root: TreeNode | undefined;
  for (const n of boot.nodes) {
    const data = n.type === 'file' && byNid.get(n.nid);
    const node = nodeOf(n, data || undefined, blobMap);
    if (n.type === 'file' && !data) byNid.set(n.nid, node.data);
    if (n.path === '/') { root = node; byPath.set('/', node); continue; }
    // A name that is not UTF-8 keeps its bytes (`rawPath`, a byte string), so it survives the merge.
    const path = n.rawPath ?? asByteString(n.path);
    const slash = path.lastIndexOf('/');
    const parent = byPath.get(slash === 0 ? '/' : path.slice(0, slash));
    if (!parent?.children) throw new LayerlabError('BAD_LAZY_FORMAT', `bootstrap node ${n.path} has no parent directory`, { offset: n.inodeOffset });
    node.parent = parent;
    node.name = byteStringBytes(path.slice(slash + 1));
    parent.children.set(nameKey(node.name), node);
    byPath.set(path, node);
  }
  if (!root) throw new LayerlabError('BAD_LAZY_FORMAT', 'bootstrap has no root');
  return root;
}

function nodeOf(n: RafsNode, shared: InodeData | undefined, blobMap: (b: number) => number): TreeNode {
  const node: TreeNode = {
    name: new Uint8Array(0), parent: undefined, mode: n.mode, uid: n.uid, gid: n.gid, mtime: n.mtime, mtimeNsec: n.mtimeNsec, rdev: n.rdev,
    data: shared ?? { size: n.type === 'file' ? n.size : 0, chunks: [], xattrs: new Map(n.xattrs) },
  };
  if (n.type === 'dir') node.children = new Map();
  if (n.type === 'symlink') node.symlink = n.rawSymlink !== undefined ? byteStringBytes(n.rawSymlink) : enc.encode(n.symlink ?? '');
  if (n.type === 'file' && !shared) {
    node.data.chunks = n.chunks.map((c): ChunkLoc => {
      const blob = blobMap(c.blobIndex);
      const i = c.info;
      const info: ChunkRecord | undefined = i && {
        digest: i.digest, blobIndex: blob, flags: i.flags, compressedSize: i.compressedSize, uncompressedSize: i.uncompressedSize,
        compressedOffset: i.compressedOffset, uncompressedOffset: i.uncompressedOffset, fileOffset: c.fileOffset, ciIndex: c.ciIndex,
      };
      return { blob, ci: c.ciIndex, blkaddr: c.blkaddr, info };
    });
  }
  return node;
}

const keyOf = (s: string) => nameKey(enc.encode(s));
const asByteString = (s: string) => /^[\x00-\x7f]*$/.test(s) ? s : String.fromCharCode(...enc.encode(s));
const isWhiteout = (k: string) => k.startsWith(WH);

/** Removes whiteout markers from a subtree that an upper layer brings in whole. */
function stripWhiteouts(n: TreeNode): void {
  if (!n.children) return;
  for (const [k, c] of n.children) {
    if (isWhiteout(k)) n.children.delete(k);
    else stripWhiteouts(c);
  }
}

/** §6.2 step 3: overlay `upper` (a directory of an upper layer) onto `lower`. */
function overlay(lower: TreeNode, upper: TreeNode): void {
  const lc = lower.children!, uc = upper.children!;
  // first pass: opaque marker, then whiteouts, act on what the lower layers made
  if (uc.has(keyOf(OPQ))) lc.clear();
  for (const k of uc.keys()) {
    if (k === keyOf(OPQ) || !isWhiteout(k)) continue;
    lc.delete(k.slice(WH.length));
  }
  // second pass: everything else replaces or merges
  for (const [k, u] of uc) {
    if (isWhiteout(k)) continue;
    const l = lc.get(k);
    if (l && isDirNode(l) && isDirNode(u)) {
      Object.assign(l, { mode: u.mode, uid: u.uid, gid: u.gid, mtime: u.mtime, mtimeNsec: u.mtimeNsec, data: u.data });
      overlay(l, u);
    } else {
      u.parent = lower;
      stripWhiteouts(u);
      lc.set(k, u);
    }
  }
}

/** Merges per-layer v6 bootstraps, lowest layer first, into the image bootstrap. */
export async function mergeBootstraps(layers: MergeLayer[], options: MergeOptions = {}): Promise<MergeResult> {
  if (!layers.length) throw new LayerlabError('INTERNAL', 'nydus merge: no layers');
  const blobs: BlobRecord[] = [];
  const blobById = new Map<string, number>();
  let root: TreeNode | undefined;
  let first: Bootstrap | undefined;
  let last: Bootstrap | undefined;
  for (let li = 0; li < layers.length; li++) {
    const ctx: ErrorContext = { file: options.file, layer: li, layerDigest: layers[li].digest ?? `sha256:${layers[li].blobId}`, entry: 'image.boot' };
    checkAborted(options.signal, ctx);
    const boot = decodeBootstrapV6(layers[li].bootstrap, ctx, options.signal);
    if (!first) first = boot;
    else {
      if (boot.chunkSize !== first.chunkSize) throw new LayerlabError('UNSUPPORTED', `nydus merge: layer ${li} has chunk size ${boot.chunkSize}, layer 0 ${first.chunkSize}`, ctx);
      if ((boot.flags & RAFS_FLAG.explicitUidGid) !== (first.flags & RAFS_FLAG.explicitUidGid)) throw new LayerlabError('UNSUPPORTED', `nydus merge: layer ${li} differs from layer 0 in EXPLICIT_UID_GID`, ctx);
    }
    last = boot;
    // §6.2 step 2: blob records, deduplicated by id; the layer's own (inlined) blob takes its digest
    const local: number[] = [];
    for (const b of boot.blobs) {
      const own = b.id === PLACEHOLDER || (b.features & BLOB_FEATURE.inlinedFsMeta) !== 0;
      const id = own ? layers[li].blobId : b.id;
      let g = blobById.get(id);
      if (g === undefined) {
        g = blobs.length;
        blobById.set(id, g);
        blobs.push({
          id, chunkCount: b.chunkCount, compressor: b.compressor, digester: b.digester, features: (b.features & ~BLOB_FEATURE.inlinedFsMeta) >>> 0,
          compressedSize: b.compressedSize, uncompressedSize: b.uncompressedSize, tocSize: b.tocSize, tocDigest: b.tocDigest,
          ciCompressor: b.ciCompressor, ciOffset: b.ciOffset, ciCompressedSize: b.ciCompressedSize, ciUncompressedSize: b.ciUncompressedSize,
        });
      }
      local.push(g);
    }
    const tree = treeFromBootstrap(boot, (b) => local[b]);
    if (!root) root = tree;
    else {
      Object.assign(root, { mode: tree.mode, uid: tree.uid, gid: tree.gid, mtime: tree.mtime, mtimeNsec: tree.mtimeNsec, data: tree.data });
      overlay(root, tree);
    }
  }

  // §6.2 step 4: blobs renumbered by first use in layout order; unused ones disappear
  const order: number[] = [];
  const seen = new Set<number>();
  const table = new Map<string, ChunkRecord>();
  const dataSeen = new Set<InodeData>();
  const visit = (dir: TreeNode) => {
    const kids = [...dir.children!.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, n]) => n);
    for (const c of kids) {
      if (!isRegNode(c) || dataSeen.has(c.data)) continue;
      dataSeen.add(c.data);
      for (const ch of c.data.chunks) if (!seen.has(ch.blob)) { seen.add(ch.blob); order.push(ch.blob); }
    }
    for (const c of kids) if (isDirNode(c)) visit(c);
  };
  visit(root!);
  const newIndex = new Map<number, number>();
  order.forEach((g, i) => newIndex.set(g, i));
  for (const d of dataSeen) {
    for (const ch of d.chunks) {
      ch.blob = newIndex.get(ch.blob)!;
      const info = ch.info;
      if (!info) throw new LayerlabError('BAD_LAZY_FORMAT', `nydus merge: a chunk (CI index ${ch.ci}) is missing from its layer's chunk table`, { file: options.file });
      info.blobIndex = ch.blob;
      const k = `${info.digest}:${ch.blob}`;
      if (!table.has(k)) table.set(k, info);
    }
  }
  const finalBlobs = order.map((g) => blobs[g]);
  const allDigests = finalBlobs.every((b) => (b.features & BLOB_FEATURE.inlinedChunkDigest) !== 0);
  let flags = rafsFlags(last!.compressor, last!.digester, true, allDigests);
  if (!(first!.flags & RAFS_FLAG.explicitUidGid)) flags = (flags & ~RAFS_FLAG.explicitUidGid) >>> 0;
  const written = await writeBootstrap({
    root: root!, flags, chunkSize: first!.chunkSize, blobs: finalBlobs, chunkTable: [...table.values()],
    prefetch: finalBlobs.length ? resolvePrefetch(root!, options.prefetch ?? ['/']) : [], context: { file: options.file },
  });
  return { bootstrap: written.bytes, blobIds: finalBlobs.map((b) => b.id), inodes: written.inodes };
}
