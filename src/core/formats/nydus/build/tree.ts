/**
 * The in-memory filesystem tree the Nydus builder and merger hold (the only thing they keep
 * besides one chunk), and its hand-over to the RAFS v6 writer in AssemblyScript
 * (src/core/wasm/rafs-v6.ts): this file marshals, the wasm decides every byte of the bootstrap.
 */
import { LayerlabError, type ErrorContext } from '../../../errors.ts';
import { RAFS_WIRE, runRafsV6Writer } from '../../../wasm/rafs-v6.ts';
import { BLOB_ENTRY, COMPRESSOR_CODES, DIGESTER_CODES, type Compressor, type Digester } from '../types.ts';
import { fromHex } from '../../../bytes/hex.ts';

/** Where one filesystem chunk of a file lives: blob (index into the builder's blob list), CI index, 4 KiB block in the blob cache. */
export interface ChunkLoc {
  blob: number;
  ci: number;
  blkaddr: number;
  /** Its chunk-table entry, when the chunk came from a decoded bootstrap (merge). */
  info?: ChunkRecord;
}

/** What hardlinked names share: the inode's content. */
export interface InodeData {
  size: number;
  chunks: ChunkLoc[];
  xattrs: Map<string, Uint8Array>;
}

export interface TreeNode {
  /** Raw name bytes; empty for the root. */
  name: Uint8Array;
  parent: TreeNode | undefined;
  /** Directories only: children by `nameKey`. */
  children?: Map<string, TreeNode>;
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  mtimeNsec: number;
  rdev: number;
  symlink?: Uint8Array;
  /** Regular files: shared by all names of a hardlink group. Other types: own xattrs only. */
  data: InodeData;
}

/** Byte string → map key whose code units are the bytes, so JS ordering is byte ordering. */
export function nameKey(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i += 8192) s += String.fromCharCode(...b.subarray(i, i + 8192));
  return s;
}

export const S_IFMT = 0o170000;
export const S_IFDIR = 0o040000;
export const S_IFREG = 0o100000;
export const S_IFLNK = 0o120000;

export function newDir(name: Uint8Array, parent: TreeNode | undefined, mode = S_IFDIR | 0o755): TreeNode {
  return { name, parent, children: new Map(), mode, uid: 0, gid: 0, mtime: 0, mtimeNsec: 0, rdev: 0, data: { size: 0, chunks: [], xattrs: new Map() } };
}

export const isDirNode = (n: TreeNode) => (n.mode & S_IFMT) === S_IFDIR;
export const isRegNode = (n: TreeNode) => (n.mode & S_IFMT) === S_IFREG;

/** A blob-table entry as the writer takes it (§4.5); absent fields are 0. */
export interface BlobRecord {
  id: string;
  chunkCount: number;
  compressor: Compressor;
  digester: Digester;
  features: number;
  compressedSize: number;
  uncompressedSize: number;
  tocSize?: number;
  ciCompressor: Compressor;
  ciOffset: number;
  ciCompressedSize: number;
  ciUncompressedSize: number;
  tocDigest?: string;
  metaDigest?: string;
  metaSize?: number;
}

/** One chunk-table entry (§4.11). */
export interface ChunkRecord {
  /** hex, 64 chars */
  digest: string;
  blobIndex: number;
  flags: number;
  compressedSize: number;
  uncompressedSize: number;
  compressedOffset: number;
  uncompressedOffset: number;
  fileOffset: number;
  ciIndex: number;
  crc32?: number;
}

export interface WriteBootstrapInput {
  root: TreeNode;
  /** RAFS super flags (§4.3). */
  flags: number;
  chunkSize: number;
  blobs: BlobRecord[];
  chunkTable: ChunkRecord[];
  /** Nodes whose nids go into the prefetch table (written only when there is a blob). */
  prefetch: TreeNode[];
  context?: ErrorContext;
}

/** xattr name → (EROFS name index, stored suffix) for the five namespaces RAFS allows (§4.8). */
export function xattrIndex(name: string): { index: number; suffix: string } | undefined {
  if (name === 'system.posix_acl_access') return { index: 2, suffix: '' };
  if (name === 'system.posix_acl_default') return { index: 3, suffix: '' };
  for (const [prefix, index] of [['user.', 1], ['trusted.', 4], ['security.', 6]] as const) {
    if (name.startsWith(prefix) && name.length > prefix.length) return { index, suffix: name.slice(prefix.length) };
  }
  return undefined;
}

const utf8 = new TextEncoder();

/** Growable little-endian writer for the wire format. */
class Wire {
  buf = new Uint8Array(1 << 16);
  dv = new DataView(this.buf.buffer);
  n = 0;
  private room(k: number): void {
    if (this.n + k <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.n + k) size *= 2;
    const b = new Uint8Array(size);
    b.set(this.buf.subarray(0, this.n));
    this.buf = b;
    this.dv = new DataView(b.buffer);
  }
  u8(v: number) { this.room(1); this.buf[this.n++] = v; }
  u16(v: number) { this.room(2); this.dv.setUint16(this.n, v, true); this.n += 2; }
  u32(v: number) { this.room(4); this.dv.setUint32(this.n, v >>> 0, true); this.n += 4; }
  u64(v: number) { this.room(8); this.dv.setBigUint64(this.n, BigInt(v), true); this.n += 8; }
  bytes(b: Uint8Array, pad = b.length) { this.room(pad); this.buf.set(b.subarray(0, pad), this.n); this.buf.fill(0, this.n + Math.min(b.length, pad), this.n + pad); this.n += pad; }
  result() { return this.buf.subarray(0, this.n); }
}

export interface WrittenBootstrap {
  bytes: Uint8Array;
  /** nid of every node (hardlinked names share one). */
  nidOf: Map<TreeNode, number>;
  inodes: number;
}

/** Serialises the tree through the AssemblyScript writer; returns the bootstrap bytes. */
export async function writeBootstrap(input: WriteBootstrapInput): Promise<WrittenBootstrap> {
  const ctx = input.context ?? {};
  // number the nodes (root 0) and the hardlink groups (first name seen holds the inode data)
  const nodes: TreeNode[] = [];
  const stack: TreeNode[] = [input.root];
  while (stack.length) {
    const n = stack.pop()!;
    nodes.push(n);
    if (n.children) for (const c of n.children.values()) stack.push(c);
  }
  const index = new Map<TreeNode, number>();
  nodes.forEach((n, i) => index.set(n, i));
  const groupOf = new Map<InodeData, number>();

  const w = new Wire();
  w.u32(RAFS_WIRE.magic);
  w.u32(nodes.length);
  w.u32(input.blobs.length);
  w.u32(input.chunkTable.length);
  w.u32(input.prefetch.length);
  w.u32(input.chunkSize);
  w.u64(input.flags);
  w.bytes(new Uint8Array(32));
  for (const b of input.blobs) {
    w.bytes(utf8.encode(b.id), BLOB_ENTRY.idLen);
    w.u32(b.chunkCount);
    w.u32(COMPRESSOR_CODES.indexOf(b.compressor));
    w.u32(DIGESTER_CODES.indexOf(b.digester));
    w.u32(b.features);
    w.u64(b.compressedSize);
    w.u64(b.uncompressedSize);
    w.u32(b.tocSize ?? 0);
    w.u32(COMPRESSOR_CODES.indexOf(b.ciCompressor));
    w.u64(b.ciOffset);
    w.u64(b.ciCompressedSize);
    w.u64(b.ciUncompressedSize);
    w.bytes(fromHex(b.tocDigest, 32));
    w.bytes(fromHex(b.metaDigest, 32));
    w.u64(b.metaSize ?? 0);
    w.u64(0);
    w.u32(0);
    w.u32(0);
  }
  for (const c of input.chunkTable) {
    w.bytes(fromHex(c.digest, 32));
    w.u32(c.blobIndex);
    w.u32(c.flags);
    w.u32(c.compressedSize);
    w.u32(c.uncompressedSize);
    w.u64(c.compressedOffset);
    w.u64(c.uncompressedOffset);
    w.u64(c.fileOffset);
    w.u32(c.ciIndex);
    w.u32(c.crc32 ?? 0);
  }
  for (const p of input.prefetch) w.u32(index.get(p)!);
  const describe = (i: number) => pathOf(nodes[i]);
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i];
    const reg = isRegNode(n);
    let group = i;
    if (reg) {
      const g = groupOf.get(n.data);
      if (g === undefined) groupOf.set(n.data, i); else group = g;
    }
    const own = group === i;
    const xattrs = own ? [...n.data.xattrs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)) : [];
    const chunks = own && reg ? n.data.chunks : [];
    const name = n.name;
    if (i > 0 && (name.length === 0 || name.length > 255)) {
      throw new LayerlabError('UNSUPPORTED', `name of ${describe(i)} is ${name.length} bytes (EROFS allows 1–255)`, ctx);
    }
    w.u32(n.parent ? index.get(n.parent)! : 0);
    w.u32(group);
    w.u32(n.mode);
    w.u32(n.uid);
    w.u32(n.gid);
    w.u32(n.rdev);
    w.u64(n.mtime);
    w.u32(n.mtimeNsec);
    w.u64(reg ? n.data.size : n.symlink ? n.symlink.length : 0);
    w.u16(name.length);
    w.u16(xattrs.length);
    w.u32(n.symlink?.length ?? 0);
    w.u32(chunks.length);
    w.bytes(name);
    if (n.symlink) w.bytes(n.symlink);
    for (const [xname, value] of xattrs) {
      const x = xattrIndex(xname);
      if (!x) throw new LayerlabError('UNSUPPORTED', `xattr ${JSON.stringify(xname)} of ${describe(i)} is outside the namespaces RAFS allows (user., trusted., security., system.posix_acl_access/default)`, ctx);
      const suffix = utf8.encode(x.suffix);
      if (suffix.length > 255 || value.length > 65535) throw new LayerlabError('UNSUPPORTED', `xattr ${JSON.stringify(xname)} of ${describe(i)} is too long (name ≤ 255, value ≤ 65535 bytes)`, ctx);
      w.u8(x.index);
      w.u8(suffix.length);
      w.u16(value.length);
      w.bytes(suffix);
      w.bytes(value);
    }
    for (const c of chunks) { w.u32(c.blob); w.u32(c.ci); w.u32(c.blkaddr); }
  }
  const out = await runRafsV6Writer(w.result(), nodes.length, describe);
  const nidOf = new Map<TreeNode, number>();
  nodes.forEach((n, i) => nidOf.set(n, out.nids[i]));
  return { bytes: out.bytes, nidOf, inodes: nodes.length };
}

export function pathOf(n: TreeNode): string {
  const parts: string[] = [];
  for (let c: TreeNode | undefined = n; c?.parent; c = c.parent) parts.push(new TextDecoder().decode(c.name));
  return '/' + parts.reverse().join('/');
}
