import { Decompress } from 'fzstd';
import { concatBytes } from '../bytes/concat.ts';
import { createXXHash64, type IHasher } from 'hash-wasm';
import { LayerlabError, type ErrorContext } from '../errors.ts';
import { ChunkCursor } from './chunk-cursor.ts';
import { ZstdFrameSplitter, type ZstdFrameEnd, type ZstdFrameInfo } from './zstd-frames.ts';
import { loadZstdWasm, type ZstdWasm } from './zstd-wasm.ts';
import type { DecompressOptions } from './decompress-options.ts';

/**
 * Frames that state a content size up to this go to the wasm decoder in one call. The wasm
 * heap keeps its high-water mark (input + output), so this also caps that memory.
 */
export const WASM_FRAME_LIMIT = 16 << 20;

/** fzstd re-joins a block split across pushes; in Node it ran at half speed with 64 KiB pushes (bench piece sweep). */
const ZSTD_MAX_PIECE = 1 << 20;

export interface ZstdDecodeOptions extends DecompressOptions {
  /** Tests and the bench: 'js' never uses the wasm decoder. */
  path?: 'auto' | 'js';
  pieces?: { minPiece?: number; maxPiece?: number; outputTarget?: number };
}

/**
 * Zstd as one continuous, verified stream: any number of frames and skippable frames
 * (RFC 8878 §3.1; zstd:chunked is hundreds of frames plus skippable metadata frames).
 *
 * `ZstdFrameSplitter` walks frame and block headers, so each frame's extent is known without
 * decoding. Per frame:
 * - content size stated and ≤ WASM_FRAME_LIMIT (zstd:chunked chunks, zstd:chunked and eStargz-zstd
 *   writers state it): buffered whole and decoded by libzstd in wasm, which checks the
 *   checksum and the size itself; ~3× faster than JS (toolchain notes §4);
 * - otherwise (one big frame per layer, or no size in the header): streamed through fzstd,
 *   whose memory stays at one window; fzstd skips the checksum, so it is checked here with
 *   XXH64 (§3.1.1 Content_Checksum), and the content size when stated.
 * Skippable frames are passed over. `onMember` fires at every data frame's start.
 * Truncation anywhere (header, block, checksum, skippable frame) is TRUNCATED with the offset.
 */
export async function* decodeZstd(chunks: AsyncIterable<Uint8Array>, o: ZstdDecodeOptions = {}): AsyncGenerator<Uint8Array, void, undefined> {
  const context: ErrorContext = o.file !== undefined ? { file: o.file } : {};
  const cursor = new ChunkCursor(chunks, { signal: o.signal, context, maxPiece: ZSTD_MAX_PIECE, ...o.pieces });
  const [wasm, xxh] = await Promise.all([
    o.path === 'js' ? undefined : loadZstdWasm().catch(() => undefined), // no wasm: everything streams
    createXXHash64(),
  ]);
  let out: Uint8Array[] = [];
  let produced = 0;
  const emit = (d: Uint8Array) => {
    if (!d.length) return;
    out.push(d);
    produced += d.length;
  };
  let frame: FrameDecoder | undefined;
  const splitter = new ZstdFrameSplitter({
    frameStart(info) {
      o.onMember?.(info.offset, produced);
      frame = wasm && info.contentSize !== undefined && info.contentSize <= WASM_FRAME_LIMIT
        ? new WasmFrame(info, wasm, emit, context)
        : new StreamedFrame(info, xxh, emit, context);
    },
    frameData(bytes) {
      frame!.push(bytes);
    },
    frameEnd(end) {
      frame!.end(end);
      frame = undefined;
    },
  }, context);

  try {
    for (;;) {
      const piece = await cursor.next();
      if (!piece) break;
      splitter.push(piece);
      cursor.reportOutput(produced);
      if (out.length) {
        const ready = out;
        out = [];
        yield* ready;
      }
    }
    splitter.finish();
  } finally {
    await cursor.close();
  }
}

interface FrameDecoder {
  push(bytes: Uint8Array): void;
  end(end: ZstdFrameEnd): void;
}

/** A bounded frame, collected and decoded in one wasm call. */
class WasmFrame implements FrameDecoder {
  private parts: Uint8Array[] = [];
  private size = 0;

  constructor(
    private readonly info: ZstdFrameInfo,
    private readonly wasm: ZstdWasm,
    private readonly emit: (d: Uint8Array) => void,
    private readonly context: ErrorContext,
  ) {}

  push(bytes: Uint8Array): void {
    this.parts.push(bytes);
    this.size += bytes.length;
  }

  end(): void {
    const frame = concatBytes(this.parts, this.size);
    this.parts = [];
    let data: Uint8Array;
    try {
      data = this.wasm.decompressFrame(frame, this.info.contentSize!);
    } catch (e) {
      throw new LayerlabError('BAD_COMPRESSION', `corrupt zstd frame at ${this.info.offset} (libzstd: ${libzstdError(e)})`,
        { ...this.context, offset: this.info.offset, offsetSpace: 'compressed' }, { cause: e });
    }
    if (data.length !== this.info.contentSize) {
      throw new LayerlabError('BAD_COMPRESSION', `zstd frame at ${this.info.offset} decodes to ${data.length} bytes, its header says ${this.info.contentSize}`,
        { ...this.context, offset: this.info.offset, offsetSpace: 'compressed' });
    }
    this.emit(data);
  }
}

/** Any frame, streamed block by block through fzstd; checksum and size checked here. */
class StreamedFrame implements FrameDecoder {
  private readonly dec: Decompress;
  private size = 0;

  constructor(
    private readonly info: ZstdFrameInfo,
    private readonly xxh: IHasher,
    emit: (d: Uint8Array) => void,
    private readonly context: ErrorContext,
  ) {
    xxh.init();
    this.dec = new Decompress((d) => {
      if (!d.length) return;
      this.size += d.length;
      if (info.hasChecksum) xxh.update(d);
      emit(d);
    });
  }

  push(bytes: Uint8Array): void {
    this.run(() => this.dec.push(bytes, false));
  }

  end(end: ZstdFrameEnd): void {
    this.run(() => this.dec.push(EMPTY, true));
    const at = { ...this.context, offset: this.info.offset, offsetSpace: 'compressed' as const };
    if (this.info.contentSize !== undefined && this.size !== this.info.contentSize) {
      throw new LayerlabError('BAD_COMPRESSION', `zstd frame at ${this.info.offset} decodes to ${this.size} bytes, its header says ${this.info.contentSize}`, at);
    }
    if (end.checksum !== undefined) {
      // The frame stores the low 32 bits of XXH64 little-endian; hash-wasm gives big-endian bytes.
      const d = this.xxh.digest('binary');
      const got = ((d[4] << 24) | (d[5] << 16) | (d[6] << 8) | d[7]) >>> 0;
      if (got !== end.checksum) {
        throw new LayerlabError('BAD_COMPRESSION',
          `checksum mismatch in the zstd frame at ${this.info.offset}: frame says ${hex8(end.checksum)}, data gives ${hex8(got)}`,
          { ...this.context, offset: end.offset + end.compressedSize - 4, offsetSpace: 'compressed' });
      }
    }
  }

  private run(f: () => void): void {
    try {
      f();
    } catch (e) {
      if (e instanceof LayerlabError) throw e;
      throw new LayerlabError('BAD_COMPRESSION', `corrupt zstd frame at ${this.info.offset} (${(e as Error).message})`,
        { ...this.context, offset: this.info.offset, offsetSpace: 'compressed' }, { cause: e });
    }
  }
}

const EMPTY: Uint8Array = new Uint8Array(0);

/**
 * zstd-wasm reports failures as "Failed to compress with code -N" even when decompressing;
 * N is libzstd's ZSTD_ErrorCode (zstd_errors.h). Name the ones corrupt input produces.
 */
function libzstdError(e: unknown): string {
  const msg = (e as Error)?.message ?? String(e);
  const code = /code -(\d+)/.exec(msg)?.[1];
  const names: Record<string, string> = {
    '10': 'unknown magic number', '14': 'unsupported frame parameter', '16': 'window too large', '20': 'corruption detected',
    '22': 'checksum mismatch', '24': 'bad literals header', '70': 'output larger than the frame header says', '72': 'wrong compressed size',
  };
  return code ? `${names[code] ?? 'error'} (code ${code})` : msg;
}

function hex8(n: number): string {
  return n.toString(16).padStart(8, '0');
}
