// CRC-64/ISO (Go's hash/crc64 with crc64.ISO: reflected polynomial 0xD800000000000000, init and
// xorout all ones) — the checksum tar-split records for every file's content (spec zstd-chunked.md
// §4), so every payload byte of a zstd:chunked conversion goes through it. The JavaScript
// Crc64Iso (src/core/formats/zstd-chunked/crc64.ts) works on two 32-bit halves at ~300 MB/s and
// showed in the writer's engine-thread profile; this is slicing-by-8 on native i64 (as Go's
// update for inputs of 16 bytes or more), the JS one stays the fallback and the test oracle.
//
// Protocol (src/core/wasm/crc64.ts): copy up to bufferSize() bytes to bufferPointer(), call
// update(crc, len) with the running (un-inverted) state, get the new state back.

const POLY: u64 = 0xd800000000000000;
const BUFFER_SIZE: i32 = 64 << 10;

const IN: usize = memory.data(BUFFER_SIZE, 16);
// TABLE[k][n]: slicing-by-8 tables, 8 × 256 u64.
const TABLE: usize = memory.data(8 * 256 * 8, 16);
let built = false;

function build(): void {
  for (let n: u64 = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = (c & 1) ? (c >> 1) ^ POLY : c >> 1;
    store<u64>(TABLE + <usize>(n << 3), c);
  }
  for (let n: usize = 0; n < 256; n++) {
    let c = load<u64>(TABLE + (n << 3));
    for (let k: usize = 1; k < 8; k++) {
      c = load<u64>(TABLE + (<usize>(c & 0xff) << 3)) ^ (c >> 8);
      store<u64>(TABLE + (k << 11) + (n << 3), c);
    }
  }
  built = true;
}

export function bufferPointer(): usize { return IN; }
export function bufferSize(): i32 { return BUFFER_SIZE; }

@inline function t(k: usize, i: u64): u64 {
  return load<u64>(TABLE + (k << 11) + (<usize>(i & 0xff) << 3));
}

/** The state after IN[0, len): `crc` is the running value before the final inversion (Go's ^crc). */
export function update(crc: u64, len: i32): u64 {
  if (!built) build();
  let c = crc;
  let p = IN;
  const end = IN + <usize>len;
  while (end - p >= 8) {
    c ^= load<u64>(p); // little-endian: byte 0 in the low bits
    c = t(7, c) ^ t(6, c >> 8) ^ t(5, c >> 16) ^ t(4, c >> 24) ^
        t(3, c >> 32) ^ t(2, c >> 40) ^ t(1, c >> 48) ^ t(0, c >> 56);
    p += 8;
  }
  while (p < end) {
    c = t(0, c ^ <u64>load<u8>(p)) ^ (c >> 8);
    p++;
  }
  return c;
}
