import type { ByteSource } from '../../bytes/byte-source.ts';
import { LayerlabError, type ErrorContext } from '../../errors.ts';
import { decompressUnit } from './codec.ts';
import { LeView } from './le-view.ts';
import { BLOB_FEATURE, CI_HEADER, CI_V1_SIZE, CI_V2_FLAG, CI_V2_SIZE, COMPRESSOR_CODES, EROFS_BLOCK, type BlobInfo, type CiEntry, type CiHeader } from './types.ts';

/**
 * The compression-info table of a blob ("blob.meta", spec §3.7): its 4096-byte header and the
 * CI array, either inside the blob stream (at `ci_offset`, header right after the array) or in
 * the cache-file form `image/<hex>.blob.meta` of a bootstrap layer (§3.7.5).
 */

/** The 4096-byte CI header (§3.7.2); `base` = its offset in the file, for errors. */
export function parseCiHeader(bytes: Uint8Array, base: number, context: ErrorContext): CiHeader {
  const v = new LeView(bytes, base, context);
  v.need(0, CI_HEADER.size, 'blob.meta header');
  if (v.u32(0) !== CI_HEADER.magic || v.u32(CI_HEADER.magic2At) !== CI_HEADER.magic) {
    throw v.error('BAD_LAZY_FORMAT', `blob.meta header magic is 0x${v.u32(0).toString(16)}/0x${v.u32(CI_HEADER.magic2At).toString(16)}, not 0xb10bb10b`, 0);
  }
  return {
    features: v.u32(4),
    compressor: compressorAt(v, 8, 'ci_compressor'),
    entries: v.u32(12),
    offset: v.u64(16, 'ci_offset'),
    compressedSize: v.u64(24, 'ci_compressed_size'),
    uncompressedSize: v.u64(32, 'ci_uncompressed_size'),
    zranOffset: v.u64(40, 'ci_zran_offset'),
    zranSize: v.u64(48, 'ci_zran_size'),
    zranCount: v.u32(56),
  };
}

/** A compressor code (§3.3) read at `at`; unknown codes are an error naming that offset. */
export function compressorAt(v: LeView, at: number, what: string) {
  const code = v.u32(at);
  const c = COMPRESSOR_CODES[code];
  if (!c) throw v.error('BAD_LAZY_FORMAT', `unknown ${what} code ${code} (0 none, 1 lz4_block, 2 gzip, 3 zstd)`, at);
  return c;
}

/** CI entries (§3.7.3) from the uncompressed CI data; v2 when the blob has CHUNK_INFO_V2. */
export function parseCiEntries(data: Uint8Array, count: number, features: number, context: ErrorContext): CiEntry[] {
  const v2 = (features & BLOB_FEATURE.chunkInfoV2) !== 0;
  const size = v2 ? CI_V2_SIZE : CI_V1_SIZE;
  const v = new LeView(data, 0, { ...context, entry: 'blob.meta' });
  if (data.length < count * size) {
    throw v.error('TRUNCATED', `blob.meta holds ${data.length} bytes, ${count} ${v2 ? 'v2' : 'v1'} CI entries need ${count * size}`, data.length);
  }
  const out: CiEntry[] = [];
  for (let i = 0, at = 0; i < count; i++, at += size) {
    const u = v.u64big(at);
    const c = v.u64big(at + 8);
    if (v2) {
      const flags = Number(u >> 56n);
      if (flags & ~0x1f) throw v.error('BAD_LAZY_FORMAT', `CI entry ${i} has unknown flags 0x${flags.toString(16)}`, at);
      out.push({
        uncompressedOffset: Number(u & 0xffff_ffffn) * EROFS_BLOCK,
        uncompressedSize: Number((u >> 32n) & 0xff_ffffn) + 1,
        compressedOffset: Number(c & 0xff_ffff_ffffn),
        compressedSize: Number(c >> 40n),
        compressed: (flags & CI_V2_FLAG.compressed) !== 0,
        flags,
      });
    } else {
      // Sizes minus one, split 20 + 4 bits; the offset is 4K aligned (§3.7.3 V1).
      const usize = Number((u >> 44n) | ((u & 0xf00n) << 12n)) + 1;
      const csize = Number((c >> 44n) | (((c >> 40n) & 0xfn) << 20n)) + 1;
      out.push({
        uncompressedOffset: Number(u & 0x0000_0fff_ffff_f000n),
        uncompressedSize: usize,
        compressedOffset: Number(c & 0xff_ffff_ffffn),
        compressedSize: csize,
        compressed: csize !== usize,
        flags: 0,
      });
    }
  }
  return out;
}

/** A blob's CI table as read from the blob stream itself (array at `ci_offset`, header after it). */
export interface BlobMeta {
  header: CiHeader;
  entries: CiEntry[];
}

/**
 * Reads the CI array and header of `blob` from its data source (two reads). Errors: TRUNCATED
 * when the table is beyond the source, BAD_LAZY_FORMAT when the header disagrees with the blob
 * table (§3.7.1: offset, sizes and compressor must agree).
 */
export async function readBlobMeta(src: ByteSource, blob: BlobInfo, signal?: AbortSignal): Promise<BlobMeta> {
  const ctx: ErrorContext = { file: src.name, entry: 'blob.meta' };
  const end = blob.ciOffset + blob.ciCompressedSize;
  if (blob.ciCompressedSize === 0) throw new LayerlabError('NOT_FOUND', `blob ${blob.index} has no blob.meta (ci_compressed_size 0)`, ctx);
  if (end + CI_HEADER.size > src.size) {
    throw new LayerlabError('TRUNCATED', `blob.meta [${blob.ciOffset}, ${end + CI_HEADER.size}) is beyond the ${src.size}-byte blob`, { ...ctx, offset: Math.min(src.size, end) });
  }
  const header = parseCiHeader(await src.read(end, CI_HEADER.size, signal), end, ctx);
  const disagree = ([['ci_offset', header.offset, blob.ciOffset], ['ci_compressed_size', header.compressedSize, blob.ciCompressedSize],
    ['ci_uncompressed_size', header.uncompressedSize, blob.ciUncompressedSize], ['ci_entries', header.entries, blob.chunkCount]] as const)
    .find(([, a, b]) => a !== b);
  if (disagree) throw new LayerlabError('BAD_LAZY_FORMAT', `blob.meta header ${disagree[0]} ${disagree[1]} ≠ blob table's ${disagree[2]}`, { ...ctx, offset: end });
  const raw = await src.read(blob.ciOffset, blob.ciCompressedSize, signal);
  const data = await decompressUnit(raw, header.compressor, header.uncompressedSize, { ...ctx, offset: blob.ciOffset }, signal);
  return { header, entries: parseCiEntries(data, header.entries, header.features, { ...ctx, offset: blob.ciOffset }) };
}

/**
 * The cache-file form (§3.7.5): uncompressed CI data zero-padded to 4096, then the header.
 * A file shorter than the header says it must be is TRUNCATED with the offset where it ends.
 */
export function parseBlobMetaFile(bytes: Uint8Array, name: string): BlobMeta {
  const ctx: ErrorContext = { file: name, entry: 'blob.meta' };
  if (bytes.length < CI_HEADER.size) throw new LayerlabError('TRUNCATED', `blob.meta is ${bytes.length} bytes, shorter than its 4096-byte header`, { ...ctx, offset: bytes.length });
  const at = bytes.length - CI_HEADER.size;
  const header = parseCiHeader(bytes.subarray(at), at, ctx);
  const want = Math.ceil(header.uncompressedSize / EROFS_BLOCK) * EROFS_BLOCK + CI_HEADER.size;
  if (bytes.length !== want) {
    throw new LayerlabError('TRUNCATED', `blob.meta is ${bytes.length} bytes; its header (ci_uncompressed_size ${header.uncompressedSize}) needs ${want}`, { ...ctx, offset: bytes.length });
  }
  return { header, entries: parseCiEntries(bytes.subarray(0, header.uncompressedSize), header.entries, header.features, ctx) };
}
