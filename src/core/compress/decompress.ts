import { checkAborted } from '../errors.ts';
import { decodeGzip } from './gzip-decoder.ts';
import { decodeZstd } from './zstd-decoder.ts';
import type { Compression } from './sniff.ts';
import type { DecompressOptions } from './decompress-options.ts';

export type { Compression } from './sniff.ts';

export type { DecompressOptions } from './decompress-options.ts';

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
