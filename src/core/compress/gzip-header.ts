import { LayerlabError, type ErrorContext } from '../errors.ts';

/** RFC 1952 §2.3.1 FLG bits. */
const FHCRC = 0x02;
const FEXTRA = 0x04;
const FNAME = 0x08;
const FCOMMENT = 0x10;
const FRESERVED = 0xe0;

/** Longer headers (a file name of a megabyte) are not something a layer writer produces. */
export const MAX_GZIP_HEADER = 1 << 20;

/**
 * Length of the gzip member header at the start of `b` (RFC 1952 §2.3), or -1 when `b` ends
 * before the header does. Throws BAD_COMPRESSION for a header a conforming decompressor must
 * reject: wrong magic, a method other than deflate (CM 8), reserved flag bits set (§2.3.1.2:
 * "must give an error indication if any reserved bit is non-zero").
 *
 * The optional header CRC16 (FHCRC) is skipped, not checked: no layer writer sets it, and the
 * member's CRC32 over the data is checked anyway.
 */
export function gzipHeaderLength(b: Uint8Array, ctx: ErrorContext): number {
  if (b.length >= 1 && b[0] !== 0x1f) throw notGzip(ctx);
  if (b.length >= 2 && b[1] !== 0x8b) throw notGzip(ctx);
  if (b.length >= 3 && b[2] !== 8) {
    throw new LayerlabError('BAD_COMPRESSION', `gzip member uses compression method ${b[2]}; only deflate (8) exists`, ctx);
  }
  if (b.length < 10) return -1;
  const flg = b[3];
  if (flg & FRESERVED) throw new LayerlabError('BAD_COMPRESSION', `gzip member header has reserved flag bits set (FLG 0x${flg.toString(16)})`, ctx);
  let p = 10;
  if (flg & FEXTRA) {
    if (b.length < p + 2) return -1;
    p += 2 + (b[p] | (b[p + 1] << 8));
  }
  for (const bit of [FNAME, FCOMMENT]) {
    if (!(flg & bit)) continue;
    const nul = b.indexOf(0, p);
    if (nul < 0) {
      if (b.length > MAX_GZIP_HEADER) throw new LayerlabError('BAD_COMPRESSION', 'gzip member header is longer than 1 MiB', ctx);
      return -1;
    }
    p = nul + 1;
  }
  if (flg & FHCRC) p += 2;
  return p <= b.length ? p : -1;
}

function notGzip(ctx: ErrorContext): LayerlabError {
  return new LayerlabError('BAD_COMPRESSION', 'not a gzip member (bad magic bytes)', ctx);
}
