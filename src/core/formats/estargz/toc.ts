import type { ByteSource } from '../../bytes/byte-source.ts';
import { decompress } from '../../compress/decompress.ts';
import { sha256Digest, parseDigest } from '../../digest/sha256.ts';
import type { Digest } from '../../digest/digest.ts';
import { LayerlabError, isAbort, toLayerlabError, type ErrorContext } from '../../errors.ts';
import { TarParser } from '../../tar/tar-parser.ts';
import type { Verification } from '../../digest/digest.ts';
import { checkFrameHeader } from '../zstd-chunked/index.ts';
import { SKIPPABLE_HEADER } from './footer.ts';
import { inMember } from './member-error.ts';
import { NO_PREFETCH_LANDMARK, PREFETCH_LANDMARK, TOC_TAR_NAME, type Footer, type Toc, type TocEntry, type TocEntryType } from './types.ts';

/**
 * Caps on the TOC: containers/storage refuses TOCs above 150 MiB compressed or uncompressed
 * (spec §5.4). A hostile footer or tar header must not make us fetch or allocate more.
 */
export const TOC_LIMITS = { maxCompressed: 150 << 20, maxJson: 150 << 20 };
export type TocLimits = typeof TOC_LIMITS;

/** Tar framing around the JSON in the TOC member: headers (PAX at most 1 MiB), padding, end-of-archive. */
const TOC_TAR_OVERHEAD = 2 << 20;

export interface ReadTocOptions {
  signal?: AbortSignal;
  /** `containerd.io/snapshot/stargz/toc.digest` to check the JSON against. */
  expectedDigest?: string;
  limits?: Partial<TocLimits>;
}

export interface TocRead {
  toc: Toc;
  /** The JSON exactly as stored (what the TOC digest is over, spec §7). */
  json: Uint8Array;
  digest: Digest;
  /** Against `expectedDigest`; 'unchecked' without one. */
  digestCheck: Verification;
  /** zstd variant: sha256 of the compressed TOC bytes (the `…zstd-chunked.manifest-checksum` annotation, spec §10). */
  compressedDigest?: Digest;
}

const ENTRY_TYPES: ReadonlySet<string> = new Set<TocEntryType>(['dir', 'reg', 'symlink', 'hardlink', 'char', 'block', 'fifo', 'chunk']);
const INTEGER_FIELDS = ['size', 'mode', 'uid', 'gid', 'offset', 'innerOffset', 'devMajor', 'devMinor', 'chunkOffset', 'chunkSize'] as const;
const STRING_FIELDS = ['modtime', 'linkName', 'userName', 'groupName', 'digest', 'chunkDigest'] as const;

/**
 * Fetches the TOC member `[tocOffset, size − footerSize)`, gunzips it with the shared decoder and
 * takes the JSON out of its tar: the first entry must be `stargz.index.json` and the only one
 * (BuildKit's `estargzType.Is`, spec §11 rule 3). Then parses it and hashes the stored bytes.
 *
 * Errors (offset = the TOC member's start, compressed): TOO_LARGE past `limits`, BAD_LAZY_FORMAT
 * for a member that is not that one-entry tar, BAD_COMPRESSION/TRUNCATED from the decoder,
 * BAD_JSON for a TOC that is not the JSON of spec §4. A digest mismatch is not thrown here: the
 * result says it, and the caller decides (the reader refuses, the analysis reports).
 */
export async function readToc(src: ByteSource, footer: Footer, o: ReadTocOptions = {}): Promise<TocRead> {
  const limits = { ...TOC_LIMITS, ...o.limits };
  const start = footer.tocOffset;
  const end = src.size - footer.size;
  const ctx: ErrorContext = { file: src.name, offset: start, offsetSpace: 'compressed' };
  if (end - start > limits.maxCompressed) {
    throw new LayerlabError('TOO_LARGE', `the TOC member is ${end - start} bytes; more than ${limits.maxCompressed} is refused`, ctx);
  }
  const expected = o.expectedDigest === undefined ? undefined : parseDigest(o.expectedDigest, src.name).digest;
  let json: Uint8Array;
  let compressedDigest: Digest | undefined;
  if (footer.compression === 'zstd') ({ json, compressedDigest } = await zstdTocJson(src, footer, limits.maxJson, ctx, o.signal));
  else json = await tocMemberJson(src, start, end, limits.maxJson, ctx, o.signal);
  if (footer.compression === 'zstd' && !isEstargzStyle(json)) throw notEstargzZstd(ctx, 'its TOC is a containers/storage zstd:chunked manifest (zstd-chunked.md §9 shape A)');
  const toc = parseTocJson(json, ctx);
  const digest = await sha256Digest(json);
  return { toc, json, digest, digestCheck: expected === undefined ? 'unchecked' : expected === digest ? 'ok' : 'mismatch', compressedDigest };
}

/**
 * The zstd variant's TOC (spec §10): not a tar entry but a zstd frame of the bare JSON, the payload
 * of a skippable frame at `tocOffset`; the footer gives its compressed and JSON lengths. Until the
 * JSON is known to be eStargz's, failures say UNKNOWN_FORMAT: the same footer also ends
 * containers/storage's blobs (zstd-chunked.md §9 shape A), whose reader then reports them.
 */
async function zstdTocJson(src: ByteSource, footer: Footer, maxJson: number, ctx: ErrorContext, signal?: AbortSignal): Promise<{ json: Uint8Array; compressedDigest: Digest }> {
  const span = footer.toc!;
  if (span.uncompressedLength > maxJson) throw new LayerlabError('TOO_LARGE', `the TOC JSON is ${span.uncompressedLength} bytes; more than ${maxJson} is refused`, ctx);
  const framed = await src.read(footer.tocOffset, SKIPPABLE_HEADER + span.length, signal);
  try {
    checkFrameHeader(framed.subarray(0, SKIPPABLE_HEADER), span, 'TOC', src.name);
  } catch (e) {
    throw notEstargzZstd(ctx, toLayerlabError(e).message);
  }
  const compressed = framed.subarray(SKIPPABLE_HEADER);
  const json = new Uint8Array(span.uncompressedLength);
  let fill = 0;
  try {
    for await (const c of decompress(once(compressed), 'zstd', { signal, file: src.name })) {
      if (fill + c.length > json.length) throw new LayerlabError('BAD_LAZY_FORMAT', `the TOC decompresses to more than the footer's ${json.length} bytes`, ctx);
      json.set(c, fill);
      fill += c.length;
    }
    if (fill !== json.length) throw new LayerlabError('BAD_LAZY_FORMAT', `the TOC decompresses to ${fill} bytes, the footer says ${json.length}`, ctx);
  } catch (e) {
    if (isAbort(e)) throw toLayerlabError(e, ctx);
    throw notEstargzZstd(ctx, inMember(e, { ...ctx, offset: footer.tocOffset + SKIPPABLE_HEADER }, 'TOC frame').message);
  }
  return { json, compressedDigest: await sha256Digest(compressed) };
}

/**
 * Whether a TOC found through the 40-byte footer is stargz-snapshotter's (shape B) rather than
 * containers/storage's (shape A), by zstd-chunked.md §9 rule 7: Go's MarshalIndent with tabs
 * starts `{` LF TAB, compact JSON `{"version":`; for re-serialised JSON, eStargz signs (owner
 * names, landmarks, an empty `reg` with a digest) against zstd:chunked's (`endOffset`).
 */
export function isEstargzStyle(json: Uint8Array): boolean {
  const head = String.fromCharCode(...json.subarray(0, 11));
  if (head.startsWith('{\n\t')) return true;
  if (head === '{"version":') return false;
  let entries: unknown;
  try {
    entries = (JSON.parse(new TextDecoder().decode(json)) as { entries?: unknown }).entries;
  } catch {
    return false;
  }
  if (!Array.isArray(entries)) return false;
  const es = entries.filter((e): e is Record<string, unknown> => typeof e === 'object' && e !== null);
  if (es.some((e) => 'endOffset' in e)) return false;
  return es.some((e) => e.userName !== undefined || e.groupName !== undefined ||
    e.name === PREFETCH_LANDMARK || e.name === NO_PREFETCH_LANDMARK || (e.type === 'reg' && !e.size && e.digest !== undefined));
}

function notEstargzZstd(ctx: ErrorContext, why: string): LayerlabError {
  return new LayerlabError('UNKNOWN_FORMAT', `not a zstd eStargz blob: ${why}`, ctx);
}

async function* once(b: Uint8Array): AsyncIterable<Uint8Array> {
  yield b;
}

async function tocMemberJson(src: ByteSource, start: number, end: number, maxJson: number, ctx: ErrorContext, signal?: AbortSignal): Promise<Uint8Array> {
  let json: Uint8Array | undefined;
  let fill = 0;
  const parser = new TarParser({
    entry(e) {
      if (json) throw new LayerlabError('BAD_LAZY_FORMAT', `the TOC member holds a second tar entry ${JSON.stringify(e.name)} after ${TOC_TAR_NAME}`, ctx);
      if (e.name !== TOC_TAR_NAME || e.type !== 'file') {
        throw new LayerlabError('BAD_LAZY_FORMAT', `the TOC member's first tar entry is ${JSON.stringify(e.name)} (${e.type}), not the file ${TOC_TAR_NAME}`, ctx);
      }
      if (e.size > maxJson) throw new LayerlabError('TOO_LARGE', `the TOC JSON is ${e.size} bytes; more than ${maxJson} is refused`, ctx);
      const buf = json = new Uint8Array(e.size);
      return { data(c) { buf.set(c, fill); fill += c.length; }, end() {} };
    },
  }, { file: src.name });
  let out = 0;
  try {
    for await (const c of decompress(src.stream({ start, end, signal }), 'gzip', { signal, file: src.name })) {
      out += c.length;
      // A small member can inflate to gigabytes of zeros after the entry; the tar parser would accept them.
      if (out > maxJson + TOC_TAR_OVERHEAD) throw new LayerlabError('TOO_LARGE', `the TOC member decompresses to more than ${maxJson + TOC_TAR_OVERHEAD} bytes`, ctx);
      parser.push(c);
    }
    parser.finish();
  } catch (e) {
    throw inMember(e, ctx, 'TOC member');
  }
  if (!json) throw new LayerlabError('BAD_LAZY_FORMAT', `the TOC member holds no ${TOC_TAR_NAME} entry`, ctx);
  return json;
}

/** The TOC JSON → Toc, checking the shape of spec §4 so later code can trust field types. */
export function parseTocJson(json: Uint8Array, ctx: ErrorContext = {}): Toc {
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(json));
  } catch (e) {
    throw new LayerlabError('BAD_JSON', `the TOC is not JSON: ${(e as Error).message}`, ctx, { cause: e });
  }
  if (!isObject(doc)) throw new LayerlabError('BAD_JSON', 'the TOC is not a JSON object', ctx);
  if (doc.version !== 1) throw new LayerlabError('BAD_JSON', `TOC version ${JSON.stringify(doc.version)} is not 1`, ctx);
  if (!Array.isArray(doc.entries)) throw new LayerlabError('BAD_JSON', 'the TOC has no "entries" array', ctx);
  doc.entries.forEach((e: unknown, i: number) => checkEntry(e, i, ctx));
  return doc as unknown as Toc;
}

function checkEntry(e: unknown, i: number, ctx: ErrorContext): asserts e is TocEntry {
  const bad = (what: string, entry?: string) => new LayerlabError('BAD_JSON', `TOC entry ${i}: ${what}`, entry === undefined ? ctx : { ...ctx, entry });
  if (!isObject(e)) throw bad('not an object');
  if (typeof e.name !== 'string') throw bad('"name" is not a string');
  if (typeof e.type !== 'string' || !ENTRY_TYPES.has(e.type)) throw bad(`unknown type ${JSON.stringify(e.type)}`, e.name);
  for (const k of INTEGER_FIELDS) {
    const v = e[k];
    // mode/uid/gid can legitimately be large; none is negative or fractional in a Go TOC.
    if (v !== undefined && !(Number.isSafeInteger(v) && (v as number) >= 0)) throw bad(`"${k}" is ${JSON.stringify(v)}, not a non-negative integer`, e.name);
  }
  for (const k of STRING_FIELDS) if (e[k] !== undefined && typeof e[k] !== 'string') throw bad(`"${k}" is not a string`, e.name);
  if (e.xattrs !== undefined && e.xattrs !== null && !isObject(e.xattrs)) throw bad('"xattrs" is not an object', e.name);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
