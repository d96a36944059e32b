// The content-defined chunker of zstd:chunked (spec zstd-chunked.md §3, "Chunking" and "Exact
// chunker behaviour") as a WebAssembly hot loop: the JavaScript ContentChunker
// (src/core/formats/zstd-chunked/rollsum.ts) ported statement for statement, so both report the
// very same events for the same bytes — the JS one is the fallback and the test oracle. It is
// the engine thread's busiest loop per payload byte after hashing (~100 MB/s in JS).
//
// Protocol (src/core/wasm/rollsum.ts): the caller copies one chunker's STATE (a byte block it
// keeps between calls, so any number of chunkers can be alive in one realm) to statePointer(),
// copies up to bufferSize() input bytes to bufferPointer(), calls feed(len) or finish(), reads
// the events at eventsPointer() (count returned) and copies STATE back.
//
// Event records, 3 × i32 each (EV_*): DATA a..b = bytes [a, b) of this call's input; DATA_ZEROS
// n = n zero bytes held over from earlier calls; ZEROS n = n more bytes of the current hole;
// END z = the current chunk ends (z = 1: it was a `zeros` chunk).

const WINDOW: i32 = 64;
const CHAR_OFFSET: i32 = 31;
const SPLIT_MASK: i32 = 0xffff; // low 16 bits of s2 all ones
const HOLES_THRESHOLD: i64 = 1024;

const BUFFER_SIZE: i32 = 64 << 10;
// Worst case per call: every input byte and every carried zero (< HOLES_THRESHOLD) ends a chunk
// (DATA + END each; a constant run keeps s2 constant, so adversarial input can split at every
// byte), plus one hole (ZEROS + END) and the trailing DATA.
const MAX_EVENTS: i32 = 2 * (BUFFER_SIZE + <i32>HOLES_THRESHOLD) + 8;

export const EV_DATA: i32 = 0;
export const EV_DATA_ZEROS: i32 = 1;
export const EV_ZEROS: i32 = 2;
export const EV_END: i32 = 3;

// Static memory: nothing is allocated at run time, so the memory never grows.
const IN: usize = memory.data(BUFFER_SIZE, 16);
const EVENTS: usize = memory.data(MAX_EVENTS * 12, 16);
// One chunker's state: s1, s2, at (i32), zeros, holeReported (i64: a hole can pass 4 GiB),
// chunkOpen (i32: bytes of the current data chunk were reported), window (64 bytes).
const STATE: usize = memory.data(96, 16);
const S_S1: usize = 0;
const S_S2: usize = 4;
const S_AT: usize = 8;
const S_OPEN: usize = 12;
const S_ZEROS: usize = 16;
const S_HOLE: usize = 24;
const S_WIN: usize = 32;
const STATE_SIZE: i32 = 96;

let s1: i32 = 0;
let s2: i32 = 0;
let at: i32 = 0;
let zeros: i64 = 0;
let holeReported: i64 = 0;
let chunkOpen: bool = false;
let nEvents: i32 = 0;

export function bufferPointer(): usize { return IN; }
export function bufferSize(): i32 { return BUFFER_SIZE; }
export function eventsPointer(): usize { return EVENTS; }
export function statePointer(): usize { return STATE; }
export function stateSize(): i32 { return STATE_SIZE; }

/** Writes a fresh chunker's state (a new rolling sum per file, spec §3) to STATE. */
export function initState(): void {
  memory.fill(STATE, 0, STATE_SIZE);
  store<i32>(STATE + S_S1, WINDOW * CHAR_OFFSET);
  store<i32>(STATE + S_S2, WINDOW * (WINDOW - 1) * CHAR_OFFSET);
}

function load_(): void {
  s1 = load<i32>(STATE + S_S1);
  s2 = load<i32>(STATE + S_S2);
  at = load<i32>(STATE + S_AT);
  chunkOpen = load<i32>(STATE + S_OPEN) != 0;
  zeros = load<i64>(STATE + S_ZEROS);
  holeReported = load<i64>(STATE + S_HOLE);
  nEvents = 0;
}

function save(): void {
  store<i32>(STATE + S_S1, s1);
  store<i32>(STATE + S_S2, s2);
  store<i32>(STATE + S_AT, at);
  store<i32>(STATE + S_OPEN, chunkOpen ? 1 : 0);
  store<i64>(STATE + S_ZEROS, zeros);
  store<i64>(STATE + S_HOLE, holeReported);
}

@inline function event(kind: i32, a: i32, b: i32): void {
  const p = EVENTS + <usize>nEvents * 12;
  store<i32>(p, kind);
  store<i32>(p, a, 4);
  store<i32>(p, b, 8);
  nEvents++;
}

/** RollingSum.roll: one byte in; true when the split pattern holds after it. */
@inline function roll(b: i32): bool {
  const w = STATE + S_WIN + <usize>at;
  const drop = <i32>load<u8>(w);
  store<u8>(w, <u8>b);
  at = (at + 1) & (WINDOW - 1);
  s1 = s1 + b - drop;
  s2 = s2 + s1 - WINDOW * (drop + CHAR_OFFSET);
  return (s2 & SPLIT_MASK) == SPLIT_MASK;
}

/** RollingSum.rollZeros: n zeros in without split tests; O(64) once the window is all zeros. */
function rollZeros(n: i64): void {
  const first = n < <i64>WINDOW ? <i32>n : WINDOW;
  for (let i = 0; i < first; i++) roll(0);
  const rest = n - <i64>first;
  if (rest > 0) {
    s2 = s2 + <i32>rest * (s1 - WINDOW * CHAR_OFFSET); // mod 2^32, as Math.imul
    at = (at + <i32>(rest & <i64>(WINDOW - 1))) & (WINDOW - 1);
  }
}

@inline function data(from: i32, to: i32): void {
  event(EV_DATA, from, to);
  chunkOpen = true;
}

function endData(): void {
  if (!chunkOpen) return;
  event(EV_END, 0, 0);
  chunkOpen = false;
}

function reportHole(): void {
  const length = zeros - holeReported;
  if (length > 0) event(EV_ZEROS, <i32>length, 0);
  holeReported = zeros;
}

function endHole(): void {
  reportHole();
  event(EV_END, 1, 0);
  rollZeros(zeros);
  zeros = 0;
  holeReported = 0;
}

function releaseCarried(count: i32): void {
  let pending: i32 = 0;
  for (let k = 0; k < count; k++) {
    pending++;
    if (roll(0)) {
      event(EV_DATA_ZEROS, pending, 0);
      chunkOpen = true;
      endData();
      pending = 0;
    }
  }
  if (pending > 0) {
    event(EV_DATA_ZEROS, pending, 0);
    chunkOpen = true;
  }
}

/** ContentChunker.feed over IN[0, n); returns the number of events written. */
export function feed(n: i32): i32 {
  if (n < 0 || n > BUFFER_SIZE) return -1;
  load_();
  let from: i32 = 0;
  let carried: i32 = <i32>(zeros < HOLES_THRESHOLD ? zeros : 0); // only read when < threshold
  let runStart: i32 = 0;
  for (let i: i32 = 0; i < n; i++) {
    const b = <i32>load<u8>(IN + <usize>i);
    if (b == 0) {
      if (zeros == 0) runStart = i;
      if (++zeros == HOLES_THRESHOLD) {
        // The data chunk ends before the run (spec §3).
        if (runStart > from) data(from, runStart);
        endData();
      }
      continue;
    }
    if (zeros > 0) {
      if (zeros >= HOLES_THRESHOLD) {
        endHole();
        from = i;
      } else {
        // The held zeros are data after all: rolled and split-tested one by one.
        releaseCarried(carried);
        for (let j = runStart; j < i; j++) {
          if (roll(0)) {
            data(from, j + 1);
            endData();
            from = j + 1;
          }
        }
        zeros = 0;
      }
      carried = 0;
    }
    if (roll(b)) {
      data(from, i + 1);
      endData();
      from = i + 1;
    }
  }
  if (zeros >= HOLES_THRESHOLD) {
    reportHole();
  } else if (zeros > 0) {
    // A run still held: the data before it is reported, its zeros wait for the next call.
    if (carried == 0 && runStart > from) data(from, runStart);
  } else if (from < n) {
    data(from, n);
  }
  save();
  return nEvents;
}

/** ContentChunker.finish: end of the file; returns the number of events written. */
export function finish(): i32 {
  load_();
  if (zeros >= HOLES_THRESHOLD) {
    endHole();
  } else if (zeros > 0) {
    releaseCarried(<i32>zeros);
    zeros = 0;
  }
  endData();
  save();
  return nEvents;
}
