// BLAKE3-256 (hash mode, 32-byte output), four chunks at a time in WebAssembly SIMD lanes.
// Written from the BLAKE3 specification (BLAKE3-team/BLAKE3-specs, blake3.pdf §2): compression
// function, chunk chaining with CHUNK_START / CHUNK_END, parent nodes (PARENT), the root (ROOT),
// and the tree in which a node's left subtree holds the largest power-of-two number of chunks
// that leaves at least one chunk on the right.
//
// Built with SIMD enabled (wasm/build.mjs passes `--enable simd` for this module).
//
// Vectorisation: lane l of every v128 belongs to an independent compression (four chunks, or
// four parent nodes). State word i of the four compressions lives in v<i>; message word j of the
// four blocks lives at MSG + 16*j after a 4×4 transpose. One-lane work (a partial last chunk,
// a root, the parent fold at the end) runs through the same code with the lanes duplicated.
//
// ABI (raw bindings, one module-global hasher; the caller runs one hash at a time):
//   reset()                 forget any previous input
//   bufferPointer()         BUFFER_SIZE bytes the caller writes input into
//   update(len)             hashes `len` bytes at bufferPointer(); len must be a positive
//                           multiple of 1024 and <= BUFFER_SIZE, and more input must follow
//                           (the last chunk is never passed to update). Returns 0, or 1 if len is bad.
//   finish(len)             hashes the final `len` bytes (0..BUFFER_SIZE; 0 only when nothing was
//                           passed to update, i.e. the empty input), returns a pointer to the
//                           32-byte digest, or 0 if len is bad; then resets.
// A caller with N input bytes: while more than BUFFER_SIZE bytes remain, copy BUFFER_SIZE (or any
// multiple of 1024 <= BUFFER_SIZE) and update(); then copy the rest and finish(rest).

export const BUFFER_SIZE: i32 = 1 << 20;

const CHUNK_LEN: i32 = 1024;
const BLOCK_LEN: i32 = 64;
const CHUNK_START: i32 = 1;
const CHUNK_END: i32 = 2;
const PARENT: i32 = 4;
const ROOT: i32 = 8;

const IV0: i32 = 0x6a09e667;
const IV1: i32 = 0xbb67ae85;
const IV2: i32 = 0x3c6ef372;
const IV3: i32 = 0xa54ff53a;
const IV4: i32 = 0x510e527f;
const IV5: i32 = 0x9b05688c;
const IV6: i32 = 0x1f83d9ab;
const IV7: i32 = 0x5be0cd19;

const MAX_DEPTH: i32 = 64; // 2^64 bytes / 1024 chunks → at most 54 stacked subtrees

// Static memory: nothing is allocated at run time, so the memory never grows.
const IN: usize = memory.data(BUFFER_SIZE, 16);
const CVS: usize = memory.data((BUFFER_SIZE / CHUNK_LEN) * 32, 16); // chaining values of one buffer
const STACK: usize = memory.data(MAX_DEPTH * 32, 16);              // CVs of finished subtrees
const STATE: usize = memory.data(8 * 16, 16);                      // v0..v7 of four lanes
const MSG: usize = memory.data(16 * 16, 16);                       // transposed message block
const PAD: usize = memory.data(BLOCK_LEN, 16);                     // zero-padded partial block
const FOLD: usize = memory.data(2 * 32, 16);                       // left || right CV of a parent
const CTR: usize = memory.data(32, 16);
const OUT: usize = memory.data(32, 16);

let chunks: u64 = 0;   // chunks hashed and pushed so far
let depth: i32 = 0;    // subtrees on STACK

// Right rotations of each 32-bit lane. 16 and 8 move whole bytes: a swizzle with a constant
// pattern (one pshufb in V8; measured faster than i8x16.shuffle or two shifts and an or).
// @ts-ignore: decorator
@inline function rot16(x: v128): v128 {
  return i8x16.swizzle(x, v128(2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13));
}
// @ts-ignore: decorator
@inline function rot12(x: v128): v128 {
  return v128.or(i32x4.shr_u(x, 12), i32x4.shl(x, 20));
}
// @ts-ignore: decorator
@inline function rot8(x: v128): v128 {
  return i8x16.swizzle(x, v128(1, 2, 3, 0, 5, 6, 7, 4, 9, 10, 11, 8, 13, 14, 15, 12));
}
// @ts-ignore: decorator
@inline function rot7(x: v128): v128 {
  return v128.or(i32x4.shr_u(x, 7), i32x4.shl(x, 25));
}

/**
 * Four lanes of `blocks` consecutive compressions (a chunk's blocks, or one parent block): lane l
 * reads its blocks at p<l>, p<l> + 64, …; the chaining values start at STATE (v0..v7,
 * lane-transposed) and the final ones are left there. Counters are per lane (lo, hi); the block
 * length and flags are shared: `first` is or-ed into the first block's flags, `last` into the
 * last block's.
 */
function compress4(p0: usize, p1: usize, p2: usize, p3: usize, blocks: i32,
  ctrLo: v128, ctrHi: v128, blockLen: i32, first: i32, last: i32): void {
  const m = MSG;
  let c0 = v128.load(STATE, 0);
  let c1 = v128.load(STATE, 16);
  let c2 = v128.load(STATE, 32);
  let c3 = v128.load(STATE, 48);
  let c4 = v128.load(STATE, 64);
  let c5 = v128.load(STATE, 80);
  let c6 = v128.load(STATE, 96);
  let c7 = v128.load(STATE, 112);
  for (let b = 0; b < blocks; b++) {
    const off = <usize>(b << 6);
    transposeIn(p0 + off, p1 + off, p2 + off, p3 + off);
    let v0 = c0;
    let v1 = c1;
    let v2 = c2;
    let v3 = c3;
    let v4 = c4;
    let v5 = c5;
    let v6 = c6;
    let v7 = c7;
    let v8 = i32x4.splat(IV0);
    let v9 = i32x4.splat(IV1);
    let v10 = i32x4.splat(IV2);
    let v11 = i32x4.splat(IV3);
    let v12 = ctrLo;
    let v13 = ctrHi;
    let v14 = i32x4.splat(blockLen);
    let v15 = i32x4.splat((b == 0 ? first : 0) | (b == blocks - 1 ? last : 0));
    // Seven rounds, fully unrolled. Each pair of lines is one G(a, b, c, d, mx, my):
    //   a += b + mx; d = (d ^ a) >>> 16; c += d; b = (b ^ c) >>> 12;
    //   a += b + my; d = (d ^ a) >>> 8;  c += d; b = (b ^ c) >>> 7;
    // on the columns (0,4,8,12) (1,5,9,13) (2,6,10,14) (3,7,11,15), then the diagonals
    // (0,5,10,15) (1,6,11,12) (2,7,8,13) (3,4,9,14), with message words taken in the order the
    // round's schedule gives (round 1 in order; each later round applies the permutation
    // 2 6 3 10 7 0 4 13 1 11 12 5 9 14 15 8 to the previous one). Word j is at m + 16*j.
    // round 1: message words 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15
    v0 = i32x4.add(i32x4.add(v0, v4), v128.load(m, 0)); v12 = rot16(v128.xor(v12, v0)); v8 = i32x4.add(v8, v12); v4 = rot12(v128.xor(v4, v8));
    v0 = i32x4.add(i32x4.add(v0, v4), v128.load(m, 16)); v12 = rot8(v128.xor(v12, v0)); v8 = i32x4.add(v8, v12); v4 = rot7(v128.xor(v4, v8));
    v1 = i32x4.add(i32x4.add(v1, v5), v128.load(m, 32)); v13 = rot16(v128.xor(v13, v1)); v9 = i32x4.add(v9, v13); v5 = rot12(v128.xor(v5, v9));
    v1 = i32x4.add(i32x4.add(v1, v5), v128.load(m, 48)); v13 = rot8(v128.xor(v13, v1)); v9 = i32x4.add(v9, v13); v5 = rot7(v128.xor(v5, v9));
    v2 = i32x4.add(i32x4.add(v2, v6), v128.load(m, 64)); v14 = rot16(v128.xor(v14, v2)); v10 = i32x4.add(v10, v14); v6 = rot12(v128.xor(v6, v10));
    v2 = i32x4.add(i32x4.add(v2, v6), v128.load(m, 80)); v14 = rot8(v128.xor(v14, v2)); v10 = i32x4.add(v10, v14); v6 = rot7(v128.xor(v6, v10));
    v3 = i32x4.add(i32x4.add(v3, v7), v128.load(m, 96)); v15 = rot16(v128.xor(v15, v3)); v11 = i32x4.add(v11, v15); v7 = rot12(v128.xor(v7, v11));
    v3 = i32x4.add(i32x4.add(v3, v7), v128.load(m, 112)); v15 = rot8(v128.xor(v15, v3)); v11 = i32x4.add(v11, v15); v7 = rot7(v128.xor(v7, v11));
    v0 = i32x4.add(i32x4.add(v0, v5), v128.load(m, 128)); v15 = rot16(v128.xor(v15, v0)); v10 = i32x4.add(v10, v15); v5 = rot12(v128.xor(v5, v10));
    v0 = i32x4.add(i32x4.add(v0, v5), v128.load(m, 144)); v15 = rot8(v128.xor(v15, v0)); v10 = i32x4.add(v10, v15); v5 = rot7(v128.xor(v5, v10));
    v1 = i32x4.add(i32x4.add(v1, v6), v128.load(m, 160)); v12 = rot16(v128.xor(v12, v1)); v11 = i32x4.add(v11, v12); v6 = rot12(v128.xor(v6, v11));
    v1 = i32x4.add(i32x4.add(v1, v6), v128.load(m, 176)); v12 = rot8(v128.xor(v12, v1)); v11 = i32x4.add(v11, v12); v6 = rot7(v128.xor(v6, v11));
    v2 = i32x4.add(i32x4.add(v2, v7), v128.load(m, 192)); v13 = rot16(v128.xor(v13, v2)); v8 = i32x4.add(v8, v13); v7 = rot12(v128.xor(v7, v8));
    v2 = i32x4.add(i32x4.add(v2, v7), v128.load(m, 208)); v13 = rot8(v128.xor(v13, v2)); v8 = i32x4.add(v8, v13); v7 = rot7(v128.xor(v7, v8));
    v3 = i32x4.add(i32x4.add(v3, v4), v128.load(m, 224)); v14 = rot16(v128.xor(v14, v3)); v9 = i32x4.add(v9, v14); v4 = rot12(v128.xor(v4, v9));
    v3 = i32x4.add(i32x4.add(v3, v4), v128.load(m, 240)); v14 = rot8(v128.xor(v14, v3)); v9 = i32x4.add(v9, v14); v4 = rot7(v128.xor(v4, v9));
    // round 2: message words 2 6 3 10 7 0 4 13 1 11 12 5 9 14 15 8
    v0 = i32x4.add(i32x4.add(v0, v4), v128.load(m, 32)); v12 = rot16(v128.xor(v12, v0)); v8 = i32x4.add(v8, v12); v4 = rot12(v128.xor(v4, v8));
    v0 = i32x4.add(i32x4.add(v0, v4), v128.load(m, 96)); v12 = rot8(v128.xor(v12, v0)); v8 = i32x4.add(v8, v12); v4 = rot7(v128.xor(v4, v8));
    v1 = i32x4.add(i32x4.add(v1, v5), v128.load(m, 48)); v13 = rot16(v128.xor(v13, v1)); v9 = i32x4.add(v9, v13); v5 = rot12(v128.xor(v5, v9));
    v1 = i32x4.add(i32x4.add(v1, v5), v128.load(m, 160)); v13 = rot8(v128.xor(v13, v1)); v9 = i32x4.add(v9, v13); v5 = rot7(v128.xor(v5, v9));
    v2 = i32x4.add(i32x4.add(v2, v6), v128.load(m, 112)); v14 = rot16(v128.xor(v14, v2)); v10 = i32x4.add(v10, v14); v6 = rot12(v128.xor(v6, v10));
    v2 = i32x4.add(i32x4.add(v2, v6), v128.load(m, 0)); v14 = rot8(v128.xor(v14, v2)); v10 = i32x4.add(v10, v14); v6 = rot7(v128.xor(v6, v10));
    v3 = i32x4.add(i32x4.add(v3, v7), v128.load(m, 64)); v15 = rot16(v128.xor(v15, v3)); v11 = i32x4.add(v11, v15); v7 = rot12(v128.xor(v7, v11));
    v3 = i32x4.add(i32x4.add(v3, v7), v128.load(m, 208)); v15 = rot8(v128.xor(v15, v3)); v11 = i32x4.add(v11, v15); v7 = rot7(v128.xor(v7, v11));
    v0 = i32x4.add(i32x4.add(v0, v5), v128.load(m, 16)); v15 = rot16(v128.xor(v15, v0)); v10 = i32x4.add(v10, v15); v5 = rot12(v128.xor(v5, v10));
    v0 = i32x4.add(i32x4.add(v0, v5), v128.load(m, 176)); v15 = rot8(v128.xor(v15, v0)); v10 = i32x4.add(v10, v15); v5 = rot7(v128.xor(v5, v10));
    v1 = i32x4.add(i32x4.add(v1, v6), v128.load(m, 192)); v12 = rot16(v128.xor(v12, v1)); v11 = i32x4.add(v11, v12); v6 = rot12(v128.xor(v6, v11));
    v1 = i32x4.add(i32x4.add(v1, v6), v128.load(m, 80)); v12 = rot8(v128.xor(v12, v1)); v11 = i32x4.add(v11, v12); v6 = rot7(v128.xor(v6, v11));
    v2 = i32x4.add(i32x4.add(v2, v7), v128.load(m, 144)); v13 = rot16(v128.xor(v13, v2)); v8 = i32x4.add(v8, v13); v7 = rot12(v128.xor(v7, v8));
    v2 = i32x4.add(i32x4.add(v2, v7), v128.load(m, 224)); v13 = rot8(v128.xor(v13, v2)); v8 = i32x4.add(v8, v13); v7 = rot7(v128.xor(v7, v8));
    v3 = i32x4.add(i32x4.add(v3, v4), v128.load(m, 240)); v14 = rot16(v128.xor(v14, v3)); v9 = i32x4.add(v9, v14); v4 = rot12(v128.xor(v4, v9));
    v3 = i32x4.add(i32x4.add(v3, v4), v128.load(m, 128)); v14 = rot8(v128.xor(v14, v3)); v9 = i32x4.add(v9, v14); v4 = rot7(v128.xor(v4, v9));
    // round 3: message words 3 4 10 12 13 2 7 14 6 5 9 0 11 15 8 1
    v0 = i32x4.add(i32x4.add(v0, v4), v128.load(m, 48)); v12 = rot16(v128.xor(v12, v0)); v8 = i32x4.add(v8, v12); v4 = rot12(v128.xor(v4, v8));
    v0 = i32x4.add(i32x4.add(v0, v4), v128.load(m, 64)); v12 = rot8(v128.xor(v12, v0)); v8 = i32x4.add(v8, v12); v4 = rot7(v128.xor(v4, v8));
    v1 = i32x4.add(i32x4.add(v1, v5), v128.load(m, 160)); v13 = rot16(v128.xor(v13, v1)); v9 = i32x4.add(v9, v13); v5 = rot12(v128.xor(v5, v9));
    v1 = i32x4.add(i32x4.add(v1, v5), v128.load(m, 192)); v13 = rot8(v128.xor(v13, v1)); v9 = i32x4.add(v9, v13); v5 = rot7(v128.xor(v5, v9));
    v2 = i32x4.add(i32x4.add(v2, v6), v128.load(m, 208)); v14 = rot16(v128.xor(v14, v2)); v10 = i32x4.add(v10, v14); v6 = rot12(v128.xor(v6, v10));
    v2 = i32x4.add(i32x4.add(v2, v6), v128.load(m, 32)); v14 = rot8(v128.xor(v14, v2)); v10 = i32x4.add(v10, v14); v6 = rot7(v128.xor(v6, v10));
    v3 = i32x4.add(i32x4.add(v3, v7), v128.load(m, 112)); v15 = rot16(v128.xor(v15, v3)); v11 = i32x4.add(v11, v15); v7 = rot12(v128.xor(v7, v11));
    v3 = i32x4.add(i32x4.add(v3, v7), v128.load(m, 224)); v15 = rot8(v128.xor(v15, v3)); v11 = i32x4.add(v11, v15); v7 = rot7(v128.xor(v7, v11));
    v0 = i32x4.add(i32x4.add(v0, v5), v128.load(m, 96)); v15 = rot16(v128.xor(v15, v0)); v10 = i32x4.add(v10, v15); v5 = rot12(v128.xor(v5, v10));
    v0 = i32x4.add(i32x4.add(v0, v5), v128.load(m, 80)); v15 = rot8(v128.xor(v15, v0)); v10 = i32x4.add(v10, v15); v5 = rot7(v128.xor(v5, v10));
    v1 = i32x4.add(i32x4.add(v1, v6), v128.load(m, 144)); v12 = rot16(v128.xor(v12, v1)); v11 = i32x4.add(v11, v12); v6 = rot12(v128.xor(v6, v11));
    v1 = i32x4.add(i32x4.add(v1, v6), v128.load(m, 0)); v12 = rot8(v128.xor(v12, v1)); v11 = i32x4.add(v11, v12); v6 = rot7(v128.xor(v6, v11));
    v2 = i32x4.add(i32x4.add(v2, v7), v128.load(m, 176)); v13 = rot16(v128.xor(v13, v2)); v8 = i32x4.add(v8, v13); v7 = rot12(v128.xor(v7, v8));
    v2 = i32x4.add(i32x4.add(v2, v7), v128.load(m, 240)); v13 = rot8(v128.xor(v13, v2)); v8 = i32x4.add(v8, v13); v7 = rot7(v128.xor(v7, v8));
    v3 = i32x4.add(i32x4.add(v3, v4), v128.load(m, 128)); v14 = rot16(v128.xor(v14, v3)); v9 = i32x4.add(v9, v14); v4 = rot12(v128.xor(v4, v9));
    v3 = i32x4.add(i32x4.add(v3, v4), v128.load(m, 16)); v14 = rot8(v128.xor(v14, v3)); v9 = i32x4.add(v9, v14); v4 = rot7(v128.xor(v4, v9));
    // round 4: message words 10 7 12 9 14 3 13 15 4 0 11 2 5 8 1 6
    v0 = i32x4.add(i32x4.add(v0, v4), v128.load(m, 160)); v12 = rot16(v128.xor(v12, v0)); v8 = i32x4.add(v8, v12); v4 = rot12(v128.xor(v4, v8));
    v0 = i32x4.add(i32x4.add(v0, v4), v128.load(m, 112)); v12 = rot8(v128.xor(v12, v0)); v8 = i32x4.add(v8, v12); v4 = rot7(v128.xor(v4, v8));
    v1 = i32x4.add(i32x4.add(v1, v5), v128.load(m, 192)); v13 = rot16(v128.xor(v13, v1)); v9 = i32x4.add(v9, v13); v5 = rot12(v128.xor(v5, v9));
    v1 = i32x4.add(i32x4.add(v1, v5), v128.load(m, 144)); v13 = rot8(v128.xor(v13, v1)); v9 = i32x4.add(v9, v13); v5 = rot7(v128.xor(v5, v9));
    v2 = i32x4.add(i32x4.add(v2, v6), v128.load(m, 224)); v14 = rot16(v128.xor(v14, v2)); v10 = i32x4.add(v10, v14); v6 = rot12(v128.xor(v6, v10));
    v2 = i32x4.add(i32x4.add(v2, v6), v128.load(m, 48)); v14 = rot8(v128.xor(v14, v2)); v10 = i32x4.add(v10, v14); v6 = rot7(v128.xor(v6, v10));
    v3 = i32x4.add(i32x4.add(v3, v7), v128.load(m, 208)); v15 = rot16(v128.xor(v15, v3)); v11 = i32x4.add(v11, v15); v7 = rot12(v128.xor(v7, v11));
    v3 = i32x4.add(i32x4.add(v3, v7), v128.load(m, 240)); v15 = rot8(v128.xor(v15, v3)); v11 = i32x4.add(v11, v15); v7 = rot7(v128.xor(v7, v11));
    v0 = i32x4.add(i32x4.add(v0, v5), v128.load(m, 64)); v15 = rot16(v128.xor(v15, v0)); v10 = i32x4.add(v10, v15); v5 = rot12(v128.xor(v5, v10));
    v0 = i32x4.add(i32x4.add(v0, v5), v128.load(m, 0)); v15 = rot8(v128.xor(v15, v0)); v10 = i32x4.add(v10, v15); v5 = rot7(v128.xor(v5, v10));
    v1 = i32x4.add(i32x4.add(v1, v6), v128.load(m, 176)); v12 = rot16(v128.xor(v12, v1)); v11 = i32x4.add(v11, v12); v6 = rot12(v128.xor(v6, v11));
    v1 = i32x4.add(i32x4.add(v1, v6), v128.load(m, 32)); v12 = rot8(v128.xor(v12, v1)); v11 = i32x4.add(v11, v12); v6 = rot7(v128.xor(v6, v11));
    v2 = i32x4.add(i32x4.add(v2, v7), v128.load(m, 80)); v13 = rot16(v128.xor(v13, v2)); v8 = i32x4.add(v8, v13); v7 = rot12(v128.xor(v7, v8));
    v2 = i32x4.add(i32x4.add(v2, v7), v128.load(m, 128)); v13 = rot8(v128.xor(v13, v2)); v8 = i32x4.add(v8, v13); v7 = rot7(v128.xor(v7, v8));
    v3 = i32x4.add(i32x4.add(v3, v4), v128.load(m, 16)); v14 = rot16(v128.xor(v14, v3)); v9 = i32x4.add(v9, v14); v4 = rot12(v128.xor(v4, v9));
    v3 = i32x4.add(i32x4.add(v3, v4), v128.load(m, 96)); v14 = rot8(v128.xor(v14, v3)); v9 = i32x4.add(v9, v14); v4 = rot7(v128.xor(v4, v9));
    // round 5: message words 12 13 9 11 15 10 14 8 7 2 5 3 0 1 6 4
    v0 = i32x4.add(i32x4.add(v0, v4), v128.load(m, 192)); v12 = rot16(v128.xor(v12, v0)); v8 = i32x4.add(v8, v12); v4 = rot12(v128.xor(v4, v8));
    v0 = i32x4.add(i32x4.add(v0, v4), v128.load(m, 208)); v12 = rot8(v128.xor(v12, v0)); v8 = i32x4.add(v8, v12); v4 = rot7(v128.xor(v4, v8));
    v1 = i32x4.add(i32x4.add(v1, v5), v128.load(m, 144)); v13 = rot16(v128.xor(v13, v1)); v9 = i32x4.add(v9, v13); v5 = rot12(v128.xor(v5, v9));
    v1 = i32x4.add(i32x4.add(v1, v5), v128.load(m, 176)); v13 = rot8(v128.xor(v13, v1)); v9 = i32x4.add(v9, v13); v5 = rot7(v128.xor(v5, v9));
    v2 = i32x4.add(i32x4.add(v2, v6), v128.load(m, 240)); v14 = rot16(v128.xor(v14, v2)); v10 = i32x4.add(v10, v14); v6 = rot12(v128.xor(v6, v10));
    v2 = i32x4.add(i32x4.add(v2, v6), v128.load(m, 160)); v14 = rot8(v128.xor(v14, v2)); v10 = i32x4.add(v10, v14); v6 = rot7(v128.xor(v6, v10));
    v3 = i32x4.add(i32x4.add(v3, v7), v128.load(m, 224)); v15 = rot16(v128.xor(v15, v3)); v11 = i32x4.add(v11, v15); v7 = rot12(v128.xor(v7, v11));
    v3 = i32x4.add(i32x4.add(v3, v7), v128.load(m, 128)); v15 = rot8(v128.xor(v15, v3)); v11 = i32x4.add(v11, v15); v7 = rot7(v128.xor(v7, v11));
    v0 = i32x4.add(i32x4.add(v0, v5), v128.load(m, 112)); v15 = rot16(v128.xor(v15, v0)); v10 = i32x4.add(v10, v15); v5 = rot12(v128.xor(v5, v10));
    v0 = i32x4.add(i32x4.add(v0, v5), v128.load(m, 32)); v15 = rot8(v128.xor(v15, v0)); v10 = i32x4.add(v10, v15); v5 = rot7(v128.xor(v5, v10));
    v1 = i32x4.add(i32x4.add(v1, v6), v128.load(m, 80)); v12 = rot16(v128.xor(v12, v1)); v11 = i32x4.add(v11, v12); v6 = rot12(v128.xor(v6, v11));
    v1 = i32x4.add(i32x4.add(v1, v6), v128.load(m, 48)); v12 = rot8(v128.xor(v12, v1)); v11 = i32x4.add(v11, v12); v6 = rot7(v128.xor(v6, v11));
    v2 = i32x4.add(i32x4.add(v2, v7), v128.load(m, 0)); v13 = rot16(v128.xor(v13, v2)); v8 = i32x4.add(v8, v13); v7 = rot12(v128.xor(v7, v8));
    v2 = i32x4.add(i32x4.add(v2, v7), v128.load(m, 16)); v13 = rot8(v128.xor(v13, v2)); v8 = i32x4.add(v8, v13); v7 = rot7(v128.xor(v7, v8));
    v3 = i32x4.add(i32x4.add(v3, v4), v128.load(m, 96)); v14 = rot16(v128.xor(v14, v3)); v9 = i32x4.add(v9, v14); v4 = rot12(v128.xor(v4, v9));
    v3 = i32x4.add(i32x4.add(v3, v4), v128.load(m, 64)); v14 = rot8(v128.xor(v14, v3)); v9 = i32x4.add(v9, v14); v4 = rot7(v128.xor(v4, v9));
    // round 6: message words 9 14 11 5 8 12 15 1 13 3 0 10 2 6 4 7
    v0 = i32x4.add(i32x4.add(v0, v4), v128.load(m, 144)); v12 = rot16(v128.xor(v12, v0)); v8 = i32x4.add(v8, v12); v4 = rot12(v128.xor(v4, v8));
    v0 = i32x4.add(i32x4.add(v0, v4), v128.load(m, 224)); v12 = rot8(v128.xor(v12, v0)); v8 = i32x4.add(v8, v12); v4 = rot7(v128.xor(v4, v8));
    v1 = i32x4.add(i32x4.add(v1, v5), v128.load(m, 176)); v13 = rot16(v128.xor(v13, v1)); v9 = i32x4.add(v9, v13); v5 = rot12(v128.xor(v5, v9));
    v1 = i32x4.add(i32x4.add(v1, v5), v128.load(m, 80)); v13 = rot8(v128.xor(v13, v1)); v9 = i32x4.add(v9, v13); v5 = rot7(v128.xor(v5, v9));
    v2 = i32x4.add(i32x4.add(v2, v6), v128.load(m, 128)); v14 = rot16(v128.xor(v14, v2)); v10 = i32x4.add(v10, v14); v6 = rot12(v128.xor(v6, v10));
    v2 = i32x4.add(i32x4.add(v2, v6), v128.load(m, 192)); v14 = rot8(v128.xor(v14, v2)); v10 = i32x4.add(v10, v14); v6 = rot7(v128.xor(v6, v10));
    v3 = i32x4.add(i32x4.add(v3, v7), v128.load(m, 240)); v15 = rot16(v128.xor(v15, v3)); v11 = i32x4.add(v11, v15); v7 = rot12(v128.xor(v7, v11));
    v3 = i32x4.add(i32x4.add(v3, v7), v128.load(m, 16)); v15 = rot8(v128.xor(v15, v3)); v11 = i32x4.add(v11, v15); v7 = rot7(v128.xor(v7, v11));
    v0 = i32x4.add(i32x4.add(v0, v5), v128.load(m, 208)); v15 = rot16(v128.xor(v15, v0)); v10 = i32x4.add(v10, v15); v5 = rot12(v128.xor(v5, v10));
    v0 = i32x4.add(i32x4.add(v0, v5), v128.load(m, 48)); v15 = rot8(v128.xor(v15, v0)); v10 = i32x4.add(v10, v15); v5 = rot7(v128.xor(v5, v10));
    v1 = i32x4.add(i32x4.add(v1, v6), v128.load(m, 0)); v12 = rot16(v128.xor(v12, v1)); v11 = i32x4.add(v11, v12); v6 = rot12(v128.xor(v6, v11));
    v1 = i32x4.add(i32x4.add(v1, v6), v128.load(m, 160)); v12 = rot8(v128.xor(v12, v1)); v11 = i32x4.add(v11, v12); v6 = rot7(v128.xor(v6, v11));
    v2 = i32x4.add(i32x4.add(v2, v7), v128.load(m, 32)); v13 = rot16(v128.xor(v13, v2)); v8 = i32x4.add(v8, v13); v7 = rot12(v128.xor(v7, v8));
    v2 = i32x4.add(i32x4.add(v2, v7), v128.load(m, 96)); v13 = rot8(v128.xor(v13, v2)); v8 = i32x4.add(v8, v13); v7 = rot7(v128.xor(v7, v8));
    v3 = i32x4.add(i32x4.add(v3, v4), v128.load(m, 64)); v14 = rot16(v128.xor(v14, v3)); v9 = i32x4.add(v9, v14); v4 = rot12(v128.xor(v4, v9));
    v3 = i32x4.add(i32x4.add(v3, v4), v128.load(m, 112)); v14 = rot8(v128.xor(v14, v3)); v9 = i32x4.add(v9, v14); v4 = rot7(v128.xor(v4, v9));
    // round 7: message words 11 15 5 0 1 9 8 6 14 10 2 12 3 4 7 13
    v0 = i32x4.add(i32x4.add(v0, v4), v128.load(m, 176)); v12 = rot16(v128.xor(v12, v0)); v8 = i32x4.add(v8, v12); v4 = rot12(v128.xor(v4, v8));
    v0 = i32x4.add(i32x4.add(v0, v4), v128.load(m, 240)); v12 = rot8(v128.xor(v12, v0)); v8 = i32x4.add(v8, v12); v4 = rot7(v128.xor(v4, v8));
    v1 = i32x4.add(i32x4.add(v1, v5), v128.load(m, 80)); v13 = rot16(v128.xor(v13, v1)); v9 = i32x4.add(v9, v13); v5 = rot12(v128.xor(v5, v9));
    v1 = i32x4.add(i32x4.add(v1, v5), v128.load(m, 0)); v13 = rot8(v128.xor(v13, v1)); v9 = i32x4.add(v9, v13); v5 = rot7(v128.xor(v5, v9));
    v2 = i32x4.add(i32x4.add(v2, v6), v128.load(m, 16)); v14 = rot16(v128.xor(v14, v2)); v10 = i32x4.add(v10, v14); v6 = rot12(v128.xor(v6, v10));
    v2 = i32x4.add(i32x4.add(v2, v6), v128.load(m, 144)); v14 = rot8(v128.xor(v14, v2)); v10 = i32x4.add(v10, v14); v6 = rot7(v128.xor(v6, v10));
    v3 = i32x4.add(i32x4.add(v3, v7), v128.load(m, 128)); v15 = rot16(v128.xor(v15, v3)); v11 = i32x4.add(v11, v15); v7 = rot12(v128.xor(v7, v11));
    v3 = i32x4.add(i32x4.add(v3, v7), v128.load(m, 96)); v15 = rot8(v128.xor(v15, v3)); v11 = i32x4.add(v11, v15); v7 = rot7(v128.xor(v7, v11));
    v0 = i32x4.add(i32x4.add(v0, v5), v128.load(m, 224)); v15 = rot16(v128.xor(v15, v0)); v10 = i32x4.add(v10, v15); v5 = rot12(v128.xor(v5, v10));
    v0 = i32x4.add(i32x4.add(v0, v5), v128.load(m, 160)); v15 = rot8(v128.xor(v15, v0)); v10 = i32x4.add(v10, v15); v5 = rot7(v128.xor(v5, v10));
    v1 = i32x4.add(i32x4.add(v1, v6), v128.load(m, 32)); v12 = rot16(v128.xor(v12, v1)); v11 = i32x4.add(v11, v12); v6 = rot12(v128.xor(v6, v11));
    v1 = i32x4.add(i32x4.add(v1, v6), v128.load(m, 192)); v12 = rot8(v128.xor(v12, v1)); v11 = i32x4.add(v11, v12); v6 = rot7(v128.xor(v6, v11));
    v2 = i32x4.add(i32x4.add(v2, v7), v128.load(m, 48)); v13 = rot16(v128.xor(v13, v2)); v8 = i32x4.add(v8, v13); v7 = rot12(v128.xor(v7, v8));
    v2 = i32x4.add(i32x4.add(v2, v7), v128.load(m, 64)); v13 = rot8(v128.xor(v13, v2)); v8 = i32x4.add(v8, v13); v7 = rot7(v128.xor(v7, v8));
    v3 = i32x4.add(i32x4.add(v3, v4), v128.load(m, 112)); v14 = rot16(v128.xor(v14, v3)); v9 = i32x4.add(v9, v14); v4 = rot12(v128.xor(v4, v9));
    v3 = i32x4.add(i32x4.add(v3, v4), v128.load(m, 208)); v14 = rot8(v128.xor(v14, v3)); v9 = i32x4.add(v9, v14); v4 = rot7(v128.xor(v4, v9));

    c0 = v128.xor(v0, v8);
    c1 = v128.xor(v1, v9);
    c2 = v128.xor(v2, v10);
    c3 = v128.xor(v3, v11);
    c4 = v128.xor(v4, v12);
    c5 = v128.xor(v5, v13);
    c6 = v128.xor(v6, v14);
    c7 = v128.xor(v7, v15);
  }
  v128.store(STATE, c0, 0);
  v128.store(STATE, c1, 16);
  v128.store(STATE, c2, 32);
  v128.store(STATE, c3, 48);
  v128.store(STATE, c4, 64);
  v128.store(STATE, c5, 80);
  v128.store(STATE, c6, 96);
  v128.store(STATE, c7, 112);
}

/** STATE = the IV in every lane (the key of the hash mode; a chunk's first chaining value). */
// @ts-ignore: decorator
@inline function loadIV(): void {
  v128.store(STATE, i32x4.splat(IV0), 0);
  v128.store(STATE, i32x4.splat(IV1), 16);
  v128.store(STATE, i32x4.splat(IV2), 32);
  v128.store(STATE, i32x4.splat(IV3), 48);
  v128.store(STATE, i32x4.splat(IV4), 64);
  v128.store(STATE, i32x4.splat(IV5), 80);
  v128.store(STATE, i32x4.splat(IV6), 96);
  v128.store(STATE, i32x4.splat(IV7), 112);
}

/** MSG word j, lane l = 32-bit word j of the 64-byte block at p<l>. */
function transposeIn(p0: usize, p1: usize, p2: usize, p3: usize): void {
  for (let g: usize = 0; g < 64; g += 16) {
    const a = v128.load(p0 + g);
    const b = v128.load(p1 + g);
    const c = v128.load(p2 + g);
    const d = v128.load(p3 + g);
    const ab01 = i32x4.shuffle(a, b, 0, 4, 1, 5); // a0 b0 a1 b1
    const ab23 = i32x4.shuffle(a, b, 2, 6, 3, 7); // a2 b2 a3 b3
    const cd01 = i32x4.shuffle(c, d, 0, 4, 1, 5);
    const cd23 = i32x4.shuffle(c, d, 2, 6, 3, 7);
    const q = MSG + (g << 2);                      // words g/4 .. g/4 + 3 go to MSG + 16 * (g/4)
    v128.store(q, i32x4.shuffle(ab01, cd01, 0, 1, 4, 5), 0);  // a0 b0 c0 d0
    v128.store(q, i32x4.shuffle(ab01, cd01, 2, 3, 6, 7), 16); // a1 b1 c1 d1
    v128.store(q, i32x4.shuffle(ab23, cd23, 0, 1, 4, 5), 32);
    v128.store(q, i32x4.shuffle(ab23, cd23, 2, 3, 6, 7), 48);
  }
}

/** Writes the chaining value of lanes 0..lanes-1 (32 bytes each) to out, out + 32, … */
function transposeOut(out: usize, lanes: i32): void {
  for (let h: usize = 0; h < 32; h += 16) {
    const s = STATE + (h << 2);                    // words 0..3, then 4..7
    const a = v128.load(s, 0);
    const b = v128.load(s, 16);
    const c = v128.load(s, 32);
    const d = v128.load(s, 48);
    const ab01 = i32x4.shuffle(a, b, 0, 4, 1, 5);
    const ab23 = i32x4.shuffle(a, b, 2, 6, 3, 7);
    const cd01 = i32x4.shuffle(c, d, 0, 4, 1, 5);
    const cd23 = i32x4.shuffle(c, d, 2, 6, 3, 7);
    v128.store(out + h, i32x4.shuffle(ab01, cd01, 0, 1, 4, 5));
    if (lanes > 1) v128.store(out + h, i32x4.shuffle(ab01, cd01, 2, 3, 6, 7), 32);
    if (lanes > 2) v128.store(out + h, i32x4.shuffle(ab23, cd23, 0, 1, 4, 5), 64);
    if (lanes > 3) v128.store(out + h, i32x4.shuffle(ab23, cd23, 2, 3, 6, 7), 96);
  }
}

/** Per-lane chunk counters counter + 0..3 as (lo, hi) vectors at CTR, CTR + 16. */
function setCounters(counter: u64): void {
  for (let l: u64 = 0; l < 4; l++) {
    const c = counter + l;
    store<u32>(CTR + (<usize>l << 2), <u32>c);
    store<u32>(CTR + (<usize>l << 2), <u32>(c >>> 32), 16);
  }
}

/**
 * Chaining values of `lanes` (1..4) whole, non-root chunks at ptr, ptr + 1024, … with chunk
 * counters counter, counter + 1, … written to out, out + 32, … Missing lanes repeat the last chunk.
 */
function hashChunks4(ptr: usize, counter: u64, lanes: i32, out: usize): void {
  const p1 = lanes > 1 ? ptr + CHUNK_LEN : ptr;
  const p2 = lanes > 2 ? ptr + 2 * CHUNK_LEN : p1;
  const p3 = lanes > 3 ? ptr + 3 * CHUNK_LEN : p2;
  setCounters(counter);
  const lo = v128.load(CTR);
  const hi = v128.load(CTR, 16);
  loadIV();
  compress4(ptr, p1, p2, p3, CHUNK_LEN / BLOCK_LEN, lo, hi, BLOCK_LEN, CHUNK_START, CHUNK_END);
  transposeOut(out, lanes);
}

/** Chaining values of n whole, non-root chunks at ptr (counters from counter) into out. */
function hashChunks(ptr: usize, n: i32, counter: u64, out: usize): void {
  for (let i = 0; i < n; i += 4) {
    hashChunks4(ptr + (<usize>i << 10), counter + <u64>i, min(4, n - i), out + (<usize>i << 5));
  }
}

/**
 * One chunk of len bytes (0..1024; 0 only for the empty input) in lane 0: its chaining value,
 * or with `root` the root output, written to out.
 */
function hashChunk1(ptr: usize, len: i32, counter: u64, root: bool, out: usize): void {
  const lo = i32x4.splat(<i32>counter);
  const hi = i32x4.splat(<i32>(counter >>> 32));
  const end = CHUNK_END | (root ? ROOT : 0);
  // All blocks but the last are whole; the last (1..64 bytes, or 0 for the empty input) is
  // zero-padded in PAD.
  const whole = len == 0 ? 0 : (len - 1) >> 6;
  const lastLen = len - (whole << 6);
  loadIV();
  if (whole > 0) compress4(ptr, ptr, ptr, ptr, whole, lo, hi, BLOCK_LEN, CHUNK_START, 0);
  memory.fill(PAD, 0, BLOCK_LEN);
  memory.copy(PAD, ptr + <usize>(whole << 6), lastLen);
  compress4(PAD, PAD, PAD, PAD, 1, lo, hi, lastLen, whole == 0 ? CHUNK_START : 0, end);
  transposeOut(out, 1);
}

/**
 * Parent nodes of `lanes` (1..4) 64-byte blocks (left CV || right CV) at ptr, ptr + 64, …,
 * chaining values to out, out + 32, … (out may be ptr: the blocks are read first).
 */
function hashParents4(ptr: usize, lanes: i32, flags: i32, out: usize): void {
  const p1 = lanes > 1 ? ptr + BLOCK_LEN : ptr;
  const p2 = lanes > 2 ? ptr + 2 * BLOCK_LEN : p1;
  const p3 = lanes > 3 ? ptr + 3 * BLOCK_LEN : p2;
  loadIV();
  const zero = i32x4.splat(0);
  compress4(ptr, p1, p2, p3, 1, zero, zero, BLOCK_LEN, PARENT | flags, 0);
  transposeOut(out, lanes);
}

/** Reduces the 2^k chaining values at ptr (a whole, non-root subtree) in place to one at ptr. */
function reduce(ptr: usize, size: i32): void {
  while (size > 1) {
    const half = size >> 1;
    // Parent j reads ptr + 64j .. + 64 and writes ptr + 32j: never ahead of what is still unread.
    for (let j = 0; j < half; j += 4) {
      hashParents4(ptr + (<usize>j << 6), min(4, half - j), 0, ptr + (<usize>j << 5));
    }
    size = half;
  }
}

/** Pushes the CV of a finished subtree; `total` chunks are done after it. Merges siblings. */
function push(cv: usize, total: u64): void {
  memory.copy(STACK + (<usize>depth << 5), cv, 32);
  depth++;
  // One stacked subtree per set bit of total: merge the top two while there are more.
  // Safe to do eagerly: more input follows, so none of these merges is the root.
  while (<u64>depth > popcnt(total)) {
    const left = STACK + (<usize>(depth - 2) << 5);
    hashParents4(left, 1, 0, left);
    depth--;
  }
}

/**
 * The CVS of n whole chunks starting at chunk `chunks` (more input follows) split into the
 * largest aligned power-of-two subtrees, each reduced and pushed.
 */
function pushSubtrees(n: i32): void {
  let pos = 0;
  while (pos < n) {
    const at = chunks + <u64>pos;
    let size: u64 = <u64>1 << (31 - clz<u32>(<u32>(n - pos)));
    if (at != 0) {
      const align = at & (~at + 1);
      if (align < size) size = align;
    }
    const cv = CVS + (<usize>pos << 5);
    reduce(cv, <i32>size);
    push(cv, at + size);
    pos += <i32>size;
  }
}

export function bufferPointer(): usize {
  return IN;
}

export function bufferSize(): i32 {
  return BUFFER_SIZE;
}

export function reset(): void {
  chunks = 0;
  depth = 0;
}

export function update(len: i32): i32 {
  if (len <= 0 || len > BUFFER_SIZE || (len & (CHUNK_LEN - 1)) != 0) return 1;
  const n = len >> 10;
  hashChunks(IN, n, chunks, CVS);
  pushSubtrees(n);
  chunks += <u64>n;
  return 0;
}

export function finish(len: i32): usize {
  if (len < 0 || len > BUFFER_SIZE) return 0;
  if (chunks == 0 && len <= CHUNK_LEN) {
    // A single chunk is the root.
    hashChunk1(IN, len, 0, true, OUT);
    reset();
    return OUT;
  }
  if (len == 0) return 0;
  const n = (len + CHUNK_LEN - 1) >> 10;
  const lastLen = len - ((n - 1) << 10);
  const last = CVS + (<usize>(n - 1) << 5);
  if (lastLen == CHUNK_LEN) {
    hashChunks(IN, n, chunks, CVS);
  } else {
    hashChunks(IN, n - 1, chunks, CVS);
    hashChunk1(IN + (<usize>(n - 1) << 10), lastLen, chunks + <u64>(n - 1), false, last);
  }
  pushSubtrees(n - 1);
  // Fold the stack from the right: each stacked subtree is the left child of the node above
  // everything that follows it; the bottom one makes the root.
  memory.copy(FOLD + 32, last, 32);
  for (let i = depth - 1; i >= 0; i--) {
    memory.copy(FOLD, STACK + (<usize>i << 5), 32);
    if (i == 0) hashParents4(FOLD, 1, ROOT, OUT);
    else hashParents4(FOLD, 1, 0, FOLD + 32);
  }
  reset();
  return OUT;
}
