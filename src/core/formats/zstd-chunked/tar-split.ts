import { decompress } from '../../compress/decompress.ts';
import { checkAborted, LayerlabError, type ErrorContext } from '../../errors.ts';
import { decodeBase64 } from '../../tar/pax-records.ts';
import { toHex } from '../../bytes/hex.ts';
import { Crc64Iso } from './crc64.ts';
import { atBlobOffset, oneChunk } from './inflate.ts';
import { concatBytes } from '../../bytes/concat.ts';
import { TAR_SPLIT_FILE, TAR_SPLIT_SEGMENT, type BlobSpan, type ManifestEntry } from './types.ts';

/**
 * One line of a tar-split (spec §4; vbatts/tar-split `storage.Entry`): a segment of raw tar bytes
 * (headers, padding, end-of-archive, trailing data), or a file whose content is elsewhere — here,
 * in the blob's payload frames, found through the manifest.
 */
export type TarSplitEntry =
  | { type: typeof TAR_SPLIT_SEGMENT; position: number; payload: Uint8Array }
  | { type: typeof TAR_SPLIT_FILE; position: number; name: string; size: number; crc64?: Uint8Array };

const ascii = new TextEncoder();
const lossyUtf8 = new TextDecoder('utf-8');

/**
 * The entries of a tar-split, decoded as they are decompressed (NDJSON, spec §4): memory holds one
 * line at a time, not the whole tar-split. The decompressed length must be the one the footer or
 * annotation states. `name_raw` (non-UTF-8 names) is decoded to text the way Go's JSON encoder
 * wrote the manifest's name: invalid bytes become U+FFFD.
 */
export async function* tarSplitEntries(compressed: Uint8Array, span: BlobSpan, ctx: ErrorContext, signal?: AbortSignal): AsyncGenerator<TarSplitEntry> {
  const bad = (why: string, at?: number): never => {
    throw new LayerlabError('BAD_LAZY_FORMAT', `zstd:chunked tar-split: ${why}`, { ...ctx, offset: at ?? span.offset, offsetSpace: at === undefined ? 'compressed' : 'uncompressed' });
  };
  let carry: Uint8Array = new Uint8Array(0);
  let total = 0;
  let lineStart = 0;
  let lastPosition = -1;
  const parse = (line: Uint8Array, at: number): TarSplitEntry | undefined => {
    if (line.length === 0) return undefined;
    let e: Record<string, unknown>;
    try {
      e = JSON.parse(lossyUtf8.decode(line)) as Record<string, unknown>;
    } catch (err) {
      return bad(`line at ${at} is not JSON (${(err as Error).message})`, at);
    }
    if (!e || typeof e !== 'object') bad(`line at ${at} is not an object`, at);
    const position = e.position;
    if (!Number.isSafeInteger(position) || (position as number) <= lastPosition) bad(`entry at ${at} has position ${JSON.stringify(position)}, not after ${lastPosition}`, at);
    lastPosition = position as number;
    const bytes = (v: unknown, what: string) => {
      const b = typeof v === 'string' ? decodeBase64(ascii.encode(v)) : undefined;
      return b ?? bad(`entry ${position}: ${what} is not base64`, at);
    };
    if (e.type === TAR_SPLIT_SEGMENT) return { type: TAR_SPLIT_SEGMENT, position: position as number, payload: e.payload == null ? new Uint8Array(0) : bytes(e.payload, 'payload') };
    if (e.type !== TAR_SPLIT_FILE) return bad(`entry ${position} has type ${JSON.stringify(e.type)} (1 file, 2 segment)`, at);
    const name = e.name_raw !== undefined && e.name_raw !== null ? lossyUtf8.decode(bytes(e.name_raw, 'name_raw')) : e.name;
    if (typeof name !== 'string') bad(`file entry ${position} has no name`, at);
    const size = e.size ?? 0;
    if (!Number.isSafeInteger(size) || (size as number) < 0) bad(`file entry ${position} (${JSON.stringify(name)}) has size ${JSON.stringify(size)}`, at);
    const crc64 = e.payload == null ? undefined : bytes(e.payload, 'payload (CRC-64)');
    if (crc64 && crc64.length !== 8) bad(`file entry ${position} (${JSON.stringify(name)}): its CRC-64 is ${crc64.length} bytes, not 8`, at);
    return { type: TAR_SPLIT_FILE, position: position as number, name: name as string, size: size as number, crc64 };
  };
  // Only the decoder's errors are re-pointed to blob offsets; the line checks above name their own.
  const decoded = decompress(oneChunk(compressed), 'zstd', { file: ctx.file, signal })[Symbol.asyncIterator]();
  try {
    for (;;) {
      let step: IteratorResult<Uint8Array>;
      try {
        step = await decoded.next();
      } catch (e) {
        throw atBlobOffset(e, span.offset, ctx, 'zstd:chunked tar-split');
      }
      if (step.done) break;
      const d = step.value;
      total += d.length;
      if (total > span.uncompressedLength) bad(`decompresses to more than the stated ${span.uncompressedLength} bytes`);
      const buf = carry.length ? concatBytes([carry, d]) : d;
      let from = 0;
      for (let nl = buf.indexOf(0x0a); nl >= 0; nl = buf.indexOf(0x0a, from)) {
        const entry = parse(buf.subarray(from, nl), lineStart);
        lineStart += nl + 1 - from;
        from = nl + 1;
        if (entry) yield entry;
      }
      carry = buf.slice(from);
    }
  } finally {
    await decoded.return?.();
  }
  const last = parse(carry, lineStart);
  if (last) yield last;
  if (total !== span.uncompressedLength) bad(`decompresses to ${total} bytes, the footer or annotation says ${span.uncompressedLength}`);
}

/** Where a file's content comes from when the tar is rebuilt: the reader's chunks of a manifest entry. */
export type ContentReader = (entryIndex: number, signal?: AbortSignal) => AsyncIterable<Uint8Array>;

/**
 * The original tar, rebuilt from the tar-split (spec §4: segments and file contents in order) and
 * the files read through the manifest, each checked against the tar-split's size and CRC-64/ISO.
 * The k-th file entry named N takes the content of the k-th manifest entry named N (tar order,
 * so duplicate names pair up). Streams: memory is one chunk and one tar-split line.
 */
export async function* rebuildTar(
  entries: AsyncIterable<TarSplitEntry>, manifest: readonly ManifestEntry[], content: ContentReader, ctx: ErrorContext, signal?: AbortSignal,
): AsyncGenerator<Uint8Array> {
  const byName = new Map<string, number[]>();
  manifest.forEach((e, i) => {
    if (e.type === 'chunk') return;
    const list = byName.get(e.name);
    if (list) list.push(i);
    else byName.set(e.name, [i]);
  });
  const taken = new Map<string, number>();
  let out = 0;
  for await (const t of entries) {
    checkAborted(signal, { ...ctx, offset: out, offsetSpace: 'uncompressed' });
    if (t.type === TAR_SPLIT_SEGMENT) {
      out += t.payload.length;
      if (t.payload.length) yield t.payload;
      continue;
    }
    const k = taken.get(t.name) ?? 0;
    taken.set(t.name, k + 1);
    const at = { ...ctx, entry: t.name, offset: out, offsetSpace: 'uncompressed' as const };
    if (t.size === 0) continue;
    const i = byName.get(t.name)?.[k];
    const m = i === undefined ? undefined : manifest[i];
    if (!m || m.type !== 'reg') {
      throw new LayerlabError('BAD_LAZY_FORMAT', `tar-split file entry ${t.position} (${JSON.stringify(t.name)}, ${t.size} bytes) has no regular-file entry in the manifest`, at);
    }
    if ((m.size ?? 0) !== t.size) {
      throw new LayerlabError('SIZE_MISMATCH', `tar-split file entry ${t.position} (${JSON.stringify(t.name)}) declares ${t.size} bytes, the manifest ${m.size ?? 0}`, at);
    }
    const crc = new Crc64Iso();
    let n = 0;
    for await (const piece of content(i!, signal)) {
      crc.update(piece);
      n += piece.length;
      yield piece;
    }
    out += n;
    if (n !== t.size) throw new LayerlabError('SIZE_MISMATCH', `tar-split file entry ${t.position} (${JSON.stringify(t.name)}) declares ${t.size} bytes, its chunks give ${n}`, at);
    const got = crc.digest();
    if (t.crc64 && toHex(got) !== toHex(t.crc64)) {
      throw new LayerlabError('DIGEST_MISMATCH', `tar-split file entry ${t.position} (${JSON.stringify(t.name)}): CRC-64 ${toHex(got)}, the tar-split says ${toHex(t.crc64)}`, at);
    }
  }
}

