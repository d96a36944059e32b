import type { ByteSource } from '../../bytes/byte-source.ts';
import type { Digest } from '../../digest/digest.ts';
import { sha256Digest } from '../../digest/sha256.ts';
import { LayerlabError, type ErrorContext } from '../../errors.ts';
import { checkFrameHeader } from './footer.ts';
import { inflateExact } from './inflate.ts';
import {
  MAX_MANIFEST_BYTES, type BlobSpan, type Manifest, type ManifestEntry, type ManifestEntryType, type ZstdChunkedFlavour,
} from './types.ts';

/**
 * Reads a skippable frame's payload by range together with the 8 bytes before it, which must be
 * that frame's header (spec §9 rule 6): one read, nothing else of the blob.
 */
export async function readFramePayload(src: ByteSource, s: BlobSpan, what: string, signal?: AbortSignal): Promise<Uint8Array> {
  if (s.offset < 8 || s.offset + s.length > src.size) {
    throw new LayerlabError('BAD_LAZY_FORMAT', `zstd:chunked ${what} at ${s.offset} (+${s.length}) is outside the ${src.size}-byte blob`,
      { file: src.name, offset: s.offset, offsetSpace: 'compressed' });
  }
  const bytes = await src.read(s.offset - 8, s.length + 8, signal);
  if (bytes.length < s.length + 8) {
    throw new LayerlabError('TRUNCATED', `zstd:chunked ${what}: read ${bytes.length} of ${s.length + 8} bytes`, { file: src.name, offset: s.offset - 8, offsetSpace: 'compressed' });
  }
  checkFrameHeader(bytes.subarray(0, 8), s, what, src.name);
  return bytes.subarray(8);
}

export interface ManifestRead {
  /** The manifest JSON exactly as stored (decompressed). */
  json: Uint8Array;
  manifest: Manifest;
  /** sha256 of the compressed bytes: what `manifest-checksum` states (spec §5). */
  compressedDigest: Digest;
  flavour: ZstdChunkedFlavour;
}

/**
 * The manifest (spec §7 steps 1–2): read by range, hashed, decompressed to exactly its stated
 * length (at most 150 MiB), parsed and validated. `dataEnd` is where the data frames end (the
 * manifest's skippable frame starts there): every payload offset must lie before it.
 */
export async function readManifest(src: ByteSource, s: BlobSpan, o: { signal?: AbortSignal } = {}): Promise<ManifestRead> {
  const ctx = { file: src.name };
  if (s.uncompressedLength > MAX_MANIFEST_BYTES || s.length > MAX_MANIFEST_BYTES) {
    const which = s.uncompressedLength > MAX_MANIFEST_BYTES ? `${s.uncompressedLength} bytes uncompressed` : `${s.length} bytes compressed`;
    throw new LayerlabError('TOO_LARGE', `zstd:chunked manifest: ${which}, at most ${MAX_MANIFEST_BYTES} are accepted (spec §7 step 2)`,
      { ...ctx, offset: s.offset, offsetSpace: 'compressed' });
  }
  const compressed = await readFramePayload(src, s, 'manifest', o.signal);
  const compressedDigest = await sha256Digest(compressed);
  const json = await inflateExact(compressed, s.uncompressedLength, 'zstd:chunked manifest', { ...ctx, base: s.offset });
  const flavour = manifestFlavour(json);
  const manifest = parseManifest(json, { ...ctx, offset: s.offset, offsetSpace: 'compressed' }, flavour === 'containers-storage' ? s.offset - 8 : undefined);
  return { json, manifest, compressedDigest, flavour };
}

const TYPES = new Set<ManifestEntryType>(['reg', 'hardlink', 'symlink', 'char', 'block', 'dir', 'fifo', 'chunk']);
const NUMBERS = ['mode', 'size', 'uid', 'gid', 'devMajor', 'devMinor', 'offset', 'endOffset', 'chunkSize', 'chunkOffset'] as const;
const STRINGS = ['linkName', 'modtime', 'accesstime', 'changetime', 'digest', 'chunkDigest', 'chunkType'] as const;
const DIGEST = /^sha256:[0-9a-f]{64}$/;

/**
 * Tells containers/storage manifests from stargz-snapshotter's eStargz TOC in the same footer
 * (spec §9 rule 7): the TOC is tab-indented, the manifest compact; when re-serialised, fields only
 * one writer uses decide.
 */
export function manifestFlavour(json: Uint8Array): ZstdChunkedFlavour {
  if (json[0] === 0x7b && json[1] === 0x0a && json[2] === 0x09) return 'stargz-snapshotter';
  const head = new TextDecoder().decode(json.subarray(0, 11));
  if (head === '{"version":') return 'containers-storage';
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder().decode(json));
  } catch {
    return 'containers-storage'; // parseManifest names the JSON error
  }
  const entries = (doc as { entries?: unknown })?.entries;
  if (!Array.isArray(entries)) return 'containers-storage';
  for (const e of entries as Record<string, unknown>[]) {
    if (e && typeof e === 'object' && ('endOffset' in e)) return 'containers-storage';
    if (e && typeof e === 'object' && ('userName' in e || 'groupName' in e
      || e.name === '.prefetch.landmark' || e.name === '.no.prefetch.landmark'
      || (e.type === 'reg' && !e.size && typeof e.digest === 'string'))) return 'stargz-snapshotter';
  }
  return 'containers-storage';
}

/**
 * Parses and validates a containers/storage manifest (spec §3): version 1, entries of known types
 * with fields of the right kinds, digests `sha256:<hex>`, payload offsets before `dataEnd`.
 * Chunk lists are checked when they are indexed (./chunk-index.ts).
 */
export function parseManifest(json: Uint8Array, ctx: ErrorContext, dataEnd?: number): Manifest {
  const bad = (why: string, entry?: string): never => {
    throw new LayerlabError('BAD_JSON', `zstd:chunked manifest: ${why}`, { ...ctx, ...(entry !== undefined ? { entry } : {}) });
  };
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder('utf-8').decode(json));
  } catch (e) {
    bad(`not JSON (${(e as Error).message})`);
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) bad('not a JSON object');
  const m = doc as Record<string, unknown>;
  if (m.version !== 1) bad(`version ${JSON.stringify(m.version)}, only 1 is known`);
  if (!Array.isArray(m.entries)) bad('no "entries" array');
  if (m.tarSplitDigest !== undefined && (typeof m.tarSplitDigest !== 'string' || !DIGEST.test(m.tarSplitDigest))) bad(`tarSplitDigest ${JSON.stringify(m.tarSplitDigest)} is not sha256:<64 hex>`);
  const entries = (m.entries as unknown[]).map((raw, i): ManifestEntry => {
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) bad(`entry ${i} is not an object`);
    const e = raw as Record<string, unknown>;
    if (typeof e.name !== 'string' || e.name === '') bad(`entry ${i} has no name`);
    const name = e.name as string;
    if (typeof e.type !== 'string' || !TYPES.has(e.type as ManifestEntryType)) bad(`entry ${i} has type ${JSON.stringify(e.type)}`, name);
    for (const k of NUMBERS) {
      if (e[k] !== undefined && !(Number.isSafeInteger(e[k]) && (e[k] as number) >= 0)) bad(`entry ${i} field ${k} is ${JSON.stringify(e[k])}, not a non-negative integer`, name);
    }
    for (const k of STRINGS) {
      if (e[k] !== undefined && typeof e[k] !== 'string') bad(`entry ${i} field ${k} is not a string`, name);
    }
    for (const k of ['digest', 'chunkDigest'] as const) {
      if (e[k] !== undefined && e[k] !== '' && !DIGEST.test(e[k] as string)) bad(`entry ${i} ${k} ${JSON.stringify(e[k])} is not sha256:<64 hex>`, name);
    }
    if (e.chunkType !== undefined && e.chunkType !== '' && e.chunkType !== 'zeros') bad(`entry ${i} chunkType ${JSON.stringify(e.chunkType)} (known: "", "zeros")`, name);
    if (e.xattrs !== undefined && (!e.xattrs || typeof e.xattrs !== 'object' || Object.values(e.xattrs).some((v) => typeof v !== 'string'))) bad(`entry ${i} xattrs is not a map of strings`, name);
    if (dataEnd !== undefined) {
      const off = e.offset as number | undefined;
      const end = e.endOffset as number | undefined;
      if ((off !== undefined && off >= dataEnd) || (end !== undefined && end > dataEnd)) {
        throw new LayerlabError('BAD_LAZY_FORMAT', `zstd:chunked manifest entry ${i} has its payload at ${off}..${end ?? '?'}, not inside the data frames (0..${dataEnd})`,
          { ...ctx, entry: name, offset: off ?? end, offsetSpace: 'compressed' });
      }
      if (off !== undefined && end !== undefined && end <= off && (e.size as number | undefined)) {
        throw new LayerlabError('BAD_LAZY_FORMAT', `zstd:chunked manifest entry ${i} ends (endOffset ${end}) before it starts (offset ${off})`,
          { ...ctx, entry: name, offset: off, offsetSpace: 'compressed' });
      }
    }
    return e as unknown as ManifestEntry;
  });
  return { version: 1, entries, ...(m.tarSplitDigest ? { tarSplitDigest: m.tarSplitDigest as string } : {}) };
}
