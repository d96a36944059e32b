/**
 * The content-defined chunker of zstd:chunked (spec zstd-chunked.md §3, "Chunking" and "Exact
 * chunker behaviour"): where containers/storage cuts a file into chunks, so that our manifest has
 * the same chunk boundaries (and so the same chunk digests) as the reference writer's.
 *
 * - A bup-style rolling sum over a 64-byte window, char offset 31, `s1`/`s2` 32-bit; a data
 *   chunk ends after a byte when the low 16 bits of `s2` are all ones (≈ 64 KiB average).
 * - One rolling sum per file, not reset at chunk boundaries.
 * - A run of zero bytes is held back until it ends below HOLES_THRESHOLD (then its bytes are data,
 *   rolled and split-tested one by one) or reaches it (then the data chunk ends before the run,
 *   the whole run becomes one `zeros` chunk, its zeros are rolled into the sum without split
 *   tests, and the next chunk starts after it).
 * - End of file ends the current chunk; an empty chunk is never emitted.
 *
 * There is no maximum chunk size (containers/storage has none): a file whose sum never hits the
 * split pattern is one chunk. The chunker holds no file bytes — it hands out views of its input
 * (and of a shared zero block for released zeros, at most HOLES_THRESHOLD − 1 of them) — so
 * memory stays bounded whatever the chunk size; the writer streams a long chunk as several frames.
 */
import { HOLES_THRESHOLD, ROLLSUM } from './types.ts';

/** What the chunker says, in order, about the bytes it was fed. */
export type ChunkEvent =
  /** The next bytes of the current data chunk (a view of the input or of a shared zero block). */
  | { kind: 'data'; bytes: Uint8Array }
  /** The next `length` bytes of the current `zeros` chunk (all zero; no view is kept). */
  | { kind: 'zeros'; length: number }
  /** The current chunk ends here; `zeros` says which kind it was. */
  | { kind: 'end'; zeros: boolean };

const WINDOW = ROLLSUM.window;
const CHAR_OFFSET = ROLLSUM.charOffset;
const SPLIT_MASK = (1 << ROLLSUM.splitBits) - 1;
const ZERO_BLOCK = new Uint8Array(HOLES_THRESHOLD);

/**
 * The bup rolling sum (rollsum.go's `RollSum`): `s1` = sum of the window's bytes + offsets, `s2` =
 * sum of the running `s1`s, both mod 2^32 (kept as int32: only the low bits matter).
 */
export class RollingSum {
  s1 = WINDOW * CHAR_OFFSET;
  s2 = WINDOW * (WINDOW - 1) * CHAR_OFFSET;
  readonly window = new Uint8Array(WINDOW);
  at = 0;

  /** Rolls one byte in; true when the split pattern (low 16 bits of s2 all ones) holds after it. */
  roll(b: number): boolean {
    const drop = this.window[this.at];
    this.window[this.at] = b;
    this.at = (this.at + 1) & (WINDOW - 1);
    this.s1 = (this.s1 + b - drop) | 0;
    this.s2 = (this.s2 + this.s1 - WINDOW * (drop + CHAR_OFFSET)) | 0;
    return (this.s2 & SPLIT_MASK) === SPLIT_MASK;
  }

  /**
   * Rolls `n` zero bytes in, without split tests (a hole, spec §3). Once the window holds only
   * zeros, each further zero leaves s1 alone and adds s1 − 64·31 to s2, so a long run costs O(64).
   */
  rollZeros(n: number): void {
    const first = Math.min(n, WINDOW);
    for (let i = 0; i < first; i++) this.roll(0);
    const rest = n - first;
    if (rest > 0) {
      this.s2 = (this.s2 + Math.imul(rest % 0x1_0000_0000, (this.s1 - WINDOW * CHAR_OFFSET) | 0)) | 0;
      this.at = (this.at + (rest % WINDOW)) & (WINDOW - 1);
    }
  }
}

/**
 * Cuts one file's bytes into chunks. `feed` the file's bytes in order (any piece sizes: the chunks
 * do not depend on them), then `finish`; each call appends what it learned to `out`.
 */
export interface Chunker {
  feed(v: Uint8Array, out: ChunkEvent[]): void;
  finish(out: ChunkEvent[]): void;
}

/**
 * The chunker in JavaScript: the fallback where the WebAssembly port (core/wasm/rollsum.ts, the
 * writer's first choice: ~2.5× faster in Node) does not load, and the oracle its tests compare it with.
 */
export class ContentChunker implements Chunker {
  private readonly sum = new RollingSum();
  /** Zero bytes of the current run not yet placed: held back (< threshold) or the hole so far. */
  private zeros = 0;
  /** Hole bytes already reported as `zeros` events. */
  private holeReported = 0;
  /** Bytes of the current data chunk reported so far. */
  private chunkLength = 0;

  /**
   * Data is reported as views of `v`, one event per piece of a chunk (not one per zero run): a
   * held zero run that turns out to be data is rolled where it lies in `v`; only zeros held over
   * from an earlier call are reported from the shared zero block.
   */
  feed(v: Uint8Array, out: ChunkEvent[]): void {
    const sum = this.sum;
    const w = sum.window;
    const n = v.length;
    // The hot loop keeps the rolling sum in locals (RollingSum.roll, inlined), stored back
    // around the rarer calls that roll through `sum` themselves.
    let { s1, s2, at } = sum;
    // v[from, …) is not reported yet. The current zero run has `carried` zeros from earlier
    // calls, then v[runStart, i); bytes before the run, v[from, runStart), are rolled data.
    let from = 0;
    let carried = this.zeros;
    let runStart = 0;
    for (let i = 0; i < n; i++) {
      const b = v[i];
      if (b === 0) {
        if (this.zeros === 0) runStart = i;
        if (++this.zeros === HOLES_THRESHOLD) {
          // The data chunk ends before the run (spec §3).
          if (runStart > from) this.data(v.subarray(from, runStart), out);
          this.endData(out);
        }
        continue;
      }
      if (this.zeros > 0) {
        sum.s1 = s1; sum.s2 = s2; sum.at = at;
        if (this.zeros >= HOLES_THRESHOLD) {
          this.endHole(out);
          from = i;
        } else {
          // The held zeros are data after all: rolled and split-tested one by one.
          this.releaseCarried(carried, out);
          for (let j = runStart; j < i; j++) {
            if (sum.roll(0)) {
              this.data(v.subarray(from, j + 1), out);
              this.endData(out);
              from = j + 1;
            }
          }
          this.zeros = 0;
        }
        carried = 0;
        ({ s1, s2, at } = sum);
      }
      const drop = w[at];
      w[at] = b;
      at = (at + 1) & (WINDOW - 1);
      s1 = (s1 + b - drop) | 0;
      s2 = (s2 + s1 - WINDOW * (drop + CHAR_OFFSET)) | 0;
      if ((s2 & SPLIT_MASK) === SPLIT_MASK) {
        this.data(v.subarray(from, i + 1), out);
        this.endData(out);
        from = i + 1;
      }
    }
    sum.s1 = s1; sum.s2 = s2; sum.at = at;
    if (this.zeros >= HOLES_THRESHOLD) {
      this.reportHole(out);
    } else if (this.zeros > 0) {
      // A run still held: the data before it is reported, its zeros wait for the next call.
      if (carried === 0 && runStart > from) this.data(v.subarray(from, runStart), out);
    } else if (from < n) {
      this.data(v.subarray(from, n), out);
    }
  }

  /** End of the file: the held zeros are placed and the current chunk ends. */
  finish(out: ChunkEvent[]): void {
    if (this.zeros >= HOLES_THRESHOLD) {
      this.endHole(out);
    } else if (this.zeros > 0) {
      this.releaseCarried(this.zeros, out);
      this.zeros = 0;
    }
    this.endData(out);
  }

  /** `count` (< threshold) zeros held over from earlier calls turn out to be data: rolled, split-tested. */
  private releaseCarried(count: number, out: ChunkEvent[]): void {
    let pending = 0;
    for (let k = 0; k < count; k++) {
      pending++;
      if (this.sum.roll(0)) {
        this.data(ZERO_BLOCK.subarray(0, pending), out);
        this.endData(out);
        pending = 0;
      }
    }
    if (pending > 0) this.data(ZERO_BLOCK.subarray(0, pending), out);
  }

  private data(bytes: Uint8Array, out: ChunkEvent[]): void {
    out.push({ kind: 'data', bytes });
    this.chunkLength += bytes.length;
  }

  private endData(out: ChunkEvent[]): void {
    if (this.chunkLength === 0) return;
    out.push({ kind: 'end', zeros: false });
    this.chunkLength = 0;
  }

  private reportHole(out: ChunkEvent[]): void {
    const length = this.zeros - this.holeReported;
    if (length > 0) out.push({ kind: 'zeros', length });
    this.holeReported = this.zeros;
  }

  /** The run of ≥ HOLES_THRESHOLD zeros ended: one `zeros` chunk, its zeros rolled in untested. */
  private endHole(out: ChunkEvent[]): void {
    this.reportHole(out);
    out.push({ kind: 'end', zeros: true });
    this.sum.rollZeros(this.zeros);
    this.zeros = 0;
    this.holeReported = 0;
  }
}
