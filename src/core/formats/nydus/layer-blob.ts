import type { ByteSource } from '../../bytes/byte-source.ts';
import { createSha256, sha256Hex } from '../../digest/sha256.ts';
import { LayerlabError, checkAborted, type ErrorContext } from '../../errors.ts';
import { parseNumericField } from '../../tar/header-fields.ts';
import { BLOCK, F_CHKSUM, F_SIZE, F_TYPEFLAG, L_CHKSUM, L_SIZE, headerChecksum } from '../../tar/ustar-layout.ts';
import { decompressUnit } from './codec.ts';
import { LeView } from './le-view.ts';
import { CI_HEADER, MAX_TOC_SIZE, RECORD, TAR_HEADER_SIZE, TOC_ENTRY, TOC_FLAG, type Compressor, type TarRecord, type TocEntry } from './types.ts';

/**
 * A per-layer nydus tar stream (spec §2): records whose 512-byte tar header comes *after* the
 * data, no padding, no end blocks — so it is read from the tail. Entries are located through the
 * TOC (method A, §2.6) when there is one, else by walking the headers backwards (method B).
 */
export interface NydusLayerBlob {
  source: ByteSource;
  /** Every record, found by the tail walk (method B), in stream order. */
  records: TarRecord[];
  /** The TOC (`rafs.blob.toc`) when the stream has one. */
  toc?: { offset: number; size: number; entries: TocEntry[] };
  /** Quirks seen (e.g. the pre-2023 `image.blob` offset), not errors. */
  notes: string[];
}

/** Where an entry's bytes are and how they are stored. */
export interface LocatedEntry {
  name: string;
  offset: number;
  size: number;
  compressor: Compressor;
  uncompressedSize: number;
  /** SHA-256 hex of the uncompressed data, when a TOC says it. */
  digest?: string;
  via: 'toc' | 'tar-header';
}

const TOC_COMPRESSORS: [number, Compressor][] = [[TOC_FLAG.none, 'none'], [TOC_FLAG.zstd, 'zstd'], [TOC_FLAG.lz4Block, 'lz4_block']];

/** True when the last 512 bytes are a tar header of a nydus record (cheap sniff, one read). */
export async function looksLikeLayerBlob(src: ByteSource, signal?: AbortSignal): Promise<boolean> {
  if (src.size < TAR_HEADER_SIZE) return false;
  const tail = await src.read(src.size - TAR_HEADER_SIZE, TAR_HEADER_SIZE, signal);
  try {
    const h = parseRecordHeader(tail, src.size - TAR_HEADER_SIZE, { file: src.name });
    return (Object.values(RECORD) as string[]).includes(h.name) && h.size <= src.size - TAR_HEADER_SIZE;
  } catch {
    return false;
  }
}

/**
 * Walks the stream from its tail and reads its TOC. Throws BAD_LAZY_FORMAT (with the offset) when
 * a header is not a valid tar header, a size points before the start, or the TOC is malformed.
 */
export async function openNydusLayerBlob(src: ByteSource, o: { signal?: AbortSignal; context?: ErrorContext } = {}): Promise<NydusLayerBlob> {
  const ctx: ErrorContext = { file: src.name, ...o.context };
  const records = await walkRecords(src, ctx, o.signal);
  const notes: string[] = [];
  const tocRec = records.at(-1)?.name === RECORD.toc ? records.at(-1) : undefined;
  let toc: NydusLayerBlob['toc'];
  if (tocRec) {
    if (tocRec.size > MAX_TOC_SIZE) throw new LayerlabError('BAD_LAZY_FORMAT', `nydus TOC is ${tocRec.size} bytes, more than ${MAX_TOC_SIZE}`, { ...ctx, offset: tocRec.headerOffset });
    const bytes = await src.read(tocRec.offset, tocRec.size, o.signal);
    toc = { offset: tocRec.offset, size: tocRec.size, entries: parseToc(bytes, tocRec.offset, src.size, ctx) };
    const blob = toc.entries.find((e) => e.name === RECORD.blob);
    if (blob && blob.compressedOffset !== 0) {
      // §2.5: builds before 2023-02-21 wrote the blob's size here; the data starts at 0.
      notes.push(`TOC image.blob compressed_offset is ${blob.compressedOffset}, not 0 (nydus ≤ 2.2 bug): read from 0`);
    }
  }
  return { source: src, records, toc, notes };
}

/**
 * Finds an entry: through the TOC first, then by the tail walk, as the converter's `seekFile`
 * does (§2.6). `blob.meta.header` only exists in the TOC or as the last 4096 bytes of the
 * `blob.meta` record.
 */
export function locateEntry(blob: NydusLayerBlob, name: string): LocatedEntry | undefined {
  const t = blob.toc?.entries.find((e) => e.name === name);
  if (t) {
    const offset = name === RECORD.blob ? 0 : t.compressedOffset;
    return { name, offset, size: t.compressedSize, compressor: t.compressor, uncompressedSize: t.uncompressedSize, digest: t.digest, via: 'toc' };
  }
  if (name === RECORD.metaHeader) {
    const m = blob.records.find((r) => r.name === RECORD.meta);
    if (!m || m.size < CI_HEADER.size) return undefined;
    return { name, offset: m.offset + m.size - CI_HEADER.size, size: CI_HEADER.size, compressor: 'none', uncompressedSize: CI_HEADER.size, via: 'tar-header' };
  }
  const r = blob.records.find((x) => x.name === name);
  if (!r) return undefined;
  // Without a TOC nothing says how image.boot is stored: old builders wrote it raw (§2.3), and a
  // zstd frame announces itself by its magic, which `readEntry` checks.
  return { name, offset: r.offset, size: r.size, compressor: 'none', uncompressedSize: r.size, via: 'tar-header' };
}

/** An entry's bytes, decompressed, length- and digest-checked (the `image.blob` digest is checked by `verifyToc`). */
export async function readEntry(blob: NydusLayerBlob, name: string, signal?: AbortSignal): Promise<Uint8Array> {
  const e = locateEntry(blob, name);
  const ctx: ErrorContext = { file: blob.source.name, entry: name };
  if (!e) throw new LayerlabError('NOT_FOUND', `nydus layer has no ${name} record`, ctx);
  const raw = await blob.source.read(e.offset, e.size, signal);
  if (raw.length !== e.size) throw new LayerlabError('TRUNCATED', `${name}: ${e.size} bytes at ${e.offset} run past the end`, { ...ctx, offset: e.offset });
  let compressor = e.compressor;
  let size: number | undefined = e.uncompressedSize;
  if (e.via === 'tar-header' && name === RECORD.boot && isZstdFrame(raw)) { compressor = 'zstd'; size = undefined; }
  const data = await decompressUnit(raw, compressor, size, { ...ctx, offset: e.offset }, signal);
  if (e.digest !== undefined && name !== RECORD.blob) {
    const got = await sha256Hex(data);
    if (got !== e.digest) throw new LayerlabError('DIGEST_MISMATCH', `${name}: sha256 ${got} does not match the TOC's ${e.digest}`, { ...ctx, offset: e.offset });
  }
  return data;
}

/** Result of checking every TOC entry against the data it names (§2.5 quirks table). */
export interface TocCheck {
  name: string;
  offset: number;
  size: number;
  result: 'ok' | 'mismatch';
  detail?: string;
}

/**
 * Checks every TOC entry: in bounds, decompresses to its size, SHA-256 as stated. `image.blob`'s
 * digest covers the chunk data *plus* its 512-byte tar header (§2.5), hashed streaming.
 */
export async function verifyToc(blob: NydusLayerBlob, signal?: AbortSignal): Promise<TocCheck[]> {
  const out: TocCheck[] = [];
  for (const t of blob.toc?.entries ?? []) {
    const e = locateEntry(blob, t.name)!;
    try {
      if (t.name === RECORD.blob) {
        const h = await createSha256();
        for await (const c of blob.source.stream({ start: 0, end: e.size + TAR_HEADER_SIZE, signal })) h.update(c);
        const got = h.digest().slice('sha256:'.length);
        out.push(got === t.digest ? { name: t.name, offset: e.offset, size: e.size, result: 'ok' } : { name: t.name, offset: e.offset, size: e.size, result: 'mismatch', detail: `sha256 of data + header ${got}, TOC says ${t.digest}` });
      } else {
        await readEntry(blob, t.name, signal);
        out.push({ name: t.name, offset: e.offset, size: e.size, result: 'ok' });
      }
    } catch (x) {
      if (!(x instanceof LayerlabError) || x.code === 'ABORTED') throw x;
      out.push({ name: t.name, offset: e.offset, size: e.size, result: 'mismatch', detail: x.describe() });
    }
  }
  return out;
}

/** Method B (§2.6): header at len−512, its data right before it, then the previous header. */
async function walkRecords(src: ByteSource, ctx: ErrorContext, signal?: AbortSignal): Promise<TarRecord[]> {
  const records: TarRecord[] = [];
  let cur = src.size - TAR_HEADER_SIZE;
  if (cur < 0) throw new LayerlabError('BAD_LAZY_FORMAT', `${src.size} bytes is too short for a nydus layer (needs a 512-byte tar header at its end)`, { ...ctx, offset: 0 });
  // Each step moves back by ≥ 512 bytes, so this ends.
  while (cur >= 0) {
    checkAborted(signal, { ...ctx, offset: cur });
    const hdr = parseRecordHeader(await src.read(cur, TAR_HEADER_SIZE, signal), cur, ctx);
    if (hdr.size > cur) {
      throw new LayerlabError('BAD_LAZY_FORMAT', `nydus record "${hdr.name}" claims ${hdr.size} bytes but its header is at ${cur}`, { ...ctx, entry: hdr.name, offset: cur });
    }
    records.push({ name: hdr.name, offset: cur - hdr.size, size: hdr.size, headerOffset: cur });
    cur = cur - hdr.size - TAR_HEADER_SIZE;
  }
  if (cur !== -TAR_HEADER_SIZE) {
    const first = records.at(-1)!;
    throw new LayerlabError('BAD_LAZY_FORMAT', `nydus layer has ${first.offset} stray bytes before its first record "${first.name}"`, { ...ctx, offset: 0 });
  }
  return records.reverse();
}

/** One GNU header as nydus writes it (§2.4): checksum valid, typeflag '0', name and size. */
function parseRecordHeader(b: Uint8Array, at: number, ctx: ErrorContext): { name: string; size: number } {
  const bad = (why: string) => new LayerlabError('BAD_LAZY_FORMAT', `no nydus record header at ${at}: ${why}`, { ...ctx, offset: at });
  if (b.length < BLOCK) throw bad('short read');
  const stored = parseNumericField(b, F_CHKSUM, L_CHKSUM);
  const sum = headerChecksum(b, 0);
  if (stored !== sum.unsigned && stored !== sum.signed) throw bad('tar header checksum does not match');
  if (b[F_TYPEFLAG] !== 0x30 && b[F_TYPEFLAG] !== 0) throw bad(`typeflag ${JSON.stringify(String.fromCharCode(b[F_TYPEFLAG]))} is not a regular file`);
  const size = parseNumericField(b, F_SIZE, L_SIZE);
  if (!Number.isSafeInteger(size) || size < 0) throw bad('bad size field');
  return { name: new LeView(b).text(0, 100), size };
}

/** The TOC: a bare array of 128-byte entries (§2.5). */
function parseToc(bytes: Uint8Array, base: number, streamSize: number, ctx: ErrorContext): TocEntry[] {
  const v = new LeView(bytes, base, { ...ctx, entry: RECORD.toc });
  if (bytes.length % TOC_ENTRY.size !== 0) throw v.error('BAD_LAZY_FORMAT', `nydus TOC size ${bytes.length} is not a multiple of ${TOC_ENTRY.size}`, 0);
  const entries: TocEntry[] = [];
  for (let at = 0; at < bytes.length; at += TOC_ENTRY.size) {
    const flags = v.u32(at + TOC_ENTRY.flagsAt) & TOC_FLAG.mask;
    const compressor = TOC_COMPRESSORS.find(([f]) => f === flags)?.[1];
    const name = v.text(at + TOC_ENTRY.nameAt, TOC_ENTRY.nameLen);
    if (!compressor) throw v.error('BAD_LAZY_FORMAT', `nydus TOC entry "${name}" has compression flags 0x${flags.toString(16)} (want exactly one of 0x1, 0x2, 0x4)`, at);
    const e: TocEntry = {
      name,
      compressor,
      digest: v.hex(at + TOC_ENTRY.digestAt, 32),
      compressedOffset: v.u64(at + TOC_ENTRY.offsetAt, 'compressed_offset'),
      compressedSize: v.u64(at + TOC_ENTRY.compressedSizeAt, 'compressed_size'),
      uncompressedSize: v.u64(at + TOC_ENTRY.uncompressedSizeAt, 'uncompressed_size'),
    };
    const start = name === RECORD.blob ? 0 : e.compressedOffset;
    if (start + e.compressedSize > streamSize) {
      throw v.error('BAD_LAZY_FORMAT', `nydus TOC entry "${name}" [${start}, ${start + e.compressedSize}) is beyond the ${streamSize}-byte layer`, at);
    }
    if (compressor === 'none' && e.compressedSize !== e.uncompressedSize && name !== RECORD.blob) {
      throw v.error('BAD_LAZY_FORMAT', `nydus TOC entry "${name}" is uncompressed but its sizes differ (${e.compressedSize} vs ${e.uncompressedSize})`, at);
    }
    entries.push(e);
  }
  return entries;
}

function isZstdFrame(b: Uint8Array): boolean {
  return b.length >= 4 && b[0] === 0x28 && b[1] === 0xb5 && b[2] === 0x2f && b[3] === 0xfd;
}
