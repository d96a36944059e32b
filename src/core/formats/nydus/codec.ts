import { decompress } from '../../compress/decompress.ts';
import { concatBytes } from '../../bytes/concat.ts';
import { LayerlabError, type ErrorContext } from '../../errors.ts';
import { decodeLz4Block } from './lz4-block.ts';
import type { Compressor } from './types.ts';

/**
 * Decompresses one in-memory nydus unit (a chunk, a CI array, image.boot) with the shared
 * decoders (`decompress` for zstd/gzip, `decodeLz4Block` for lz4_block) and checks its length
 * when known (`undefined`: a zstd frame found without a record saying its size).
 */
export async function decompressUnit(data: Uint8Array, compressor: Compressor, size: number | undefined, context: ErrorContext, signal?: AbortSignal): Promise<Uint8Array> {
  let out: Uint8Array;
  if (compressor === 'lz4_block') {
    if (size === undefined) throw new LayerlabError('INTERNAL', 'lz4_block needs the uncompressed size', context);
    out = decodeLz4Block(data, size, context);
  }
  else if (compressor === 'none') out = data;
  else {
    const parts: Uint8Array[] = [];
    let n = 0;
    for await (const p of decompress(once(data), compressor, { signal, file: context.file })) { parts.push(p); n += p.length; }
    out = concatBytes(parts, n);
  }
  if (size !== undefined && out.length !== size) {
    throw new LayerlabError('SIZE_MISMATCH', `${compressor} data decodes to ${out.length} bytes, expected ${size}`, context);
  }
  return out;
}

async function* once(b: Uint8Array): AsyncIterable<Uint8Array> {
  yield b;
}
