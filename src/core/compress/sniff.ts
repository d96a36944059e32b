/** The layer compressions layerlab reads. `none` means "not gzip or zstd", usually a plain tar. */
export type Compression = 'gzip' | 'zstd' | 'none';

/**
 * Detects the compression from the first bytes of a blob (4 are enough).
 *
 * - gzip: ID1 ID2 = 1f 8b (RFC 1952 §2.3.1).
 * - zstd: frame magic 0xFD2FB528 little-endian = 28 b5 2f fd (RFC 8878 §3.1.1), or a skippable
 *   frame 0x184D2A50..0x184D2A5F (RFC 8878 §3.1.2) = 5? 2a 4d 18: a stream may start with one
 *   (zstd:chunked writers may put metadata first), and nothing but zstd uses that magic.
 */
export function detectCompression(head: Uint8Array): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4) {
    if (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return 'zstd';
    if ((head[0] & 0xf0) === 0x50 && head[1] === 0x2a && head[2] === 0x4d && head[3] === 0x18) return 'zstd';
  }
  return 'none';
}
