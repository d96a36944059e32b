import { createCRC32 } from 'hash-wasm';
import { LayerlabError, isAbort, type ErrorContext } from '../errors.ts';
import { ChunkCursor } from './chunk-cursor.ts';
import { GzipMemberReader } from './gzip-member-reader.ts';
import { nativeGunzipSupport, type NativeGunzipSupport } from './native-gunzip.ts';
import type { DecompressOptions } from './decompress-options.ts';

/**
 * Compressed bytes kept for a restart when no `reopen` is given: enough for the first member of
 * any eStargz layer (one member per file or per chunk, 4 MiB by default), small enough not to
 * matter, and little to decode twice when a large layer has to hand over to the JS reader.
 */
export const DEFAULT_REPLAY_LIMIT = 8 << 20;

/**
 * Gzip pieces: DecompressionStream inflates a whole write before the consumer reads any of it.
 * Its throughput is flat from 64 KiB to 4 MiB writes (bench piece sweep, both runtimes), the JS
 * reader loses ~20% at 64 KiB and nothing at 256 KiB: 256 KiB keeps bursts small at no cost.
 */
const GZIP_MAX_PIECE = 256 << 10;

export interface GzipDecodeOptions extends DecompressOptions {
  /** Tests and the bench: 'js' never uses DecompressionStream. */
  path?: 'auto' | 'js';
  /** Tests: see DEFAULT_REPLAY_LIMIT. */
  replayLimit?: number;
  /** Tests and the bench: piece sizing (chunk-cursor.ts). */
  pieces?: { minPiece?: number; maxPiece?: number; outputTarget?: number };
}

/**
 * Gunzip as one continuous, verified stream, whatever the runtime.
 *
 * Fast path: the runtime's `DecompressionStream('gzip')` (zlib; in Chromium ~2.4× fflate). It
 * is trusted only for what it delivers. On any error (Chromium's "Junk found" at the second
 * member, truncation, a bad CRC) the JS reader (`GzipMemberReader`, strict, exact offsets)
 * restarts from compressed offset 0, discards the uncompressed bytes already delivered, and
 * carries on to the end. The consumer sees one correct stream; a real corruption is reported by
 * the JS reader, with its offset. Same bytes, deterministic decoders: the prefix both produce
 * is identical, so skipping by count is exact.
 *
 * Restarting needs the compressed prefix again: from `reopen()` when given (no memory cost),
 * else from the pieces kept in memory, up to `DEFAULT_REPLAY_LIMIT`. Past that limit without
 * `reopen`:
 * - where the native decoder stops at the first member (Chromium), the JS reader takes over
 *   right away (correct, at JS speed);
 * - where it reads all members (Node), it keeps going; an error is then reported from the
 *   native message, with the compressed offset where it surfaced.
 *
 * `onMember` needs member boundaries, which only the JS reader knows: it selects the JS path.
 */
export async function* decodeGzip(chunks: AsyncIterable<Uint8Array>, o: GzipDecodeOptions = {}): AsyncGenerator<Uint8Array, void, undefined> {
  const context: ErrorContext = o.file !== undefined ? { file: o.file } : {};
  const cursor = new ChunkCursor(chunks, { signal: o.signal, context, maxPiece: GZIP_MAX_PIECE, ...o.pieces });
  const support: NativeGunzipSupport = o.onMember || o.path === 'js' ? 'absent' : await nativeGunzipSupport();
  const native = support === 'absent' ? undefined : nativeGunzip(cursor, support, o, context);
  try {
    let restart: Restart = { delivered: 0, prefix: [], fed: 0 };
    if (native) {
      for (;;) {
        const r = await native.next();
        if (r.done) {
          if (!r.value) return;
          restart = r.value;
          break;
        }
        yield r.value;
      }
    }
    yield* jsGunzip(cursor, restart, o, context);
  } finally {
    // A consumer that stops early lands here: stop the native pump first (it reads the cursor).
    await native?.return(undefined);
    await cursor.close();
  }
}

/** Where the JS reader picks up: the first `fed` compressed bytes again, minus `delivered` output. */
interface Restart { fed: number; delivered: number; prefix: Uint8Array[] | 'reopen' }

async function* nativeGunzip(
  cursor: ChunkCursor, support: NativeGunzipSupport, o: GzipDecodeOptions, context: ErrorContext,
): AsyncGenerator<Uint8Array, Restart | undefined, undefined> {
  const limit = o.replayLimit ?? DEFAULT_REPLAY_LIMIT;
  const ds = new DecompressionStream('gzip');
  const writer = ds.writable.getWriter();
  const reader = ds.readable.getReader();
  let prefix: Uint8Array[] | 'reopen' | undefined = o.reopen ? 'reopen' : [];
  let kept = 0;
  let fed = 0;
  let delivered = 0;
  let sourceError: unknown;

  // Feeds the native decoder while the loop below drains it; one piece in flight.
  const pump = (async () => {
    for (;;) {
      let piece: Uint8Array | undefined;
      try {
        piece = await cursor.next();
      } catch (e) {
        sourceError = e;
        await writer.abort(e).catch(() => {});
        return;
      }
      if (!piece) {
        await writer.close().catch(() => {});
        return;
      }
      if (Array.isArray(prefix)) {
        if (kept + piece.length > limit) {
          if (support === 'first-member-only') {
            // A second member would make this decoder fail after the point we can restart
            // from: hand over to the JS reader while we still can.
            cursor.unread(piece);
            await writer.abort(HAND_OVER).catch(() => {});
            return;
          }
          prefix = undefined;
        } else {
          prefix.push(piece);
          kept += piece.length;
        }
      }
      fed += piece.length;
      try {
        await writer.write(piece as Uint8Array<ArrayBuffer>);
      } catch {
        return; // the decoder failed; the reader side sees the same error
      }
    }
  })();

  let failure: unknown;
  try {
    for (;;) {
      const r = await reader.read();
      if (r.done) break;
      delivered += r.value.length;
      cursor.reportOutput(delivered);
      yield plain(r.value);
    }
  } catch (e) {
    failure = e;
  } finally {
    // Also runs when the consumer stops early: stop the pump and release the decoder.
    if (failure === undefined) await reader.cancel().catch(() => {});
    await pump;
  }
  if (sourceError !== undefined) throw sourceError;
  if (failure === undefined) return undefined;
  if (isAbort(failure)) throw failure;
  if (prefix) return { fed, delivered, prefix }; // always set after a hand-over
  const msg = (failure as Error)?.message ?? String(failure);
  const truncated = /truncat|unexpected end/i.test(msg);
  throw new LayerlabError(truncated ? 'TRUNCATED' : 'BAD_COMPRESSION',
    `${truncated ? 'the gzip stream is truncated' : 'the gzip stream is corrupt'} (${msg})`,
    { ...context, offset: fed, offsetSpace: 'compressed' }, { cause: failure });
}

const HAND_OVER = new Error('hand over to the JS gunzip');

/** Node's DecompressionStream yields Buffers; consumers get plain Uint8Arrays (Buffer#slice does not copy). */
function plain(b: Uint8Array): Uint8Array {
  return b.constructor === Uint8Array ? b : new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

async function* jsGunzip(cursor: ChunkCursor, restart: Restart, o: GzipDecodeOptions, context: ErrorContext): AsyncGenerator<Uint8Array, void, undefined> {
  const crc = await createCRC32(); // hash-wasm compiles its module once per realm
  let out: Uint8Array[] = [];
  let skip = restart.delivered;
  const reader = new GzipMemberReader((d) => {
    if (skip >= d.length) {
      skip -= d.length;
      return;
    }
    out.push(skip ? d.subarray(skip) : d);
    skip = 0;
  }, crc, { context, onMember: o.onMember });

  const drain = () => {
    const r = out;
    out = [];
    return r;
  };

  if (restart.fed > 0) {
    for await (const piece of replayPrefix(restart, o, context)) {
      reader.push(piece);
      yield* drain();
    }
  }
  for (;;) {
    const piece = await cursor.next();
    if (!piece) break;
    reader.push(piece);
    cursor.reportOutput(reader.uncompressedOffset);
    yield* drain();
  }
  reader.finish();
  yield* drain();
}

/** The first `fed` compressed bytes again. */
async function* replayPrefix(restart: Restart, o: GzipDecodeOptions, context: ErrorContext): AsyncGenerator<Uint8Array> {
  if (restart.prefix !== 'reopen') {
    yield* restart.prefix;
    return;
  }
  const again = new ChunkCursor(o.reopen!(), { signal: o.signal, context });
  let left = restart.fed;
  try {
    while (left > 0) {
      const piece = await again.next();
      if (!piece) {
        throw new LayerlabError('IO', `re-reading the gzip stream gave ${restart.fed - left} of ${restart.fed} bytes`,
          { ...context, offset: restart.fed - left, offsetSpace: 'compressed' });
      }
      const use = piece.length > left ? piece.subarray(0, left) : piece;
      left -= use.length;
      yield use;
    }
  } finally {
    await again.close();
  }
}
