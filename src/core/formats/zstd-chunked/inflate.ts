import { concatBytes } from '../../bytes/concat.ts';
import { decompress } from '../../compress/decompress.ts';
import { LayerlabError, toLayerlabError, type ErrorContext } from '../../errors.ts';

/**
 * Decompresses one extent of a zstd:chunked blob (a manifest, a tar-split, a payload chunk) with
 * the engine's one zstd decoder and insists on exactly `expected` bytes: spec §1 says a payload
 * extent decompresses to exactly its chunk, §7 step 2 that the manifest is exactly its
 * uncompressed length. Reading stops one byte past `expected`, so a lying length never makes
 * it buffer more than that. Errors carry blob offsets (`base` is where the extent starts).
 */
export async function inflateExact(
  compressed: AsyncIterable<Uint8Array> | Uint8Array, expected: number, what: string, ctx: ErrorContext & { base: number },
): Promise<Uint8Array> {
  const { base, ...context } = ctx;
  const parts: Uint8Array[] = [];
  let n = 0;
  try {
    for await (const d of decompress(compressed instanceof Uint8Array ? oneChunk(compressed) : compressed, 'zstd', { file: context.file })) {
      parts.push(d);
      n += d.length;
      if (n > expected) break;
    }
  } catch (e) {
    throw atBlobOffset(e, base, context, what);
  }
  if (n !== expected) {
    throw new LayerlabError('BAD_LAZY_FORMAT', `the ${what} at ${base} decompresses to ${n > expected ? `more than ${expected}` : n} bytes, ${expected} expected`,
      { ...context, offset: base, offsetSpace: 'compressed' });
  }
  return concatBytes(parts, n);
}

/** A decoder error re-pointed from the extent's own offsets to the blob's, named after the extent. */
export function atBlobOffset(e: unknown, base: number, context: ErrorContext, what: string): LayerlabError {
  const err = toLayerlabError(e);
  if (err.code === 'ABORTED') return err.withContext(context);
  const offset = (err.context.offset ?? 0) + base;
  return new LayerlabError(err.code, `${what}: ${err.message}`, { ...err.context, ...context, offset, offsetSpace: 'compressed' }, { cause: e });
}

/** A buffer as the one chunk of a stream (what the decoder takes). */
export async function* oneChunk(b: Uint8Array): AsyncIterable<Uint8Array> {
  yield b;
}
