/**
 * Rules of thumb for the output size of a conversion, shared by the formats' `estimate`s. All
 * start from `gzip6`, the size of gzip -6 of the layer's tar (known, or guessed from what the
 * layer is stored as). Ratios from ../shared/tools/estargz-ref/BENCH.md and the usual zstd-3 vs
 * gzip-6 gap; estimates, and labelled so in the app.
 */

/** gzip at `level` of a tar whose gzip -6 is `gzip6` bytes (`u`: the tar's size, for level 0 = stored). */
export function gzipAt(gzip6: number, u: number, level: number): number {
  return gzip6 * (level <= 1 ? 1.15 : level <= 3 ? 1.06 : level >= 9 ? 0.995 : 1) + (level === 0 ? u - gzip6 : 0);
}

/** zstd at `level` of the same tar: about 0.9 × gzip -6 at level 3. */
export function zstdAt(gzip6: number, level: number): number {
  return gzip6 * 0.9 * (level <= 1 ? 1.05 : level >= 19 ? 0.88 : level >= 10 ? 0.94 : 1);
}

/** A TOC or bootstrap costs a few hundred bytes per entry before its own compression (≈ 4×). */
export function metadataGuess(entries: number): number {
  return entries * 60 + 200;
}
