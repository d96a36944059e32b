import { checkAborted, type ErrorContext } from '../errors.ts';

/**
 * The compressed input of a decoder, pulled one piece at a time.
 *
 * Sources hand out chunks of up to 16 MiB (DEFAULT_READ_SLICE), and a decoder produces all the
 * output of what it is given before the consumer sees any of it: 40 MiB for 16 MiB of a typical
 * layer, gigabytes for a run of zeros (deflate reaches 1032:1). So chunks are cut into pieces
 * (views, no copies) sized from the compression ratio seen so far, aiming at `outputTarget`
 * bytes of output per piece, between `minPiece` and the decoder's `maxPiece`; the first pieces
 * are small until the ratio is known. bench/README.md has the piece-size sweep behind the
 * decoders' maxima.
 *
 * Chunks are also normalised to plain Uint8Array views: Node hands out Buffers, whose species
 * makes `slice()` inside fflate and fzstd go through the Buffer constructor.
 *
 * Errors from the source propagate unchanged, so a decoder can tell "the input failed" (IO,
 * abort) from "the input is corrupt" by where the error came from.
 */
export class ChunkCursor {
  /** Offset of the next byte `next()` returns, in the compressed stream. */
  position = 0;
  private readonly it: AsyncIterator<Uint8Array>;
  private rest: Uint8Array | undefined;
  private ended = false;
  private produced = 0;

  constructor(
    chunks: AsyncIterable<Uint8Array>,
    private readonly o: { signal?: AbortSignal; context?: ErrorContext; minPiece?: number; maxPiece?: number; outputTarget?: number } = {},
  ) {
    this.it = chunks[Symbol.asyncIterator]();
  }

  /** Tells the cursor how much output the pieces so far produced, to size the next ones. */
  reportOutput(total: number): void {
    this.produced = total;
  }

  /** The next piece, or undefined at the end of the input. */
  async next(): Promise<Uint8Array | undefined> {
    checkAborted(this.o.signal, { ...this.o.context, offset: this.position, offsetSpace: 'compressed' });
    while (!this.rest?.length) {
      if (this.ended) return undefined;
      const r = await this.it.next();
      if (r.done) {
        this.ended = true;
        return undefined;
      }
      const c = r.value;
      this.rest = c.constructor === Uint8Array ? c : new Uint8Array(c.buffer, c.byteOffset, c.byteLength);
    }
    const max = this.pieceSize();
    let piece = this.rest;
    if (piece.length > max) {
      this.rest = piece.subarray(max);
      piece = piece.subarray(0, max);
    } else {
      this.rest = undefined;
    }
    this.position += piece.length;
    return piece;
  }

  /** Puts back the piece `next()` just returned (a decoder that changes strategy mid-stream). */
  unread(piece: Uint8Array): void {
    if (this.rest?.length) {
      const joined = new Uint8Array(piece.length + this.rest.length);
      joined.set(piece);
      joined.set(this.rest, piece.length);
      this.rest = joined;
    } else {
      this.rest = piece;
    }
    this.position -= piece.length;
  }

  /** Stops the source (closes files, cancels fetches) when the consumer stops early. */
  async close(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    this.rest = undefined;
    await this.it.return?.();
  }

  private pieceSize(): number {
    const min = this.o.minPiece ?? DEFAULT_MIN_PIECE;
    const max = this.o.maxPiece ?? DEFAULT_MAX_PIECE;
    if (this.produced === 0 || this.position === 0) return Math.min(max, Math.max(min, FIRST_PIECE));
    const ratio = this.produced / this.position;
    const size = Math.floor((this.o.outputTarget ?? DEFAULT_OUTPUT_TARGET) / Math.max(1, ratio));
    return Math.min(max, Math.max(min, size));
  }
}

/** Below this, per-piece overhead shows (measured: fzstd in Node halves its speed at 64 KiB). */
export const DEFAULT_MIN_PIECE = 16 << 10;
export const DEFAULT_MAX_PIECE = 1 << 20;
/** Until the ratio is known: at most 64 MiB of output even for a stream of zeros. */
const FIRST_PIECE = 64 << 10;
/** About this much output per piece: a 3:1 layer gets ~1.3 MiB pieces (capped by maxPiece), zeros 16 KiB ones. */
export const DEFAULT_OUTPUT_TARGET = 4 << 20;
