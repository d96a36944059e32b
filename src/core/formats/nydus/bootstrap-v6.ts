import { checkAborted, type ErrorContext } from '../../errors.ts';
import { byteString } from '../../bytes/byte-string.ts';
import { compressorAt } from './blob-meta.ts';
import { LeView } from './le-view.ts';
import { flagsAlgorithms, nodeTypeOf, parseChunkInfo } from './rafs-common.ts';
import {
  BLOB_ENTRY, BLOB_FEATURE_INVALID, CHUNK_INDEX, CHUNK_INFO, DATA_LAYOUT, DEVICE_SLOT, DIGESTER_CODES, DIRENT, EROFS_SB,
  INODE, MAX_BLOBS, MAX_CHUNKS_PER_BLOB, RAFS_EXT_SB, XATTR, XATTR_PREFIXES,
  type BlobInfo, type Bootstrap, type ChunkInfo, type ChunkRef, type Digester, type RafsNode,
} from './types.ts';

/** True when the bytes are a RAFS v6 bootstrap: EROFS magic at 1024 with the RAFS_V6 compat bit (§4.13 step 1). */
export function isRafsV6(head: Uint8Array): boolean {
  if (head.length < EROFS_SB.at + 12) return false;
  const v = new LeView(head);
  return v.u32(EROFS_SB.at) === EROFS_SB.magic && (v.u32(EROFS_SB.at + EROFS_SB.compatAt) & EROFS_SB.rafsV6Compat) !== 0;
}

/** An inode as stored, before it gets a name. */
interface InodeV6 {
  nid: number;
  offset: number;
  inodeSize: number;
  xattrSize: number;
  layout: number;
  mode: number;
  size: number;
  u: number;
  ino: number;
  uid: number;
  gid: number;
  mtime: number;
  mtimeNsec: number;
  nlink: number;
}

/**
 * Decodes a whole RAFS v6 bootstrap (spec §4): superblocks, device slots, blob table, prefetch
 * table, chunk table and the directory tree with every file's chunk indexes. Structural damage
 * is a LayerlabError with the file offset (BAD_LAZY_FORMAT, TRUNCATED, UNSUPPORTED); findings that
 * nydus tolerates or that only concern consistency go to `problems`.
 *
 * Bounded work: every directory is expanded at most once, so a dirent pointing back at an
 * ancestor (a loop) is an error, not a hang.
 */
export function decodeBootstrapV6(bytes: Uint8Array, context: ErrorContext = {}, signal?: AbortSignal): Bootstrap & { problems: string[] } {
  const v = new LeView(bytes, 0, context);
  const problems: string[] = [];
  if (bytes.length < 4096) throw v.error('TRUNCATED', `RAFS v6 bootstrap is ${bytes.length} bytes, less than one 4096-byte block`, bytes.length);

  // §4.2 EROFS superblock
  const S = EROFS_SB.at;
  if (!isRafsV6(bytes)) throw v.error('UNKNOWN_FORMAT', 'not a RAFS v6 bootstrap (no EROFS magic with the RAFS_V6 compat bit at 1024)', S);
  const blkszbits = v.u8(S + EROFS_SB.blkszbitsAt);
  if (blkszbits !== 12 && blkszbits !== 9) throw v.error('UNSUPPORTED', `EROFS blkszbits ${blkszbits} (nydus writes 12, or 9 for tarfs)`, S + EROFS_SB.blkszbitsAt);
  const bs = 1 << blkszbits;
  const incompat = v.u32(S + EROFS_SB.incompatAt);
  if (incompat !== EROFS_SB.incompat) problems.push(`feature_incompat 0x${incompat.toString(16)} (nydus requires 0xc)`);
  if (incompat & ~0xf) throw v.error('UNSUPPORTED', `EROFS feature_incompat 0x${incompat.toString(16)} has features RAFS does not use (compression?)`, S + EROFS_SB.incompatAt);
  const sb = {
    rootNid: v.u16(S + EROFS_SB.rootNidAt),
    inos: v.u64(S + EROFS_SB.inosAt, 'inos'),
    blocks: v.u32(S + EROFS_SB.blocksAt),
    metaBlkaddr: v.u32(S + EROFS_SB.metaBlkaddrAt),
    blkszbits,
    extraDevices: v.u16(S + EROFS_SB.extraDevicesAt),
    buildTime: v.u64(S + EROFS_SB.buildTimeAt, 'build_time'),
    featureCompat: v.u32(S + EROFS_SB.compatAt),
    featureIncompat: incompat,
  };
  if (sb.metaBlkaddr * bs > bytes.length) throw v.error('TRUNCATED', `meta_blkaddr ${sb.metaBlkaddr} is beyond the ${bytes.length}-byte bootstrap`, S + EROFS_SB.metaBlkaddrAt);
  if (v.u32(S + EROFS_SB.xattrBlkaddrAt) !== 0) problems.push('xattr_blkaddr ≠ 0 (shared xattrs are not used by nydus and not decoded)');
  const devtSlotoff = v.u16(S + EROFS_SB.devtSlotoffAt);

  // §4.3 extended superblock
  const X = RAFS_EXT_SB.at;
  const flags = v.u64(X + RAFS_EXT_SB.flagsAt, 'flags');
  const { compressor, digester } = flagsAlgorithms(v, X + RAFS_EXT_SB.flagsAt, flags);
  const chunkSize = v.u32(X + RAFS_EXT_SB.chunkSizeAt);
  if (chunkSize < 4096 || chunkSize > 16 << 20 || (chunkSize & (chunkSize - 1)) !== 0) {
    throw v.error('BAD_LAZY_FORMAT', `chunk_size 0x${chunkSize.toString(16)} is not a power of two in [4 KiB, 16 MiB]`, X + RAFS_EXT_SB.chunkSizeAt);
  }
  const ext = {
    blobTableOffset: v.u64(X + RAFS_EXT_SB.blobTableOffsetAt, 'blob_table_offset'),
    blobTableSize: v.u32(X + RAFS_EXT_SB.blobTableSizeAt),
    chunkTableOffset: v.u64(X + RAFS_EXT_SB.chunkTableOffsetAt, 'chunk_table_offset'),
    chunkTableSize: v.u64(X + RAFS_EXT_SB.chunkTableSizeAt, 'chunk_table_size'),
    prefetchTableOffset: v.u64(X + RAFS_EXT_SB.prefetchTableOffsetAt, 'prefetch_table_offset'),
    prefetchTableSize: v.u32(X + RAFS_EXT_SB.prefetchTableSizeAt),
  };

  // §4.4 device slots, §4.5 blob table
  if (ext.blobTableSize % BLOB_ENTRY.size !== 0) throw v.error('BAD_LAZY_FORMAT', `blob_table_size ${ext.blobTableSize} is not a multiple of 256`, X + RAFS_EXT_SB.blobTableSizeAt);
  v.need(ext.blobTableOffset, ext.blobTableSize, 'blob table');
  const nblobs = ext.blobTableSize / BLOB_ENTRY.size;
  if (nblobs > MAX_BLOBS) throw v.error('BAD_LAZY_FORMAT', `${nblobs} blobs (nydus allows at most ${MAX_BLOBS})`, X + RAFS_EXT_SB.blobTableSizeAt);
  if (sb.extraDevices !== nblobs) problems.push(`extra_devices ${sb.extraDevices} ≠ ${nblobs} blob-table entries`);
  const blobs: BlobInfo[] = [];
  for (let i = 0; i < nblobs; i++) blobs.push(decodeBlobEntry(v, ext.blobTableOffset + i * BLOB_ENTRY.size, i, chunkSize, problems));
  const slotAt = devtSlotoff * 128;
  for (let i = 0; i < Math.min(sb.extraDevices, nblobs); i++) {
    const at = slotAt + i * DEVICE_SLOT.size;
    const id = v.text(at, DEVICE_SLOT.idLen);
    blobs[i].deviceBlocks = v.u32(at + DEVICE_SLOT.blocksAt);
    blobs[i].mappedBlkaddr = v.u32(at + DEVICE_SLOT.mappedBlkaddrAt);
    if (id !== blobs[i].id) problems.push(`device slot ${i} names blob ${id}, blob table ${blobs[i].id}`);
    if (blobs[i].deviceBlocks === 0) problems.push(`device slot ${i} has 0 blocks`);
  }

  // §4.6 prefetch table: nids, a 0 ends the list
  const prefetch: number[] = [];
  if (ext.prefetchTableOffset !== 0 && ext.prefetchTableSize > 0) {
    if (ext.prefetchTableSize % 4 !== 0) throw v.error('BAD_LAZY_FORMAT', `prefetch_table_size ${ext.prefetchTableSize} is not a multiple of 4`, X + RAFS_EXT_SB.prefetchTableSizeAt);
    v.need(ext.prefetchTableOffset, ext.prefetchTableSize, 'prefetch table');
    for (let at = ext.prefetchTableOffset; at < ext.prefetchTableOffset + ext.prefetchTableSize; at += 4) {
      const nid = v.u32(at);
      if (nid === 0) break;
      prefetch.push(nid);
    }
  }

  // §4.11 chunk table (may be absent or cut off: readers fall back to the blob's CI array)
  const chunkTable: ChunkInfo[] = [];
  if (ext.chunkTableSize > 0) {
    if (ext.chunkTableSize % CHUNK_INFO.size !== 0) throw v.error('BAD_LAZY_FORMAT', `chunk_table_size ${ext.chunkTableSize} is not a multiple of 80`, X + RAFS_EXT_SB.chunkTableSizeAt);
    if (ext.chunkTableOffset + ext.chunkTableSize > bytes.length) {
      problems.push(`chunk table [${ext.chunkTableOffset}, ${ext.chunkTableOffset + ext.chunkTableSize}) is beyond the ${bytes.length}-byte bootstrap (truncated for fscache?); chunk sizes come from blob.meta`);
    } else {
      for (let at = ext.chunkTableOffset; at < ext.chunkTableOffset + ext.chunkTableSize; at += CHUNK_INFO.size) chunkTable.push(parseChunkInfo(v, at));
    }
  }
  const byCi = new Map<string, ChunkInfo>();
  for (const c of chunkTable) byCi.set(`${c.blobIndex}:${c.ciIndex}`, c);

  const nodes = new TreeWalk(v, bs, sb.metaBlkaddr * bs, chunkSize, blobs, byCi, sb.buildTime, problems, signal).walk(sb.rootNid);
  return {
    version: 6, flags, compressor, digester, chunkSize, inodeCount: sb.inos, blobs, prefetch, nodes, chunkTable,
    size: bytes.length, v6: { sb, ext }, problems,
  };
}

function decodeBlobEntry(v: LeView, at: number, i: number, fsChunkSize: number, problems: string[]): BlobInfo {
  const B = BLOB_ENTRY;
  const digestCode = v.u32(at + B.digesterAt);
  const digester: Digester | undefined = DIGESTER_CODES[digestCode];
  if (!digester) throw v.error('BAD_LAZY_FORMAT', `blob ${i}: unknown digest_algo code ${digestCode} (0 blake3, 1 sha256)`, at + B.digesterAt);
  const b: BlobInfo = {
    index: v.u32(at + B.indexAt),
    id: v.text(at, B.idLen),
    chunkSize: v.u32(at + B.chunkSizeAt),
    chunkCount: v.u32(at + B.chunkCountAt),
    compressor: compressorAt(v, at + B.compressorAt, `blob ${i} compression_algo`),
    digester,
    features: v.u32(at + B.featuresAt),
    compressedSize: v.u64(at + B.compressedSizeAt, 'compressed_size'),
    uncompressedSize: v.u64(at + B.uncompressedSizeAt, 'uncompressed_size'),
    tocSize: v.u32(at + B.tocSizeAt),
    tocDigest: v.hex(at + B.tocDigestAt, 32),
    ciCompressor: compressorAt(v, at + B.ciCompressorAt, `blob ${i} ci_compressor`),
    ciOffset: v.u64(at + B.ciOffsetAt, 'ci_offset'),
    ciCompressedSize: v.u64(at + B.ciCompressedSizeAt, 'ci_compressed_size'),
    ciUncompressedSize: v.u64(at + B.ciUncompressedSizeAt, 'ci_uncompressed_size'),
  };
  if (b.index !== i) throw v.error('BAD_LAZY_FORMAT', `blob table entry ${i} says blob_index ${b.index}`, at + B.indexAt);
  if (b.chunkCount > MAX_CHUNKS_PER_BLOB) throw v.error('BAD_LAZY_FORMAT', `blob ${i}: chunk_count ${b.chunkCount} > 2^24`, at + B.chunkCountAt);
  if (b.chunkSize !== fsChunkSize) problems.push(`blob ${i}: chunk_size 0x${b.chunkSize.toString(16)} ≠ superblock chunk_size 0x${fsChunkSize.toString(16)}`);
  if (b.features & BLOB_FEATURE_INVALID) problems.push(`blob ${i}: invalid feature bits 0x${b.features.toString(16)}`);
  if (b.ciCompressedSize > b.ciUncompressedSize) problems.push(`blob ${i}: ci_compressed_size > ci_uncompressed_size`);
  return b;
}

/** The directory walk of §4.13 step 3: (parent, name) kept while walking, each directory once. */
class TreeWalk {
  private readonly inodes = new Map<number, InodeV6>();
  private readonly expanded = new Set<number>();
  private readonly nodes: RafsNode[] = [];

  constructor(
    private readonly v: LeView,
    private readonly bs: number,
    private readonly metaBase: number,
    private readonly chunkSize: number,
    private readonly blobs: BlobInfo[],
    private readonly byCi: Map<string, ChunkInfo>,
    private readonly buildTime: number,
    private readonly problems: string[],
    private readonly signal?: AbortSignal,
  ) {}

  walk(rootNid: number): RafsNode[] {
    const root = this.inode(rootNid);
    if (nodeTypeOf(root.mode) !== 'dir') throw this.v.error('BAD_LAZY_FORMAT', `root nid ${rootNid} is not a directory (mode 0${root.mode.toString(8)})`, root.offset);
    // Explicit stack (depth-first, children in stored order): deep trees cannot overflow the JS stack.
    const stack: { nid: number; path: string; parent: number; raw?: string }[] = [{ nid: rootNid, path: '/', parent: rootNid }];
    while (stack.length) {
      const { nid, path, parent, raw } = stack.pop()!;
      checkAborted(this.signal, { ...this.v.context, offset: this.metaBase + nid * INODE.slot });
      const ino = this.inode(nid);
      const node = this.node(ino, path);
      if (raw !== undefined) node.rawPath = raw;
      this.nodes.push(node);
      if (node.type !== 'dir') continue;
      if (this.expanded.has(nid)) {
        throw this.v.error('BAD_LAZY_FORMAT', `directory ${path} (nid ${nid}) is reached a second time: the directory entries loop`, ino.offset);
      }
      this.expanded.add(nid);
      const children: { nid: number; path: string; parent: number; raw?: string }[] = [];
      for (const d of this.dirents(ino, path)) {
        if (d.name === '.') { if (d.nid !== nid) this.problems.push(`${path}: "." points at nid ${d.nid}, not ${nid}`); continue; }
        if (d.name === '..') { if (d.nid !== parent) this.problems.push(`${path}: ".." points at nid ${d.nid}, not ${parent}`); continue; }
        const child: { nid: number; path: string; parent: number; raw?: string } = { nid: d.nid, path: path === '/' ? `/${d.name}` : `${path}/${d.name}`, parent: nid };
        // A name that is not UTF-8 (or under one that is not) keeps its bytes as a byte string.
        if (raw !== undefined || d.raw !== undefined) child.raw = `${raw ?? byteString(utf8Bytes(path))}${path === '/' ? '' : '/'}${d.raw ?? byteString(utf8Bytes(d.name))}`;
        children.push(child);
      }
      for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]);
    }
    return this.nodes;
  }

  /** §4.7: the inode at meta_blkaddr·bs + nid·32, compact or extended by i_format bit 0. */
  private inode(nid: number): InodeV6 {
    const cached = this.inodes.get(nid);
    if (cached) return cached;
    const v = this.v;
    const at = this.metaBase + nid * INODE.slot;
    if (!Number.isSafeInteger(at) || at + INODE.compactSize > v.length) {
      throw v.error('BAD_LAZY_FORMAT', `nid ${nid} is outside the bootstrap (inode at ${at}, file is ${v.length} bytes)`, Math.min(at, v.length));
    }
    const format = v.u16(at + INODE.formatAt);
    const extended = (format & 1) === 1;
    const layout = (format >> 1) & 7;
    if (format >> 4) throw v.error('UNSUPPORTED', `nid ${nid}: i_format 0x${format.toString(16)} has unknown bits`, at);
    if (layout !== DATA_LAYOUT.flatPlain && layout !== DATA_LAYOUT.flatInline && layout !== DATA_LAYOUT.chunkBased) {
      throw v.error('UNSUPPORTED', `nid ${nid}: data layout ${layout} is EROFS compression, which RAFS does not use`, at);
    }
    const icount = v.u16(at + INODE.xattrCountAt);
    const E = INODE.ext, C = INODE.compact;
    const inode: InodeV6 = extended ? {
      nid, offset: at, inodeSize: INODE.extendedSize, layout, mode: v.u16(at + INODE.modeAt),
      size: v.u64(at + E.sizeAt, 'i_size'), u: v.u32(at + E.uAt), ino: v.u32(at + E.inoAt), uid: v.u32(at + E.uidAt),
      gid: v.u32(at + E.gidAt), mtime: v.u64(at + E.mtimeAt, 'i_mtime'), mtimeNsec: v.u32(at + E.mtimeNsecAt), nlink: v.u32(at + E.nlinkAt),
      xattrSize: icount ? XATTR.headerSize + 4 * (icount - 1) : 0,
    } : {
      nid, offset: at, inodeSize: INODE.compactSize, layout, mode: v.u16(at + INODE.modeAt),
      size: v.u32(at + C.sizeAt), u: v.u32(at + C.uAt), ino: v.u32(at + C.inoAt), uid: v.u16(at + C.uidAt), gid: v.u16(at + C.gidAt),
      mtime: this.buildTime, mtimeNsec: 0, nlink: v.u16(at + C.nlinkAt),
      xattrSize: icount ? XATTR.headerSize + 4 * (icount - 1) : 0,
    };
    v.need(at, inode.inodeSize + inode.xattrSize, `nid ${nid} inode and xattrs`);
    if (inode.nlink === 0) this.problems.push(`nid ${nid}: nlink 0`);
    this.inodes.set(nid, inode);
    return inode;
  }

  private node(i: InodeV6, path: string): RafsNode {
    const type = nodeTypeOf(i.mode);
    if (!type) throw this.v.error('BAD_LAZY_FORMAT', `${path} (nid ${i.nid}): mode 0${i.mode.toString(8)} has no file type`, i.offset + INODE.modeAt);
    const node: RafsNode = {
      path, type, mode: i.mode, uid: i.uid, gid: i.gid, size: i.size, mtime: i.mtime, mtimeNsec: i.mtimeNsec, nlink: i.nlink,
      nid: i.nid, ino: i.ino, rdev: 0, xattrs: this.xattrs(i, path), chunks: [], inodeOffset: i.offset,
    };
    if (type === 'symlink') {
      if (i.size === 0 || i.size > 65535) throw this.v.error('BAD_LAZY_FORMAT', `${path}: symlink target length ${i.size}`, i.offset);
      const target = this.data(i, path);
      node.symlink = new TextDecoder().decode(target);
      if (target.some((b) => b > 0x7f)) { try { new TextDecoder('utf-8', { fatal: true }).decode(target); } catch { node.rawSymlink = byteString(target); } }
    } else if (type === 'file') {
      node.chunks = this.chunks(i, path);
    } else if (type !== 'dir') {
      node.rdev = i.u;
    }
    return node;
  }

  /** §4.8 inline xattrs: 12-byte ibody header then entries padded to 4. */
  private xattrs(i: InodeV6, path: string): Map<string, Uint8Array> {
    const out = new Map<string, Uint8Array>();
    if (!i.xattrSize) return out;
    const v = this.v;
    const start = i.offset + i.inodeSize;
    if (v.u8(start + XATTR.sharedCountAt) !== 0) this.problems.push(`${path}: shared xattrs are not decoded`);
    const end = start + i.xattrSize;
    let at = start + XATTR.headerSize;
    while (at + XATTR.entryHeader <= end) {
      const nameLen = v.u8(at), index = v.u8(at + 1), valueSize = v.u16(at + 2);
      const prefix = XATTR_PREFIXES[index];
      if (prefix === undefined) throw v.error('BAD_LAZY_FORMAT', `${path}: xattr name index ${index} is outside the namespaces RAFS allows (1 user, 2/3 posix acl, 4 trusted, 6 security)`, at + 1);
      const total = (XATTR.entryHeader + nameLen + valueSize + 3) & ~3;
      if (at + total > end) throw v.error('BAD_LAZY_FORMAT', `${path}: xattr entry runs past the inode's ${i.xattrSize}-byte xattr area`, at);
      const name = prefix + new TextDecoder().decode(v.sub(at + 4, nameLen));
      out.set(name, v.sub(at + 4 + nameLen, valueSize).slice());
      at += total;
    }
    return out;
  }

  /**
   * The data of a directory or symlink (§4.9 layouts): FLAT_PLAIN = ceil(size/bs) blocks from
   * block `i_u`; FLAT_INLINE = full blocks from `i_u`, tail right after inode + xattrs, which must
   * stay in the inode's block.
   */
  private data(i: InodeV6, path: string): Uint8Array {
    const v = this.v, bs = this.bs;
    if (i.layout === DATA_LAYOUT.chunkBased) throw v.error('BAD_LAZY_FORMAT', `${path}: a directory or symlink with chunk-based layout`, i.offset);
    const inline = i.layout === DATA_LAYOUT.flatInline;
    const full = inline ? Math.floor(i.size / bs) : Math.ceil(i.size / bs);
    const out = new Uint8Array(i.size);
    if (full > 0) {
      const from = i.u * bs;
      const len = Math.min(full * bs, i.size);
      if (from < this.metaBase && from !== 0) this.problems.push(`${path}: data block ${i.u} is before the metadata area`);
      if (from + len > v.length) throw v.error('BAD_LAZY_FORMAT', `${path}: data blocks [${from}, ${from + len}) are beyond the bootstrap`, i.offset + INODE.ext.uAt);
      out.set(v.sub(from, len), 0);
    }
    if (inline) {
      const tail = i.size - full * bs;
      const at = i.offset + i.inodeSize + i.xattrSize;
      if (Math.floor(at / bs) !== Math.floor((at + tail - 1) / bs)) {
        throw v.error('BAD_LAZY_FORMAT', `${path}: inline tail [${at}, ${at + tail}) crosses a block boundary`, at);
      }
      out.set(v.sub(at, tail, 'inline tail'), full * bs);
    }
    return out;
  }

  /** §4.9: each block = dirents (count = nameoff[0]/12) then names; names end at the next nameoff, a NUL or the block's data. */
  private dirents(i: InodeV6, path: string): { name: string; nid: number; raw?: string }[] {
    const data = this.data(i, path);
    const base = i.layout === DATA_LAYOUT.flatInline && data.length < this.bs ? i.offset + i.inodeSize + i.xattrSize : i.u * this.bs;
    const out: { name: string; nid: number; raw?: string }[] = [];
    const dec = new TextDecoder();
    const strict = new TextDecoder('utf-8', { fatal: true });
    for (let b = 0; b < data.length; b += this.bs) {
      const block = new LeView(data.subarray(b, Math.min(data.length, b + this.bs)), base + b, this.v.context);
      const n0 = block.u16(DIRENT.nameoffAt);
      if (n0 < DIRENT.size || n0 % DIRENT.size !== 0 || n0 >= block.length) {
        throw block.error('BAD_LAZY_FORMAT', `${path}: dirent block's first nameoff ${n0} is not a multiple of 12 inside the block`, DIRENT.nameoffAt);
      }
      const count = n0 / DIRENT.size;
      for (let k = 0; k < count; k++) {
        const at = k * DIRENT.size;
        const nameoff = block.u16(at + DIRENT.nameoffAt);
        let end = k + 1 < count ? block.u16(at + DIRENT.size + DIRENT.nameoffAt) : block.length;
        if (nameoff > end || end > block.length) throw block.error('BAD_LAZY_FORMAT', `${path}: dirent ${k} name [${nameoff}, ${end}) is out of order or outside the block`, at);
        if (k + 1 === count) { const z = block.bytes.indexOf(0, nameoff); if (z >= 0 && z < end) end = z; }
        if (end === nameoff || end - nameoff > 255) throw block.error('BAD_LAZY_FORMAT', `${path}: dirent ${k} name length ${end - nameoff}`, at);
        const nid = block.u64(at + DIRENT.nidAt, 'nid');
        const bytes = block.bytes.subarray(nameoff, end);
        let raw: string | undefined;
        if (bytes.some((b) => b > 0x7f)) { try { strict.decode(bytes); } catch { raw = byteString(bytes); } }
        out.push({ name: dec.decode(bytes), nid, raw });
      }
    }
    return out;
  }

  /**
   * §4.10: one 8-byte index per filesystem chunk (ext-SB chunk_size, not the per-inode chunkbits),
   * at rup(inode + xattrs, 8). Device id is blob_index + 1; the CI index is 24 bits.
   */
  private chunks(i: InodeV6, path: string): ChunkRef[] {
    const v = this.v;
    if (i.layout !== DATA_LAYOUT.chunkBased) {
      if (i.size > 0) this.problems.push(`${path}: regular file with data inside the bootstrap (layout ${i.layout}), not chunk-based`);
      return [];
    }
    const fmt = i.u & 0xffff;
    if (!(fmt & CHUNK_INDEX.formatIndexes)) throw v.error('UNSUPPORTED', `${path}: chunk format 0x${fmt.toString(16)} without INDEXES (block map)`, i.offset + INODE.ext.uAt);
    const count = Math.ceil(i.size / this.chunkSize);
    const at0 = (i.offset + i.inodeSize + i.xattrSize + 7) & ~7;
    v.need(at0, count * CHUNK_INDEX.size, `${path}: chunk index array`);
    const out: ChunkRef[] = [];
    for (let k = 0; k < count; k++) {
      const at = at0 + k * CHUNK_INDEX.size;
      const lo = v.u16(at + CHUNK_INDEX.loAt), hi = v.u16(at + CHUNK_INDEX.hiAt), blkaddr = v.u32(at + CHUNK_INDEX.blkaddrAt);
      const blobIndex = (hi & 0xff) - 1;
      const ciIndex = ((hi >> 8) << 16) | lo;
      if (blobIndex < 0 || blobIndex >= this.blobs.length) {
        throw v.error('BAD_LAZY_FORMAT', `${path}: chunk ${k} names device ${hi & 0xff}, but there are ${this.blobs.length} blob(s) (device ids are 1-based)`, at);
      }
      if (ciIndex >= this.blobs[blobIndex].chunkCount) {
        throw v.error('BAD_LAZY_FORMAT', `${path}: chunk ${k} has CI index ${ciIndex}, but blob ${blobIndex} has ${this.blobs[blobIndex].chunkCount} chunk(s)`, at);
      }
      out.push({ blobIndex, ciIndex, blkaddr, fileOffset: k * this.chunkSize, info: this.byCi.get(`${blobIndex}:${ciIndex}`) });
    }
    return out;
  }
}

function utf8Bytes(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}
