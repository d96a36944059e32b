import { checkAborted } from '../errors.ts';
import { decodeGzip } from './gzip-decoder.ts';
import { decodeZstd } from './zstd-decoder.ts';
import type { Compression } from './sniff.ts';

export type { Compression } from './sniff.ts';

export interface DecompressOptions {
  /** Checked between chunks; cancelling ends the stream with LayerlabError('ABORTED'). */
  signal?: AbortSignal;
  /** Named in errors (ErrorContext.file). */
  file?: string;
  /**
   * Called at the start of every gzip member / zstd data frame, the first one included, with its
   * offset in the compressed stream and the uncompressed offset its output starts at (eStargz
   * and zstd:chunked chunk maps). For gzip this selects the JS decoder: only it sees members.
   */
  onMember?(compressedOffset: number, uncompressedOffset: number): void;
  /**
   * Opens the same compressed bytes again from the start. Gzip only: lets the decoder restart
   * after the native DecompressionStream gives up (Chromium stops at the second member) without
   * keeping what it fed in memory. Without it, up to 8 MiB is kept for that purpose, and larger
   * layers in Chromium are decoded by the slower JS path. Pass `() => source.stream()` of the raw
   * ByteSource (not a hashing or counting wrapper: only a prefix is re-read, once).
   */
  reopen?(): AsyncIterable<Uint8Array>;
}

/**
 * The one decompression path: compressed chunks in, uncompressed chunks out, verified.
 *
 * The output is exactly what `gzip -dc` / `zstd -dc` print, or a LayerlabError:
 * TRUNCATED (input ends inside a member or frame), BAD_COMPRESSION (corrupt data, checksum or
 * length mismatch, garbage after the end), UNSUPPORTED (zstd dictionaries), ABORTED, or the
 * source's own error — with `offset` in the compressed stream where known. Never a short stream.
 *
 * Decoders never reuse an output buffer, so consumers may keep chunks. Memory is bounded by
 * constants (piece size × ratio, a zstd window, 8 MiB of replay, a 16 MiB wasm frame), not by
 * the layer size.
 */
export function decompress(chunks: AsyncIterable<Uint8Array>, compression: Compression, options: DecompressOptions = {}): AsyncIterable<Uint8Array> {
  switch (compression) {
    case 'gzip': return decodeGzip(chunks, options);
    case 'zstd': return decodeZstd(chunks, options);
    case 'none': return passThrough(chunks, options);
  }
}

async function* passThrough(chunks: AsyncIterable<Uint8Array>, o: DecompressOptions): AsyncGenerator<Uint8Array, void, undefined> {
  let offset = 0;
  for await (const c of chunks) {
    checkAborted(o.signal, { file: o.file, offset, offsetSpace: 'compressed' });
    offset += c.length;
    yield c;
  }
}
