import { LayerlabError, type ErrorContext } from '../../errors.ts';
import { toHex } from '../../bytes/hex.ts';

/**
 * Little-endian field reads over a buffer that is a window of a larger file, with bounds checks
 * that fail as a LayerlabError naming the absolute offset: every nydus structure is read through
 * this, so a field pointing outside its file is "TRUNCATED at N", never an `undefined` or a hang.
 */
export class LeView {
  readonly bytes: Uint8Array;
  /** File offset of `bytes[0]`, for error messages. */
  readonly base: number;
  readonly context: ErrorContext;
  private readonly dv: DataView;

  constructor(bytes: Uint8Array, base = 0, context: ErrorContext = {}) {
    this.bytes = bytes;
    this.base = base;
    this.context = context;
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get length(): number {
    return this.bytes.length;
  }

  /** Throws TRUNCATED unless [at, at+len) is inside the buffer. */
  need(at: number, len: number, what: string): void {
    if (!(at >= 0 && len >= 0 && at + len <= this.bytes.length)) {
      throw this.error('TRUNCATED', `${what}: ${len} bytes at ${this.base + at} are outside the ${this.bytes.length}-byte data`, at);
    }
  }

  u8(at: number): number {
    this.need(at, 1, 'u8');
    return this.bytes[at];
  }

  u16(at: number): number {
    this.need(at, 2, 'u16');
    return this.dv.getUint16(at, true);
  }

  u32(at: number): number {
    this.need(at, 4, 'u32');
    return this.dv.getUint32(at, true);
  }

  /** A u64 as a number; values beyond 2^53 (never valid as offsets or sizes) are an error. */
  u64(at: number, what = 'u64'): number {
    this.need(at, 8, what);
    const v = this.dv.getBigUint64(at, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw this.error('TOO_LARGE', `${what} ${v} is beyond 2^53`, at);
    return Number(v);
  }

  /** A u64 as a bigint (bit-packed words: CI entries). */
  u64big(at: number): bigint {
    this.need(at, 8, 'u64');
    return this.dv.getBigUint64(at, true);
  }

  sub(at: number, len: number, what = 'bytes'): Uint8Array {
    this.need(at, len, what);
    return this.bytes.subarray(at, at + len);
  }

  hex(at: number, len: number): string {
    return toHex(this.sub(at, len, 'digest'));
  }

  /** ASCII/UTF-8 text up to the first NUL (blob ids, TOC names). */
  text(at: number, len: number): string {
    const b = this.sub(at, len, 'text');
    const end = b.indexOf(0);
    return new TextDecoder().decode(end < 0 ? b : b.subarray(0, end));
  }

  error(code: ConstructorParameters<typeof LayerlabError>[0], message: string, at: number): LayerlabError {
    return new LayerlabError(code, message, { ...this.context, offset: this.base + at });
  }
}
