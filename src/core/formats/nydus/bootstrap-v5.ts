import { checkAborted, type ErrorContext } from '../../errors.ts';
import { LeView } from './le-view.ts';
import { flagsAlgorithms, nodeTypeOf, parseChunkInfo } from './rafs-common.ts';
import { CHUNK_INFO, RAFS_V5_SB, V5_EXT_BLOB, V5_INODE, V5_INODE_FLAG, type BlobInfo, type Bootstrap, type ChunkRef, type RafsNode } from './types.ts';

/** True when the bytes start with the RAFS v5 magic and version (§9). */
export function isRafsV5(head: Uint8Array): boolean {
  if (head.length < 8) return false;
  const v = new LeView(head);
  return v.u32(0) === RAFS_V5_SB.magic && v.u32(RAFS_V5_SB.versionAt) === RAFS_V5_SB.version;
}

const pad8 = (n: number) => (n + 7) & ~7;

/**
 * Decodes a RAFS v5 bootstrap (spec §9): superblock, blob table (+ extended), prefetch table and,
 * when the inodes have the current layout, the tree (root = inode 1; a directory's children are
 * inodes child_index … child_index + child_count − 1). Legacy 2020 bootstraps that claim 0x500
 * with an older inode layout get `treeError` instead of a tree.
 */
export function decodeBootstrapV5(bytes: Uint8Array, context: ErrorContext = {}, signal?: AbortSignal): Bootstrap & { problems: string[] } {
  const v = new LeView(bytes, 0, context);
  const problems: string[] = [];
  const S = RAFS_V5_SB;
  if (!isRafsV5(bytes)) throw v.error('UNKNOWN_FORMAT', 'not a RAFS v5 bootstrap (no magic 0x52414653 / version 0x500 at 0)', 0);
  v.need(0, S.size, 'RAFS v5 superblock');
  const flags = v.u64(S.flagsAt, 'flags');
  const { compressor, digester } = flagsAlgorithms(v, S.flagsAt, flags, problems);
  const chunkSize = v.u32(S.blockSizeAt);
  const t = {
    inodeTableOffset: v.u64(S.inodeTableOffsetAt, 'inode_table_offset'),
    inodeTableEntries: v.u32(S.inodeTableEntriesAt),
    blobTableOffset: v.u64(S.blobTableOffsetAt, 'blob_table_offset'),
    blobTableSize: v.u32(S.blobTableSizeAt),
    prefetchTableOffset: v.u64(S.prefetchTableOffsetAt, 'prefetch_table_offset'),
    extBlobTableOffset: v.u64(S.extBlobTableOffsetAt, 'extended_blob_table_offset'),
    extBlobTableEntries: v.u32(S.extBlobTableEntriesAt),
  };
  const inodeCount = v.u64(S.inodesCountAt, 'inodes_count');

  // Blob table: `u32 readahead_offset, u32 readahead_size, blob id` records separated by NUL.
  const blobs: BlobInfo[] = [];
  const table = v.sub(t.blobTableOffset, t.blobTableSize, 'blob table');
  for (let at = 0; at + 8 < table.length;) {
    const tv = new LeView(table, t.blobTableOffset);
    let end = table.indexOf(0, at + 8);
    if (end < 0) end = table.length;
    const id = new TextDecoder().decode(table.subarray(at + 8, end));
    if (!id) break; // padding to 8
    blobs.push({
      index: blobs.length, id, chunkSize, chunkCount: 0, compressor, digester, features: 0, compressedSize: 0, uncompressedSize: 0,
      tocSize: 0, tocDigest: '', ciCompressor: 'none', ciOffset: 0, ciCompressedSize: 0, ciUncompressedSize: 0,
      readahead: { offset: tv.u32(at), size: tv.u32(at + 4) },
    });
    at = end + 1;
  }
  for (let i = 0; i < Math.min(t.extBlobTableEntries, blobs.length); i++) {
    const at = t.extBlobTableOffset + i * V5_EXT_BLOB.size;
    blobs[i].chunkCount = v.u32(at + V5_EXT_BLOB.chunkCountAt);
    blobs[i].features = v.u32(at + V5_EXT_BLOB.featuresAt);
    blobs[i].uncompressedSize = v.u64(at + V5_EXT_BLOB.uncompressedSizeAt, 'uncompressed_size');
    blobs[i].compressedSize = v.u64(at + V5_EXT_BLOB.compressedSizeAt, 'compressed_size');
  }

  const prefetch: number[] = [];
  for (let i = 0; i < v.u32(S.prefetchTableEntriesAt); i++) {
    const ino = v.u32(t.prefetchTableOffset + 4 * i);
    if (ino === 0) break;
    prefetch.push(ino);
  }

  const base = { version: 5 as const, flags, compressor, digester, chunkSize, inodeCount, blobs, prefetch, chunkTable: [], size: bytes.length, v5: t, problems };
  const inodeAt = (ino: number): number => {
    if (ino < 1 || ino > t.inodeTableEntries) throw v.error('BAD_LAZY_FORMAT', `inode number ${ino} is outside the ${t.inodeTableEntries}-entry inode table`, t.inodeTableOffset);
    return v.u32(t.inodeTableOffset + 4 * (ino - 1)) * 8;
  };
  const rootAt = inodeAt(1);
  if (nodeTypeOf(v.u32(rootAt + V5_INODE.modeAt)) !== 'dir') {
    return { ...base, nodes: [], treeError: 'legacy RAFS v5 inode layout (2020): the root inode does not decode as a directory; tree not decoded' };
  }

  const nodes: RafsNode[] = [];
  const seenDirs = new Set<number>();
  const stack: { at: number; path: string }[] = [{ at: rootAt, path: '/' }];
  while (stack.length) {
    const { at, path } = stack.pop()!;
    checkAborted(signal, { ...context, offset: at });
    const node = decodeInode(v, at, path, blobs.length);
    nodes.push(node);
    if (node.type !== 'dir') continue;
    if (seenDirs.has(at)) throw v.error('BAD_LAZY_FORMAT', `directory ${path} is reached a second time: the directory entries loop`, at);
    seenDirs.add(at);
    const first = v.u32(at + V5_INODE.childIndexAt), count = v.u32(at + V5_INODE.childCountAt);
    const kids: { at: number; path: string }[] = [];
    for (let ino = first; ino < first + count; ino++) {
      const cat = inodeAt(ino);
      const name = inodeName(v, cat);
      kids.push({ at: cat, path: path === '/' ? `/${name}` : `${path}/${name}` });
    }
    for (let i = kids.length - 1; i >= 0; i--) stack.push(kids[i]);
  }
  return { ...base, nodes };
}

function inodeName(v: LeView, at: number): string {
  return new TextDecoder().decode(v.sub(at + V5_INODE.size, v.u16(at + V5_INODE.nameSizeAt), 'inode name'));
}

/** One 128-byte inode and what follows it: name, symlink, xattrs, chunk infos (§9). */
function decodeInode(v: LeView, at: number, path: string, nblobs: number): RafsNode {
  const I = V5_INODE;
  v.need(at, I.size, 'v5 inode');
  const mode = v.u32(at + I.modeAt);
  const type = nodeTypeOf(mode);
  if (!type) throw v.error('BAD_LAZY_FORMAT', `${path}: mode 0${mode.toString(8)} has no file type`, at + I.modeAt);
  const iflags = v.u64(at + I.flagsAt, 'i_flags');
  const nameSize = v.u16(at + I.nameSizeAt), symSize = v.u16(at + I.symlinkSizeAt);
  let p = at + I.size + pad8(nameSize);
  const node: RafsNode = {
    path, type, mode, uid: v.u32(at + I.uidAt), gid: v.u32(at + I.gidAt), size: v.u64(at + I.sizeAt, 'i_size'),
    mtime: v.u64(at + I.mtimeAt, 'i_mtime'), mtimeNsec: v.u32(at + I.mtimeNsecAt), nlink: v.u32(at + I.nlinkAt),
    nid: v.u64(at + I.inoAt, 'i_ino'), ino: v.u64(at + I.inoAt, 'i_ino'), rdev: v.u32(at + I.rdevAt),
    xattrs: new Map(), chunks: [], inodeOffset: at,
  };
  if (iflags & V5_INODE_FLAG.symlink) {
    node.symlink = new TextDecoder().decode(v.sub(p, symSize, 'symlink target'));
    p += pad8(symSize);
  }
  if (iflags & V5_INODE_FLAG.xattr) {
    const size = v.u64(p, 'xattr size');
    const end = p + 8 + size;
    for (let q = p + 8; q + 4 <= end;) {
      const len = v.u32(q);
      const pair = v.sub(q + 4, len, 'xattr pair');
      const z = pair.indexOf(0);
      node.xattrs.set(new TextDecoder().decode(pair.subarray(0, z < 0 ? len : z)), pair.subarray(z < 0 ? len : z + 1).slice());
      q += 4 + len;
    }
    p = pad8(end);
  }
  if (type === 'file') {
    const count = v.u32(at + I.childCountAt);
    v.need(p, count * CHUNK_INFO.size, `${path}: chunk infos`);
    for (let k = 0; k < count; k++) {
      const info = parseChunkInfo(v, p + k * CHUNK_INFO.size);
      if (info.blobIndex >= nblobs) throw v.error('BAD_LAZY_FORMAT', `${path}: chunk ${k} names blob ${info.blobIndex}, but there are ${nblobs}`, p + k * CHUNK_INFO.size);
      const ref: ChunkRef = { blobIndex: info.blobIndex, ciIndex: info.ciIndex, blkaddr: Math.floor(info.uncompressedOffset / 4096), fileOffset: info.fileOffset, info };
      node.chunks.push(ref);
    }
  }
  return node;
}
