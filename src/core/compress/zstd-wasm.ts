import { init, compress, decompress } from '@bokuweb/zstd-wasm';

/**
 * libzstd compiled to wasm (@bokuweb/zstd-wasm): one-shot `compress`/`decompress` only, no
 * streaming API, input and output both copied through its heap. `init()` drives a global
 * Emscripten Module singleton, so it runs once per realm and the promise is shared
 * (toolchain notes §2). In Vite builds the .wasm is an emitted asset; in Node it is read from
 * the package folder.
 *
 * Its heap only grows: it ends as large as the biggest frame handled (input + output), which is
 * why callers bound the frames they give it.
 */
export interface ZstdWasm {
  compress(data: Uint8Array, level: number): Uint8Array;
  /** Exactly one frame (plus skippable frames); `capacity` ≥ its decoded size. */
  decompressFrame(frame: Uint8Array, capacity: number): Uint8Array;
}

let ready: Promise<ZstdWasm> | undefined;

export function loadZstdWasm(): Promise<ZstdWasm> {
  return (ready ??= init().then(() => ({
    compress: (data, level) => compress(data, level),
    // When the frame states its size, the library allocates exactly that; otherwise it uses
    // `defaultHeapSize`, which is therefore our bound (RFC 8878 block sizes, zstd-frames.ts).
    decompressFrame: (frame, capacity) => decompress(frame, { defaultHeapSize: Math.max(capacity, 1) }),
  }), (e: unknown) => {
    ready = undefined; // a failed load (offline asset missing) may be retried later
    throw e;
  }));
}
