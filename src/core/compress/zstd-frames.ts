import { LayerlabError, type ErrorContext } from '../errors.ts';

/** What a zstd frame header says (RFC 8878 §3.1.1.1). */
export interface ZstdFrameInfo {
  /** Compressed offset of the frame's magic number. */
  offset: number;
  /** Frame_Content_Size, when the header has it. */
  contentSize?: number;
  windowSize: number;
  hasChecksum: boolean;
  /** Header bytes including the magic. */
  headerSize: number;
}

export interface ZstdFrameEnd {
  offset: number;
  compressedSize: number;
  /**
   * Upper bound of the decoded size from the block headers alone (§3.1.1.2): Raw and RLE blocks
   * state their size, a Compressed block regenerates at most Block_Maximum_Size.
   */
  decodedSizeBound: number;
  /** Content_Checksum (low 32 bits of XXH64, §3.1.1), when present. */
  checksum?: number;
}

export interface ZstdFrameHandler {
  frameStart(info: ZstdFrameInfo): void;
  /** The frame's bytes in order, header and checksum included, each byte exactly once. */
  frameData(bytes: Uint8Array): void;
  frameEnd(end: ZstdFrameEnd): void;
  /** A skippable frame (§3.1.2) was passed over. */
  skippableFrame?(offset: number, size: number): void;
}

const ZSTD_MAGIC = 0xfd2fb528;
const BLOCK_MAX = 128 << 10;

type State = 'magic' | 'header' | 'block-header' | 'block-body' | 'checksum' | 'skip-size' | 'skip-body';

/**
 * Walks a zstd stream's structure without decompressing it: frames, skippable frames, block
 * headers (3 bytes per block of up to 128 KiB). This finds every frame's exact compressed extent
 * cheaply, which is what lets the decoder hand bounded frames to the fast one-shot wasm decoder,
 * stream the others, verify checksums, and report truncation with an offset.
 */
export class ZstdFrameSplitter {
  /** Compressed bytes consumed so far. */
  position = 0;
  frames = 0;
  private state: State = 'magic';
  /** Small fields split across pushes (magic, frame header ≤ 14, block header 3, checksum 4). */
  private readonly acc = new Uint8Array(18);
  private accLen = 0;
  private need = 4;
  private left = 0;
  private frame: { info: ZstdFrameInfo; bound: number; blockMax: number; last: boolean; checksum?: number } | undefined;
  private skipStart = 0;

  constructor(private readonly handler: ZstdFrameHandler, private readonly context: ErrorContext = {}) {}

  push(chunk: Uint8Array): void {
    const n = chunk.length;
    let i = 0;
    // Start of this frame's bytes in `chunk` not yet handed to frameData (-1: not in a frame body).
    let run = this.inFrameBody() ? 0 : -1;
    while (i < n) {
      if (this.state === 'block-body' || this.state === 'skip-body') {
        const take = Math.min(this.left, n - i);
        i += take;
        this.left -= take;
        this.position += take;
        if (this.left > 0) continue;
        if (this.state === 'block-body') this.afterBlock();
        else {
          this.handler.skippableFrame?.(this.skipStart, this.position - this.skipStart);
          this.expect('magic', 4);
        }
      } else {
        const take = Math.min(this.need - this.accLen, n - i);
        this.acc.set(chunk.subarray(i, i + take), this.accLen);
        this.accLen += take;
        i += take;
        this.position += take;
        if (this.accLen < this.need) continue;
        const before = this.state;
        this.field();
        // The header's bytes went out from `acc`; the body starts right after it.
        if (before === 'header' && this.state === 'block-header') run = i;
      }
      if (this.state === 'magic' && this.frame) {
        this.handler.frameData(chunk.subarray(run, i));
        run = -1;
        this.endFrame();
      }
    }
    if (run >= 0 && run < n) this.handler.frameData(chunk.subarray(run, n));
  }

  /** End of input: only a frame boundary is a valid place to stop (RFC 8878 §3.1). */
  finish(): void {
    // A stream of only skippable frames is valid zstd (it decodes to nothing).
    if (this.state === 'magic' && this.accLen === 0 && this.position > 0) return;
    const what = this.position === 0 ? 'the zstd stream is empty'
      : this.frame ? `the zstd stream ends inside the frame at ${this.frame.info.offset}`
        : this.state === 'skip-size' || this.state === 'skip-body' ? `the zstd stream ends inside the skippable frame at ${this.skipStart}`
          : `the zstd stream ends inside a frame magic number at ${this.position - this.accLen}`;
    throw new LayerlabError('TRUNCATED', what, { ...this.context, offset: this.position, offsetSpace: 'compressed' });
  }

  private inFrameBody(): boolean {
    return this.state === 'block-header' || this.state === 'block-body' || this.state === 'checksum';
  }

  private expect(state: State, need: number): void {
    this.state = state;
    this.need = need;
    this.accLen = 0;
  }

  /** A fixed-size field is complete in `acc`. */
  private field(): void {
    const a = this.acc;
    switch (this.state) {
      case 'magic': {
        const m = (a[0] | (a[1] << 8) | (a[2] << 16) | (a[3] << 24)) >>> 0;
        if (m === ZSTD_MAGIC) {
          this.expect('header', 5);
          this.accLen = 4;
          a.set([0x28, 0xb5, 0x2f, 0xfd]);
        } else if ((m & 0xfffffff0) === 0x184d2a50) {
          this.skipStart = this.position - 4;
          this.expect('skip-size', 4);
        } else {
          throw new LayerlabError('BAD_COMPRESSION',
            this.position === 4 ? 'not a zstd stream (bad magic number)' : `unexpected data after the zstd frame that ends at ${this.position - 4}`,
            this.ctx(this.position - 4));
        }
        return;
      }
      case 'header': {
        const fhd = a[4];
        const fcsFlag = fhd >> 6;
        const single = (fhd >> 5) & 1;
        const checksum = (fhd >> 2) & 1;
        const didFlag = fhd & 3;
        const start = this.position - this.accLen;
        if (fhd & 0x08) throw new LayerlabError('BAD_COMPRESSION', `zstd frame at ${start} has the reserved header bit set`, this.ctx(start));
        const didSize = [0, 1, 2, 4][didFlag];
        const fcsSize = fcsFlag === 0 ? single : 1 << fcsFlag;
        const size = 5 + (single ? 0 : 1) + didSize + fcsSize;
        if (this.need < size) {
          this.need = size;
          return;
        }
        let p = 5;
        let windowSize = 0;
        if (!single) {
          const wd = a[p++];
          const log = 10 + (wd >> 3);
          const base = 2 ** log;
          windowSize = base + (base / 8) * (wd & 7);
        }
        let dictId = 0;
        for (let k = 0; k < didSize; k++) dictId += a[p + k] * 2 ** (8 * k);
        p += didSize;
        let contentSize: number | undefined;
        if (fcsSize) {
          let v = 0;
          for (let k = 0; k < fcsSize; k++) v += a[p + k] * 2 ** (8 * k);
          contentSize = fcsSize === 2 ? v + 256 : v;
        }
        if (single) windowSize = contentSize!;
        if (dictId !== 0) {
          throw new LayerlabError('UNSUPPORTED', `zstd frame at ${start} needs dictionary ${dictId}; layers do not use dictionaries`, this.ctx(start));
        }
        const info: ZstdFrameInfo = { offset: start, contentSize, windowSize, hasChecksum: checksum === 1, headerSize: size };
        this.frame = { info, bound: 0, blockMax: Math.min(BLOCK_MAX, Math.max(windowSize, 1)), last: false };
        this.frames++;
        this.handler.frameStart(info);
        this.handler.frameData(a.slice(0, size));
        this.expect('block-header', 3);
        return;
      }
      case 'block-header': {
        const h = a[0] | (a[1] << 8) | (a[2] << 16);
        const last = h & 1;
        const type = (h >> 1) & 3;
        const size = h >>> 3;
        const f = this.frame!;
        const at = this.position - 3;
        if (type === 3) throw new LayerlabError('BAD_COMPRESSION', `zstd block at ${at} has the reserved block type`, this.ctx(at));
        if (type !== 1 && size > BLOCK_MAX) {
          throw new LayerlabError('BAD_COMPRESSION', `zstd block at ${at} is ${size} bytes, over the 128 KiB maximum`, this.ctx(at));
        }
        f.bound += type === 2 ? f.blockMax : size;
        f.last = last === 1;
        const body = type === 1 ? 1 : size;
        if (body > 0) {
          this.state = 'block-body';
          this.left = body;
          this.accLen = 0;
        } else {
          this.afterBlock();
        }
        return;
      }
      case 'checksum': {
        this.frame!.checksum = (a[0] | (a[1] << 8) | (a[2] << 16) | (a[3] << 24)) >>> 0;
        this.expect('magic', 4);
        return;
      }
      case 'skip-size': {
        this.left = (a[0] | (a[1] << 8) | (a[2] << 16) | (a[3] << 24)) >>> 0;
        if (this.left === 0) {
          this.handler.skippableFrame?.(this.skipStart, 8);
          this.expect('magic', 4);
        } else {
          this.state = 'skip-body';
          this.accLen = 0;
        }
        return;
      }
    }
  }

  private afterBlock(): void {
    const f = this.frame!;
    if (!f.last) this.expect('block-header', 3);
    else if (f.info.hasChecksum) this.expect('checksum', 4);
    else this.expect('magic', 4);
  }

  private endFrame(): void {
    const f = this.frame!;
    this.frame = undefined;
    this.handler.frameEnd({
      offset: f.info.offset,
      compressedSize: this.position - f.info.offset,
      decodedSizeBound: f.bound,
      checksum: f.checksum,
    });
  }

  private ctx(offset: number): ErrorContext {
    return { ...this.context, offset, offsetSpace: 'compressed' };
  }
}

/**
 * A skippable frame (RFC 8878 §3.1.2) holding `payload`: how zstd:chunked stores its manifest,
 * tar-split and footer inside a valid zstd stream. `variant` is the low nibble of the magic.
 */
export function encodeSkippableFrame(payload: Uint8Array, variant = 0): Uint8Array {
  const out = new Uint8Array(8 + payload.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, 0x184d2a50 + (variant & 15), true);
  dv.setUint32(4, payload.length, true);
  out.set(payload, 8);
  return out;
}
