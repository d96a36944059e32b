// RAFS v6 bootstrap writer (../../../shared/spec/nydus.md §4, layout recipe §4.12).
//
// ABI (raw bindings, no strings, hash-wasm style): the caller asks for an input buffer with
// `inputBuffer(len)`, writes the tree description into it (wire format below, little-endian),
// calls `build()` (0 = ok, else an error code, `errorNode()` says which node), then reads
// `outputLength()` bytes at `outputPointer()` and the per-node `nidOf(i)` / `inoOf(i)`.
// Everything that decides bytes of the bootstrap happens here: inode placement (nids), inode
// forms, xattr bodies, dirent blocks and their sort order, inline tails, chunk-index arrays,
// superblock, RAFS extended superblock, device slots, blob table, prefetch table, chunk table.
//
// Wire format
//   header, 64 bytes: u32 magic 0x42464152 ("RAFB") | u32 nodes | u32 blobs | u32 chunkTable
//                     | u32 prefetch | u32 chunkSize | u64 rafs flags | 32 reserved
//   blobs × 216:      id[64] | u32 chunk_count | u32 compression | u32 digester | u32 features
//                     | u64 compressed_size | u64 uncompressed_size | u32 toc_size | u32 ci_compressor
//                     | u64 ci_offset | u64 ci_compressed | u64 ci_uncompressed | toc_digest[32]
//                     | meta_digest[32] | u64 meta_size | u64 cipher_iv | u32 cipher_algo | u32 0
//   chunk table × 80: the on-disk RafsV5ChunkInfo (§4.11); sorted here by (digest, blob_index)
//   prefetch × 4:     node indexes (written as their nids)
//   nodes, node 0 = root, parents before children not required:
//     u32 parent | u32 group (hardlink group = index of the node holding xattrs and chunks; own
//     index when not hardlinked) | u32 mode | u32 uid | u32 gid | u32 rdev | u64 mtime
//     | u32 mtime_nsec | u64 size | u16 name_len | u16 xattrs | u32 symlink_len | u32 chunks
//     | name | symlink target | xattrs (u8 name_index, u8 suffix_len, u16 value_len, suffix, value)
//     | chunks × 12 (u32 blob_index, u32 ci_index, u32 blkaddr)

const BLOCK: i64 = 4096;
const NODE_FIXED: i32 = 56;
const WIRE_BLOB: i32 = 216;
const CHUNK_INFO: i32 = 80;
const EXT_INODE: i32 = 64;

export const ERR_BAD_INPUT: i32 = 1;
export const ERR_NAME: i32 = 2;
export const ERR_SYMLINK: i32 = 3;
export const ERR_TREE: i32 = 4;
export const ERR_CHUNK: i32 = 5;
export const ERR_XATTR: i32 = 6;

let inPtr: usize = 0;
let inLen: i32 = 0;
let outPtr: usize = 0;
let outLen: i64 = 0;
let errNode: i32 = -1;

// per node
let nNodes: i32 = 0;
let recAt: StaticArray<i32> = new StaticArray<i32>(0);   // record offset in the input
let nameAt: StaticArray<i32> = new StaticArray<i32>(0);
let symAt: StaticArray<i32> = new StaticArray<i32>(0);
let xattrAt: StaticArray<i32> = new StaticArray<i32>(0);
let chunkAt: StaticArray<i32> = new StaticArray<i32>(0);
let xattrSize: StaticArray<i32> = new StaticArray<i32>(0);
let dirSize: StaticArray<i64> = new StaticArray<i64>(0);
let nodeOff: StaticArray<i64> = new StaticArray<i64>(0);  // layout offset of the inode
let dataOff: StaticArray<i64> = new StaticArray<i64>(0);  // layout offset of dir/symlink blocks
let inlineTail: StaticArray<u8> = new StaticArray<u8>(0);
let inoOfNode: StaticArray<u32> = new StaticArray<u32>(0);
let nlinkOf: StaticArray<u32> = new StaticArray<u32>(0);
let groupSize: StaticArray<u32> = new StaticArray<u32>(0);
let placed: StaticArray<u8> = new StaticArray<u8>(0);
let entries: Array<Array<i32>> = new Array<Array<i32>>(0); // per dir: sorted dirents (-1 ".", -2 "..")

// layout state (§4.12)
let cur: i64 = 0;
let avail: Array<Array<i64>> = new Array<Array<i64>>(0);
let availHead: StaticArray<i32> = new StaticArray<i32>(128);
let nextIno: u32 = 1;

// ─── input accessors ─────────────────────────────────────────────────────────────────────────

@inline function in32(at: i32): u32 { return load<u32>(inPtr + <usize>at); }
@inline function in16(at: i32): u16 { return load<u16>(inPtr + <usize>at); }
@inline function in64(at: i32): u64 { return load<u64>(inPtr + <usize>at); }
@inline function parentOf(i: i32): i32 { return <i32>in32(recAt[i]); }
@inline function groupOf(i: i32): i32 { return <i32>in32(recAt[i] + 4); }
@inline function modeOf(i: i32): u32 { return in32(recAt[i] + 8); }
@inline function sizeOf(i: i32): u64 { return in64(recAt[i] + 36); }
@inline function nameLen(i: i32): i32 { return <i32>in16(recAt[i] + 44); }
@inline function xattrCount(i: i32): i32 { return <i32>in16(recAt[i] + 46); }
@inline function symLen(i: i32): i32 { return <i32>in32(recAt[i] + 48); }
@inline function chunkCount(i: i32): i32 { return <i32>in32(recAt[i] + 52); }
@inline function isDir(i: i32): bool { return (modeOf(i) & 0o170000) == 0o040000; }
@inline function isReg(i: i32): bool { return (modeOf(i) & 0o170000) == 0o100000; }
@inline function isSymlink(i: i32): bool { return (modeOf(i) & 0o170000) == 0o120000; }
@inline function rup(x: i64, a: i64): i64 { return (x + a - 1) / a * a; }
@inline function rdown(x: i64, a: i64): i64 { return x / a * a; }

// ─── exports ─────────────────────────────────────────────────────────────────────────────────

export function inputBuffer(len: i32): usize {
  if (inPtr != 0) heap.free(inPtr);
  inPtr = heap.alloc(<usize>max(len, 8));
  inLen = len;
  return inPtr;
}
export function outputPointer(): usize { return outPtr; }
export function outputLength(): f64 { return <f64>outLen; }
export function errorNode(): i32 { return errNode; }
export function nidOf(i: i32): f64 { return <f64>(nodeOff[groupOf(i)] / 32); }
export function inoOf(i: i32): u32 { return inoOfNode[i]; }
export function nlinkOfNode(i: i32): u32 { return nlinkOf[groupOf(i)]; }
/** Frees the input and output buffers. */
export function release(): void {
  if (inPtr != 0) heap.free(inPtr);
  if (outPtr != 0) heap.free(outPtr);
  inPtr = 0; outPtr = 0; inLen = 0; outLen = 0;
}

// ─── name order: raw bytes, a shorter prefix first (§4.9) ─────────────────────────────────────

const DOT: i32 = -1;
const DOTDOT: i32 = -2;

function nameCmp(a: i32, b: i32): i32 {
  let pa: usize, la: i32, pb: usize, lb: i32;
  if (a < 0) { pa = 0; la = a == DOT ? 1 : 2; } else { pa = inPtr + <usize>nameAt[a]; la = nameLen(a); }
  if (b < 0) { pb = 0; lb = b == DOT ? 1 : 2; } else { pb = inPtr + <usize>nameAt[b]; lb = nameLen(b); }
  const n = min(la, lb);
  for (let k = 0; k < n; k++) {
    const ca: i32 = pa == 0 ? 0x2e : <i32>load<u8>(pa + <usize>k);
    const cb: i32 = pb == 0 ? 0x2e : <i32>load<u8>(pb + <usize>k);
    if (ca != cb) return ca - cb;
  }
  return la - lb;
}

// ─── §4.12 placement ─────────────────────────────────────────────────────────────────────────

function notePartial(off: i64): void {
  const r = off % BLOCK;
  if (r != 0) avail[<i32>((BLOCK - r) / 32)].push(rdown(off, BLOCK));
}

function reuse(size: i64): i64 {
  if (size >= BLOCK) return -1;
  const m = (size + 31) / 32;
  for (let k = <i32>m; k < 128; k++) {
    const q = avail[k];
    const h = availHead[k];
    if (h < q.length) {
      availHead[k] = h + 1;
      const b = q[h];
      const o = b + BLOCK - 32 * <i64>k;
      notePartial(o + 32 * m);
      return o;
    }
  }
  return -1;
}

@inline function align32(): void { cur = rup(cur, 32); }

/** Directory or symlink ("with tail"). */
function placeWithTail(i: i32, d: i64): void {
  const isz: i64 = <i64>(EXT_INODE + xattrSize[i]);
  const tail = d % BLOCK;
  let off: i64;
  if (tail != 0 && isz + tail <= BLOCK) {
    inlineTail[i] = 1;
    off = reuse(isz + tail);
    if (off < 0) {
      if (BLOCK - cur % BLOCK < isz + tail) { notePartial(cur); cur = rup(cur, BLOCK); }
      off = cur; cur += isz + tail;
    }
    if (d != tail) { notePartial(cur); cur = rup(cur, BLOCK); }
    dataOff[i] = cur;
    cur += rdown(d, BLOCK);
  } else {
    inlineTail[i] = 0;
    off = reuse(isz);
    if (off < 0) { off = cur; cur += isz; }
    notePartial(cur);
    cur = rup(cur, BLOCK);
    dataOff[i] = cur;
    cur += d;
    cur = rup(cur, BLOCK);
  }
  nodeOff[i] = off;
  align32();
}

function placeFile(i: i32): void {
  const g = groupOf(i);
  if (placed[g]) return;
  placed[g] = 1;
  const isz: i64 = <i64>(EXT_INODE + xattrSize[g]);
  const total = rup(isz, 8) + 8 * <i64>chunkCount(g);
  let off = reuse(total);
  if (off < 0) { off = cur; cur += total; }
  nodeOff[g] = off;
  align32();
}

function placeOther(i: i32): void {
  nodeOff[i] = cur;
  cur += <i64>(EXT_INODE + xattrSize[i]);
  align32();
}

function place(i: i32): void {
  if (isDir(i)) placeWithTail(i, dirSize[i]);
  else if (isSymlink(i)) placeWithTail(i, <i64>symLen(i));
  else if (isReg(i)) placeFile(i);
  else placeOther(i);
}

/** §4.12 step 2: non-directories placed in name order, then each subdirectory and its subtree. */
function process(dir: i32): void {
  const list = entries[dir];
  const dirs = new Array<i32>();
  for (let k = 0; k < list.length; k++) {
    const c = list[k];
    if (c < 0) continue;
    const g = groupOf(c);
    const ino = nextIno++;
    // hardlink names get a fresh counter value but store the first name's ino
    if (isReg(c) && g != c) {
      if (inoOfNode[g] == 0) inoOfNode[g] = ino;
      inoOfNode[c] = inoOfNode[g];
    } else if (isReg(c) && inoOfNode[c] != 0) {
      // the group's representative reached after another name: keep the first name's ino
    } else {
      inoOfNode[c] = ino;
    }
    if (isDir(c)) dirs.push(c); else place(c);
  }
  nlinkOf[dir] = 2 + <u32>dirs.length;
  for (let k = 0; k < dirs.length; k++) {
    place(dirs[k]);
    process(dirs[k]);
  }
}

// ─── writing ─────────────────────────────────────────────────────────────────────────────────

@inline function put8(at: i64, v: u8): void { store<u8>(outPtr + <usize>at, v); }
@inline function put16(at: i64, v: u16): void { store<u16>(outPtr + <usize>at, v); }
@inline function put32(at: i64, v: u32): void { store<u32>(outPtr + <usize>at, v); }
@inline function put64(at: i64, v: u64): void { store<u64>(outPtr + <usize>at, v); }

function fileType(i: i32): u8 {
  switch (modeOf(i) & 0o170000) {
    case 0o100000: return 1;
    case 0o040000: return 2;
    case 0o020000: return 3;
    case 0o060000: return 4;
    case 0o010000: return 5;
    case 0o140000: return 6;
    case 0o120000: return 7;
  }
  return 0;
}

/** Extended inode (§4.7) + inline xattrs (§4.8) at file offset `at`. */
function writeInode(i: i32, at: i64, format: u16, size: u64, u: u32, nlink: u32): void {
  const r = recAt[i];
  const g = groupOf(i);
  const xs = xattrSize[g];
  put16(at, format);
  put16(at + 2, xs == 0 ? 0 : <u16>((xs - 12) / 4 + 1));
  put16(at + 4, <u16>in32(r + 8));
  put64(at + 8, size);
  put32(at + 16, u);
  put32(at + 20, inoOfNode[i]);
  put32(at + 24, in32(r + 12));
  put32(at + 28, in32(r + 16));
  put64(at + 32, in64(r + 24));
  put32(at + 40, in32(r + 32));
  put32(at + 44, nlink);
  if (xs == 0) return;
  // ibody header: 12 bytes of zero (h_shared_count 0), then entries padded to 4
  let w = at + EXT_INODE + 12;
  let p = xattrAt[g];
  const n = xattrCount(g);
  for (let k = 0; k < n; k++) {
    const idx = load<u8>(inPtr + <usize>p);
    const sl = <i32>load<u8>(inPtr + <usize>p + 1);
    const vl = <i32>load<u16>(inPtr + <usize>p + 2);
    put8(w, <u8>sl);
    put8(w + 1, idx);
    put16(w + 2, <u16>vl);
    memory.copy(outPtr + <usize>(w + 4), inPtr + <usize>(p + 4), <usize>(sl + vl));
    w += rup(<i64>(4 + sl + vl), 4);
    p += 4 + sl + vl;
  }
}

/** Dirent blocks of directory `i` (§4.9), full blocks at `blocksAt`, the tail (if inline) at `tailAt`. */
function writeDirents(i: i32, blocksAt: i64, tailAt: i64, inline: bool, shift: i64): void {
  const list = entries[i];
  const total = dirSize[i];
  let k = 0;
  let blockStart: i64 = 0; // position in the directory data
  while (k < list.length) {
    // entries of this block: greedy packing (§4.9 "Packing and size")
    let used: i64 = 0;
    let end = k;
    while (end < list.length) {
      const len: i64 = 12 + <i64>(list[end] == DOT ? 1 : list[end] == DOTDOT ? 2 : nameLen(list[end]));
      if (used + len > BLOCK) break;
      used += len;
      end++;
    }
    const isTail = blockStart + BLOCK > total;
    const base = isTail && inline ? tailAt : blocksAt + blockStart;
    let nameoff: i64 = 12 * <i64>(end - k);
    for (let e = k; e < end; e++) {
      const c = list[e];
      const at = base + 12 * <i64>(e - k);
      let nid: i64, ft: u8, nl: i32;
      if (c == DOT) { nid = nodeOff[i] / 32; ft = 2; nl = 1; }
      else if (c == DOTDOT) { const p = parentOf(i); nid = nodeOff[p] / 32; ft = 2; nl = 2; }
      else { nid = nodeOff[groupOf(c)] / 32; ft = fileType(c); nl = nameLen(c); }
      put64(at, <u64>nid);
      put16(at + 8, <u16>nameoff);
      put8(at + 10, ft);
      put8(at + 11, 0);
      if (c < 0) { put8(base + nameoff, 0x2e); if (nl == 2) put8(base + nameoff + 1, 0x2e); }
      else memory.copy(outPtr + <usize>(base + nameoff), inPtr + <usize>nameAt[c], <usize>nl);
      nameoff += <i64>nl;
    }
    k = end;
    blockStart += BLOCK;
  }
}

function chunkbitsFor(i: i32, chunkSize: i64, fsBits: u32): u32 {
  // §4.10 contiguity optimisation: >1 chunk, one blob, back-to-back in the blob cache
  const n = chunkCount(i);
  if (n <= 1) return fsBits;
  let p = chunkAt[i];
  const blob0 = in32(p);
  const blk0 = <i64>in32(p + 8);
  const step = chunkSize / BLOCK;
  for (let k = 1; k < n; k++) {
    const q = p + 12 * k;
    if (in32(q) != blob0 || <i64>in32(q + 8) != blk0 + step * <i64>k) return fsBits;
  }
  const size = <i64>sizeOf(i);
  let bits: u32 = 12;
  while ((<i64>1 << bits) < size) bits++;
  return bits;
}

function sortChunkTable(at: i32, n: i32): Array<i32> {
  const order = new Array<i32>(n);
  for (let k = 0; k < n; k++) order[k] = k;
  chunkBase = at;
  order.sort(chunkCmp);
  return order;
}
let chunkBase: i32 = 0;
function chunkCmp(a: i32, b: i32): i32 {
  const pa = inPtr + <usize>(chunkBase + a * CHUNK_INFO);
  const pb = inPtr + <usize>(chunkBase + b * CHUNK_INFO);
  for (let k = 0; k < 32; k++) {
    const x = <i32>load<u8>(pa + <usize>k), y = <i32>load<u8>(pb + <usize>k);
    if (x != y) return x - y;
  }
  const ba = load<u32>(pa + 32), bb = load<u32>(pb + 32);
  return ba < bb ? -1 : ba > bb ? 1 : 0;
}

function fail(code: i32, node: i32): i32 { errNode = node; return code; }

export function build(): i32 {
  errNode = -1;
  if (outPtr != 0) { heap.free(outPtr); outPtr = 0; outLen = 0; }
  if (inLen < 64 || in32(0) != 0x42464152) return ERR_BAD_INPUT;
  nNodes = <i32>in32(4);
  const nBlobs = <i32>in32(8);
  const nChunks = <i32>in32(12);
  const nPrefetch = <i32>in32(16);
  const chunkSize = <i64>in32(20);
  const flags = in64(24);
  if (nNodes < 1 || nBlobs > 254) return ERR_BAD_INPUT;
  let fsBits: u32 = 12;
  while ((<i64>1 << fsBits) < chunkSize) fsBits++;
  const blobsAt = 64;
  const chunksAt = blobsAt + nBlobs * WIRE_BLOB;
  const prefetchAt = chunksAt + nChunks * CHUNK_INFO;
  let p = prefetchAt + nPrefetch * 4;
  if (p > inLen) return ERR_BAD_INPUT;

  recAt = new StaticArray<i32>(nNodes);
  nameAt = new StaticArray<i32>(nNodes);
  symAt = new StaticArray<i32>(nNodes);
  xattrAt = new StaticArray<i32>(nNodes);
  chunkAt = new StaticArray<i32>(nNodes);
  xattrSize = new StaticArray<i32>(nNodes);
  dirSize = new StaticArray<i64>(nNodes);
  nodeOff = new StaticArray<i64>(nNodes);
  dataOff = new StaticArray<i64>(nNodes);
  inlineTail = new StaticArray<u8>(nNodes);
  inoOfNode = new StaticArray<u32>(nNodes);
  nlinkOf = new StaticArray<u32>(nNodes);
  groupSize = new StaticArray<u32>(nNodes);
  placed = new StaticArray<u8>(nNodes);
  entries = new Array<Array<i32>>(nNodes);

  // parse the variable-length node records
  for (let i = 0; i < nNodes; i++) {
    if (p + NODE_FIXED > inLen) return fail(ERR_BAD_INPUT, i);
    recAt[i] = p;
    const nl = nameLen(i), nx = xattrCount(i), sl = symLen(i), nc = chunkCount(i);
    p += NODE_FIXED;
    nameAt[i] = p; p += nl;
    symAt[i] = p; p += sl;
    xattrAt[i] = p;
    let xs: i32 = nx > 0 ? 12 : 0;
    for (let k = 0; k < nx; k++) {
      if (p + 4 > inLen) return fail(ERR_BAD_INPUT, i);
      const idx = load<u8>(inPtr + <usize>p);
      const a = <i32>load<u8>(inPtr + <usize>p + 1), b = <i32>load<u16>(inPtr + <usize>p + 2);
      if (idx != 1 && idx != 2 && idx != 3 && idx != 4 && idx != 6) return fail(ERR_XATTR, i);
      xs += <i32>rup(<i64>(4 + a + b), 4);
      p += 4 + a + b;
    }
    xattrSize[i] = xs;
    chunkAt[i] = p; p += 12 * nc;
    if (p > inLen) return fail(ERR_BAD_INPUT, i);
    if (i > 0 && (nl == 0 || nl > 255)) return fail(ERR_NAME, i);
    if (isSymlink(i) && (sl == 0 || sl > 4095 || <u64>sl != sizeOf(i))) return fail(ERR_SYMLINK, i);
    const par = parentOf(i);
    if (par < 0 || par >= nNodes || (i > 0 && par == i)) return fail(ERR_TREE, i);
    const g = groupOf(i);
    if (g < 0 || g >= nNodes || (g != i && (!isReg(i) || !isReg(g) || groupOf(g) != g))) return fail(ERR_TREE, i);
    if (isReg(i) && g == i && <i64>nc != (<i64>sizeOf(i) + chunkSize - 1) / chunkSize) return fail(ERR_CHUNK, i);
    for (let k = 0; k < nc; k++) {
      const bi = <i32>in32(chunkAt[i] + 12 * k);
      if (bi >= nBlobs || in32(chunkAt[i] + 12 * k + 4) >= (1 << 24)) return fail(ERR_CHUNK, i);
    }
    entries[i] = new Array<i32>();
  }
  if (!isDir(0)) return fail(ERR_TREE, 0);

  // children + dirents (sorted, "." and ".." included)
  for (let i = 1; i < nNodes; i++) {
    const par = parentOf(i);
    if (!isDir(par)) return fail(ERR_TREE, i);
    entries[par].push(i);
    groupSize[groupOf(i)] += 1;
  }
  for (let i = 0; i < nNodes; i++) {
    if (!isDir(i)) continue;
    const list = entries[i];
    list.push(DOT);
    list.push(DOTDOT);
    list.sort(nameCmp);
    for (let k = 1; k < list.length; k++) if (nameCmp(list[k - 1], list[k]) == 0) return fail(ERR_NAME, list[k]);
    let size: i64 = 0;
    for (let k = 0; k < list.length; k++) {
      const len: i64 = 12 + <i64>(list[k] == DOT ? 1 : list[k] == DOTDOT ? 2 : nameLen(list[k]));
      if (size % BLOCK + len > BLOCK) size = rup(size, BLOCK);
      size += len;
    }
    dirSize[i] = size;
  }

  // §4.12 steps 6–8: tables first, then the metadata area starts at meta_addr
  const blobTableOffset = rup(1408 + 128 * <i64>nBlobs, BLOCK);
  const blobTableSize = 256 * <i64>nBlobs;
  const prefetchSize: i64 = nBlobs > 0 ? 4 * <i64>nPrefetch : 0;
  const metaAddr: i64 = nBlobs > 0 ? rup(blobTableOffset + blobTableSize + prefetchSize, BLOCK) : 0;
  const shift = metaAddr;

  avail = new Array<Array<i64>>(128);
  for (let k = 0; k < 128; k++) { avail[k] = new Array<i64>(); availHead[k] = 0; }
  cur = BLOCK;
  nextIno = 1;
  placeWithTail(0, dirSize[0]);
  inoOfNode[0] = nextIno++;
  process(0);
  for (let i = 1; i < nNodes; i++) nlinkOf[i] = isDir(i) ? nlinkOf[i] : isReg(i) ? groupSize[groupOf(i)] : 1;
  // orphans (a node whose parent chain does not reach the root) are never placed
  for (let i = 1; i < nNodes; i++) if (inoOfNode[i] == 0) return fail(ERR_TREE, i);

  const metaEnd = rup(cur + shift, BLOCK);
  const chunkTableOffset = metaEnd;
  const chunkTableSize = <i64>nChunks * CHUNK_INFO;
  const fileSize = rup(chunkTableOffset + chunkTableSize, BLOCK);
  outLen = fileSize;
  outPtr = heap.alloc(<usize>fileSize);
  memory.fill(outPtr, 0, <usize>fileSize);

  // inodes and their data
  for (let i = 0; i < nNodes; i++) {
    const g = groupOf(i);
    if (g != i) continue; // hardlink names share the group's inode
    const at = nodeOff[i] + shift;
    const isz = <i64>(EXT_INODE + xattrSize[i]);
    const mode = modeOf(i) & 0o170000;
    if (mode == 0o040000 || mode == 0o120000) {
      const d: i64 = mode == 0o040000 ? dirSize[i] : <i64>symLen(i);
      const inline = inlineTail[i] != 0;
      const u = <u32>((dataOff[i] + shift) / BLOCK);
      const nl: u32 = mode == 0o040000 ? nlinkOf[i] : 1;
      writeInode(i, at, inline ? 0x5 : 0x1, <u64>d, u, nl);
      if (mode == 0o040000) {
        writeDirents(i, dataOff[i] + shift, at + isz, inline, shift);
      } else {
        const full = inline ? rdown(d, BLOCK) : d;
        if (full > 0) memory.copy(outPtr + <usize>(dataOff[i] + shift), inPtr + <usize>symAt[i], <usize>full);
        if (inline) memory.copy(outPtr + <usize>(at + isz), inPtr + <usize>(symAt[i] + <i32>full), <usize>(d - full));
      }
    } else if (mode == 0o100000) {
      const bits = chunkbitsFor(i, chunkSize, fsBits);
      writeInode(i, at, 0x9, sizeOf(i), 0x20 | (bits - 12), nlinkOf[i]);
      let w = rup(at + isz, 8);
      const n = chunkCount(i);
      for (let k = 0; k < n; k++) {
        const q = chunkAt[i] + 12 * k;
        const blob = in32(q), ci = in32(q + 4), blk = in32(q + 8);
        put16(w, <u16>(ci & 0xffff));
        put16(w + 2, <u16>(((blob + 1) & 0xff) | ((ci >> 16) << 8)));
        put32(w + 4, blk);
        w += 8;
      }
    } else {
      writeInode(i, at, 0x1, 0, in32(recAt[i] + 20), 1);
    }
  }

  // chunk table (§4.11), sorted by (digest, blob_index)
  const order = sortChunkTable(chunksAt, nChunks);
  for (let k = 0; k < nChunks; k++) {
    memory.copy(outPtr + <usize>(chunkTableOffset + <i64>k * CHUNK_INFO), inPtr + <usize>(chunksAt + order[k] * CHUNK_INFO), CHUNK_INFO);
  }

  // §4.2 EROFS superblock
  const S: i64 = 1024;
  let sBlocks: i64 = 0;
  for (let b = 0; b < nBlobs; b++) sBlocks += <i64>in64(blobsAt + b * WIRE_BLOB + 88) / BLOCK;
  put32(S, 0xe0f5e1e2);
  put32(S + 8, 0x40000000);
  put8(S + 12, 12);
  put16(S + 14, 128);
  put64(S + 16, <u64>(nextIno - 1));
  put32(S + 36, <u32>sBlocks);
  put32(S + 40, <u32>(metaAddr / BLOCK));
  put32(S + 80, 0xc);
  put16(S + 86, <u16>nBlobs);
  put16(S + 88, 11);

  // §4.3 RAFS extended superblock
  const X: i64 = 1152;
  put64(X, flags);
  put64(X + 8, <u64>blobTableOffset);
  put32(X + 16, <u32>blobTableSize);
  put32(X + 20, <u32>chunkSize);
  put64(X + 24, <u64>chunkTableOffset);
  put64(X + 32, <u64>chunkTableSize);
  if (prefetchSize > 0) {
    put64(X + 40, <u64>(blobTableOffset + blobTableSize));
    put32(X + 48, <u32>prefetchSize);
    for (let k = 0; k < nPrefetch; k++) {
      const n = <i32>in32(prefetchAt + 4 * k);
      if (n < 0 || n >= nNodes) return fail(ERR_BAD_INPUT, n);
      put32(blobTableOffset + blobTableSize + 4 * <i64>k, <u32>(nodeOff[groupOf(n)] / 32));
    }
  }

  // §4.4 device slots (mapped_blkaddr per step 10), §4.5 blob table
  let pos = fileSize;
  for (let b = 0; b < nBlobs; b++) {
    const w = blobsAt + b * WIRE_BLOB;
    const slot: i64 = 1408 + 128 * <i64>b;
    const e: i64 = blobTableOffset + 256 * <i64>b;
    const blocks = <i64>in64(w + 88) / BLOCK;
    const mapped = rup(pos, 0x80000) / BLOCK;
    pos = (mapped + blocks) * BLOCK;
    memory.copy(outPtr + <usize>slot, inPtr + <usize>w, 64);
    put32(slot + 64, <u32>blocks);
    put32(slot + 68, <u32>mapped);
    memory.copy(outPtr + <usize>e, inPtr + <usize>w, 64);
    put32(e + 64, <u32>b);
    put32(e + 68, <u32>chunkSize);
    put32(e + 72, in32(w + 64));
    put32(e + 76, in32(w + 68));
    put32(e + 80, in32(w + 72));
    put32(e + 84, in32(w + 76));
    put64(e + 88, in64(w + 80));
    put64(e + 96, in64(w + 88));
    put32(e + 104, in32(w + 96));
    put32(e + 108, in32(w + 100));
    put64(e + 112, in64(w + 104));
    put64(e + 120, in64(w + 112));
    put64(e + 128, in64(w + 120));
    memory.copy(outPtr + <usize>(e + 136), inPtr + <usize>(w + 128), 64);
    put64(e + 200, in64(w + 192));
    put64(e + 208, in64(w + 200));
    put32(e + 216, in32(w + 208));
  }
  return 0;
}
