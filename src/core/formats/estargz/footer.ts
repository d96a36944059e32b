import type { ByteSource } from '../../bytes/byte-source.ts';
import { LayerlabError, toLayerlabError } from '../../errors.ts';
import { parseZstdChunkedFooter } from '../zstd-chunked/index.ts';
import { ESTARGZ_FOOTER, FOOTER_MAGIC, FOOTER_TRAILER, LEGACY_FOOTER, type Footer } from './types.ts';

/** Bytes to read from the end of a blob to find either footer. */
export const FOOTER_TAIL = ESTARGZ_FOOTER.size;

/** RFC 1952 §2.3: ID1 ID2 CM=8, FLG = FEXTRA only; MTIME, XFL and OS are not looked at. */
const GZIP_FEXTRA_HEADER = [0x1f, 0x8b, 0x08, 0x04] as const;

/**
 * Finds the footer in the last bytes of a blob of `blobSize` bytes, by the reference reader's
 * rules (spec §5.4): the 51-byte eStargz layout first, then the 47-byte legacy one.
 *
 * Returns undefined when neither layout is there: the blob is not (e)stargz — a plain tar.gz
 * ends in a deflate tail + CRC32 + ISIZE, never in a gzip header with this extra field (§11).
 * Throws BAD_LAZY_FORMAT when a footer is there but its TOC offset is not 16 lowercase hex
 * digits or does not point before the footer: that is a damaged eStargz blob, not another format.
 */
export function parseFooter(tail: Uint8Array, blobSize: number, file?: string): Footer | undefined {
  const e = ESTARGZ_FOOTER;
  if (tail.length >= e.size) {
    const f = tail.subarray(tail.length - e.size);
    if (hasGzipExtraHeader(f) && le16(f, 10) === e.xlen && ascii(f, 12, 2) === e.subfieldId &&
        le16(f, 14) === e.subfieldLen && ascii(f, e.magicAt, FOOTER_MAGIC.length) === FOOTER_MAGIC) {
      return footer('estargz', e.size, ascii(f, e.hexAt, 16), blobSize, file);
    }
  }
  const l = LEGACY_FOOTER;
  if (tail.length >= l.size) {
    const f = tail.subarray(tail.length - l.size);
    if (hasGzipExtraHeader(f) && le16(f, 10) === l.xlen && ascii(f, l.magicAt, FOOTER_MAGIC.length) === FOOTER_MAGIC) {
      return footer('stargz-legacy', l.size, ascii(f, l.hexAt, 16), blobSize, file);
    }
  }
  return undefined;
}

/**
 * Reads the tail of `src` and parses it (see parseFooter): one read of at most 51 bytes. When the
 * tail ends in the `GnUlInUx` magic, also the first 4 bytes, for the zstd variant's footer
 * (zstdFooter).
 */
export async function readFooter(src: ByteSource, signal?: AbortSignal): Promise<Footer | undefined> {
  if (src.size < LEGACY_FOOTER.size) return undefined;
  const n = Math.min(src.size, FOOTER_TAIL);
  const tail = await src.read(src.size - n, n, signal);
  const gzip = parseFooter(tail, src.size, src.name);
  if (gzip || ascii(tail, tail.length - ZSTD_FOOTER_MAGIC.length, ZSTD_FOOTER_MAGIC.length) !== ZSTD_FOOTER_MAGIC) return gzip;
  return zstdFooter(await src.read(0, 4, signal), tail, src.size, src.name);
}

/** The last 8 bytes of the zstd variant's footer (spec §10); a cheap test before reading the head. */
const ZSTD_FOOTER_MAGIC = 'GnUlInUx';

/**
 * The zstd variant's footer (spec §10): zstd:chunked's 40-byte `v1-40` footer, byte for byte
 * (zstd-chunked.md §9 shape B), parsed by that format's parser. It is only a candidate: shape A
 * (containers/storage ≤ 1.46) has the same footer, and only the TOC tells them apart (./toc.ts).
 * A footer that is there but broken is left undecided (undefined): it may be either writer's, and
 * zstd:chunked's detector reports it.
 */
export function zstdFooter(head: Uint8Array, tail: Uint8Array, blobSize: number, file?: string): Footer | undefined {
  let z;
  try {
    z = parseZstdChunkedFooter(head, tail, blobSize, file);
  } catch (e) {
    if (toLayerlabError(e).code === 'BAD_LAZY_FORMAT') return undefined;
    throw e;
  }
  if (z?.kind !== 'v1-40') return undefined;
  // The footer gives the TOC's payload; its skippable frame header is the 8 bytes before it.
  return { kind: 'estargz-zstd', compression: 'zstd', size: z.size, tocOffset: z.manifest.offset - SKIPPABLE_HEADER, toc: z.manifest };
}

/** A skippable frame's magic and LE32 length (RFC 8878 §3.1.2). */
export const SKIPPABLE_HEADER = 8;

function footer(kind: 'estargz' | 'stargz-legacy', size: number, hex: string, blobSize: number, file?: string): Footer {
  const at = blobSize - size;
  // Go's ParseInt would also take upper case and a sign; the spec's strict detector does not (§5.4).
  if (!/^[0-9a-f]{16}$/.test(hex)) {
    throw new LayerlabError('BAD_LAZY_FORMAT', `${kind} footer: the TOC offset ${JSON.stringify(hex)} is not 16 lowercase hex digits`,
      { file, offset: at, offsetSpace: 'compressed' });
  }
  const tocOffset = parseInt(hex, 16);
  if (!(tocOffset < at)) {
    throw new LayerlabError('BAD_LAZY_FORMAT', `${kind} footer: the TOC offset ${tocOffset} is not inside the blob before the footer (0..${at - 1})`,
      { file, offset: at, offsetSpace: 'compressed' });
  }
  return { kind, compression: 'gzip', size, tocOffset };
}

function hasGzipExtraHeader(f: Uint8Array): boolean {
  return GZIP_FEXTRA_HEADER.every((b, i) => f[i] === b);
}

function le16(b: Uint8Array, at: number): number {
  return b[at] | (b[at + 1] << 8);
}

function ascii(b: Uint8Array, at: number, length: number): string {
  return String.fromCharCode(...b.subarray(at, at + length));
}

/** The 51-byte eStargz footer (spec §5.1). */
export function footerBytes(tocOffset: number): Uint8Array {
  const f = new Uint8Array(ESTARGZ_FOOTER.size);
  f.set([0x1f, 0x8b, 0x08, 0x04, 0, 0, 0, 0, 0, 0xff, ESTARGZ_FOOTER.xlen, 0, 0x53, 0x47, ESTARGZ_FOOTER.subfieldLen, 0]);
  const text = tocOffset.toString(16).padStart(16, '0') + FOOTER_MAGIC;
  for (let i = 0; i < text.length; i++) f[ESTARGZ_FOOTER.hexAt + i] = text.charCodeAt(i);
  f.set(FOOTER_TRAILER, ESTARGZ_FOOTER.trailerAt);
  return f;
}
