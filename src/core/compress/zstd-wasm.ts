import { init, compressUsingDict, createCCtx, decompress } from '@bokuweb/zstd-wasm';

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
const NO_DICT = new Uint8Array(0);

export function loadZstdWasm(): Promise<ZstdWasm> {
  return (ready ??= init().then(() => {
    // One compression context for the realm, reused: the package's `compress` (ZSTD_compress)
    // makes and frees a context per call, which at 1 MiB chunks costs as much as compressing
    // (bench: 97 → see bench/README.md). An empty dictionary makes ZSTD_compress_usingDict the
    // plain ZSTD_compressCCtx: the same frame bytes.
    const cctx = createCCtx();
    return {
    compress: (data: Uint8Array, level: number) => compressUsingDict(cctx, data, NO_DICT, level),
    // When the frame states its size, the library allocates exactly that; otherwise it uses
    // `defaultHeapSize`, which is therefore our bound (RFC 8878 block sizes, zstd-frames.ts).
    decompressFrame: (frame: Uint8Array, capacity: number) => decompress(frame, { defaultHeapSize: Math.max(capacity, 1) }),
  };
  }, (e: unknown) => {
    ready = undefined; // a failed load (offline asset missing) may be retried later
    throw e;
  }));
}
