import { Inflate } from 'fflate';
import { concatBytes } from '../bytes/concat.ts';
import type { IHasher } from 'hash-wasm';
import { LayerlabError, type ErrorContext } from '../errors.ts';
import { gzipHeaderLength } from './gzip-header.ts';

/**
 * Strict streaming gunzip in plain JS: header, raw deflate (fflate's `Inflate`), trailer, and the
 * next member, for any number of members (RFC 1952 §2.2: "a gzip file consists of a series of
 * members"). Every eStargz layer is hundreds of members.
 *
 * Why not fflate's own `Gunzip`: it follows members but never checks the trailer (no CRC32, no
 * ISIZE), ends silently when the input stops inside a trailer or right after a header, and
 * cannot say where a member's output ends. Here each member's CRC32 and ISIZE are checked
 * (§2.3.1), every truncation is an error with its offset, and `onMember` reports exact
 * compressed and uncompressed offsets of every member, the first one included.
 *
 * Push/ondata and synchronous: the caller decides how input arrives (see gzip-decoder.ts).
 */
export class GzipMemberReader {
  /** Compressed bytes consumed so far. */
  compressedOffset = 0;
  /** Uncompressed bytes emitted so far. */
  uncompressedOffset = 0;
  /** Members started so far. */
  members = 0;

  private state: 'header' | 'deflate' | 'trailer' | 'padding' = 'header';
  /** Header or trailer bytes split across pushes. */
  private held: Uint8Array = EMPTY;
  private inflate: Inflate | undefined;
  private memberStart = 0;
  private memberSize = 0;

  constructor(
    private readonly ondata: (chunk: Uint8Array) => void,
    /** A CRC-32 (IEEE) hasher, reused for every member. */
    private readonly crc: IHasher,
    private readonly o: { context?: ErrorContext; onMember?(compressedOffset: number, uncompressedOffset: number): void } = {},
  ) {}

  push(chunk: Uint8Array): void {
    let b = chunk;
    while (b.length) {
      switch (this.state) {
        case 'header': b = this.readHeader(b); break;
        case 'deflate': b = this.readDeflate(b); break;
        case 'trailer': b = this.readTrailer(b); break;
        case 'padding': b = this.readPadding(b); break;
      }
    }
  }

  /** End of input: anything but a complete last member (plus zero padding) is TRUNCATED. */
  finish(): void {
    const ended = (this.state === 'header' && this.held.length === 0 && this.members > 0) || this.state === 'padding';
    if (ended) return;
    const where =
      this.members === 0 && this.held.length === 0 ? 'the gzip stream is empty'
        : this.state === 'header' ? `the gzip stream ends inside a member header (member at ${this.compressedOffset - this.held.length})`
          : this.state === 'deflate' ? `the gzip stream ends inside compressed data (member at ${this.memberStart})`
            : `the gzip stream ends inside a member trailer (member at ${this.memberStart})`;
    throw new LayerlabError('TRUNCATED', where, this.ctx(this.compressedOffset));
  }

  private readHeader(b: Uint8Array): Uint8Array {
    // RFC 1952 has no end marker. Zero bytes after the last member are padding that gzip(1) and
    // zlib accept ("trailing zero bytes ignored"); anything else after a member is an error.
    if (this.members > 0 && this.held.length === 0 && b[0] === 0) {
      this.state = 'padding';
      return b;
    }
    const start = this.compressedOffset - this.held.length;
    const view = this.held.length ? concatBytes([this.held, b]) : b;
    const ctx = this.ctx(start);
    if (this.members > 0 && (view[0] !== 0x1f || (view.length > 1 && view[1] !== 0x8b))) {
      throw new LayerlabError('BAD_COMPRESSION', `unexpected data after the gzip member that ends at ${start}`, ctx);
    }
    const len = gzipHeaderLength(view, ctx);
    if (len < 0) {
      this.held = view === b ? b.slice() : view;
      this.compressedOffset += b.length;
      return EMPTY;
    }
    const used = len - this.held.length;
    this.held = EMPTY;
    this.compressedOffset += used;
    this.memberStart = start;
    this.memberSize = 0;
    this.members++;
    this.crc.init();
    this.o.onMember?.(start, this.uncompressedOffset);
    this.inflate = new Inflate((data) => this.emit(data));
    this.state = 'deflate';
    return b.subarray(used);
  }

  private readDeflate(b: Uint8Array): Uint8Array {
    const inflate = this.inflate!;
    try {
      inflate.push(b, false);
    } catch (e) {
      throw new LayerlabError('BAD_COMPRESSION',
        `invalid deflate data in the gzip member at ${this.memberStart}: ${(e as Error).message}`,
        this.ctx(this.compressedOffset), { cause: e });
    }
    const rest = deflateRemainder(inflate);
    if (!rest) {
      this.compressedOffset += b.length;
      return EMPTY;
    }
    this.compressedOffset += b.length - rest.length;
    this.inflate = undefined;
    this.state = 'trailer';
    return rest;
  }

  private readTrailer(b: Uint8Array): Uint8Array {
    const need = 8 - this.held.length;
    const take = b.subarray(0, need);
    this.held = this.held.length ? concatBytes([this.held, take]) : take.slice();
    this.compressedOffset += take.length;
    if (this.held.length < 8) return EMPTY;
    const t = this.held;
    this.held = EMPTY;
    // RFC 1952 §2.3.1: CRC32 of the uncompressed data, then ISIZE = its length mod 2^32, both LE.
    const want = (t[0] | (t[1] << 8) | (t[2] << 16) | (t[3] << 24)) >>> 0;
    const size = (t[4] | (t[5] << 8) | (t[6] << 16) | (t[7] << 24)) >>> 0;
    const got = crcValue(this.crc.digest('binary'));
    const ctx = this.ctx(this.compressedOffset - 8);
    if (want !== got) {
      throw new LayerlabError('BAD_COMPRESSION',
        `CRC32 mismatch in the gzip member at ${this.memberStart}: trailer says ${hex8(want)}, data gives ${hex8(got)}`, ctx);
    }
    if (size !== this.memberSize % 2 ** 32) {
      throw new LayerlabError('BAD_COMPRESSION',
        `length mismatch in the gzip member at ${this.memberStart}: trailer says ${size} bytes, data is ${this.memberSize}`, ctx);
    }
    this.state = 'header';
    return b.subarray(take.length);
  }

  private readPadding(b: Uint8Array): Uint8Array {
    const nz = b.findIndex((x) => x !== 0);
    if (nz >= 0) {
      throw new LayerlabError('BAD_COMPRESSION', 'unexpected data after the zero padding that follows the last gzip member',
        this.ctx(this.compressedOffset + nz));
    }
    this.compressedOffset += b.length;
    return EMPTY;
  }

  private emit(data: Uint8Array): void {
    if (!data.length) return;
    this.crc.update(data);
    this.memberSize += data.length;
    this.uncompressedOffset += data.length;
    this.ondata(data);
  }

  private ctx(offset: number): ErrorContext {
    return { ...this.o.context, offset, offsetSpace: 'compressed' };
  }
}

/**
 * fflate's `Inflate` has no public "the deflate stream ended here" signal, so this reads the
 * same internal fields fflate's own `Gunzip.push` reads (fflate 0.8.x, src/index.ts): `s.f`
 * (final block seen), `s.l` (inside a block while set), `s.p` (bit position into `p`, the
 * unconsumed input, after `c()` rebased it to the current byte). After the final block the
 * remaining input starts at the next byte boundary (RFC 1951 §3.2.3: the trailer is
 * byte-aligned). The multi-member tests fail loudly if a fflate update moves these.
 */
interface InflateInternals { s: { f?: number; l?: unknown; p?: number }; p: Uint8Array }

function deflateRemainder(inflate: Inflate): Uint8Array | undefined {
  const st = (inflate as unknown as InflateInternals).s;
  if (!st.f || st.l) return undefined;
  const p = (inflate as unknown as InflateInternals).p;
  return p.subarray(((st.p ?? 0) + 7) >> 3);
}

const EMPTY: Uint8Array = new Uint8Array(0);

/** hash-wasm returns the CRC as 4 big-endian bytes. */
function crcValue(d: Uint8Array): number {
  return ((d[0] << 24) | (d[1] << 16) | (d[2] << 8) | d[3]) >>> 0;
}

function hex8(n: number): string {
  return n.toString(16).padStart(8, '0');
}
