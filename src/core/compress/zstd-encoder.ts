import { LayerlabError } from '../errors.ts';
import { loadZstdWasm } from './zstd-wasm.ts';

export interface ZstdEncoderOptions {
  /** zstd level, default 3 (the zstd CLI's and containers' default). */
  level?: number;
  /**
   * Input bytes per frame when the caller does not end frames itself, default 4 MiB. The wasm
   * heap holds one frame's input and output, so this is the encoder's memory; smaller frames
   * lose a little ratio (each frame restarts its window).
   */
  frameSize?: number;
  /** Receives compressed bytes, synchronously, one whole frame at a time. */
  ondata(chunk: Uint8Array): void;
}

export interface ZstdEncoder {
  push(chunk: Uint8Array): void;
  /**
   * Compresses what was pushed since the last frame into one frame now (zstd:chunked: one frame
   * per chunk, so each chunk decompresses on its own). No-op when nothing is pending.
   */
  endFrame(): void;
  /** Ends the stream; if nothing was ever written, writes one empty frame so the output is valid zstd. */
  finish(): void;
  readonly compressedSize: number;
  readonly frames: number;
}

/**
 * Streaming zstd by concatenated frames: libzstd (wasm) compresses each bounded piece in one
 * call. RFC 8878 §3.1: a zstd stream is any sequence of frames, so the result is ordinary zstd
 * that `zstd -d` and every decoder read. Frames carry their content size (ZSTD_compress sets
 * it), which is what lets our decoder take its fast path on them. Async only to load the wasm.
 */
export async function createZstdEncoder(o: ZstdEncoderOptions): Promise<ZstdEncoder> {
  const wasm = await loadZstdWasm();
  const level = o.level ?? 3;
  const frameSize = o.frameSize ?? 4 << 20;
  const buf = new Uint8Array(frameSize);
  let fill = 0;
  let size = 0;
  let frames = 0;
  let done = false;

  const flush = () => {
    const frame = wasm.compress(buf.subarray(0, fill), level);
    fill = 0;
    frames++;
    size += frame.length;
    o.ondata(frame);
  };

  return {
    push(chunk) {
      if (done) throw new LayerlabError('INTERNAL', 'zstd encoder used after finish()');
      let p = 0;
      while (p < chunk.length) {
        const take = Math.min(frameSize - fill, chunk.length - p);
        buf.set(chunk.subarray(p, p + take), fill);
        fill += take;
        p += take;
        if (fill === frameSize) flush();
      }
    },
    endFrame() {
      if (fill > 0) flush();
    },
    finish() {
      if (done) return;
      if (fill > 0 || frames === 0) flush();
      done = true;
    },
    get compressedSize() {
      return size;
    },
    get frames() {
      return frames;
    },
  };
}
