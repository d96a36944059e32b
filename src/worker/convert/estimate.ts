import type { ImageReport, LayerReport } from '../../core/analysis/report.ts';
import type { ConvertSettings } from '../../core/convert/writers.ts';
import type { ConversionEstimate, LayerEstimate } from '../protocol.ts';

/**
 * Output size per layer, guessed from what the analysis already knows (stored and uncompressed
 * sizes, the stored compression): nothing is read. Ratios from ../shared/tools/estargz-ref/BENCH.md
 * (eStargz ≈ 1.11 × gzip at the same level: one gzip member per file and chunk) and the usual
 * zstd-3 vs gzip-6 gap (≈ 0.9), lz4 ≈ 1.25 × gzip-6. An estimate, and labelled so in the UI.
 */
export function estimateConversion(report: Pick<ImageReport, 'layers'>, s: ConvertSettings): ConversionEstimate {
  const ratio = typicalGzipRatio(report.layers);
  const layers = report.layers.map((l): LayerEstimate => estimateLayer(l, s, ratio));
  return { target: s.target, layers, total: layers.reduce((n, l) => n + l.estimate, 0) };
}

/** Stored gzip bytes per uncompressed byte over the image's plain gzip layers (else 0.38, a typical root fs). */
function typicalGzipRatio(layers: LayerReport[]): number {
  let z = 0;
  let u = 0;
  for (const l of layers) if (l.format === 'gzip' && !l.estargz && !l.error && l.uncompressedSize > 0) { z += l.size; u += l.uncompressedSize; }
  return u > 64 << 10 ? Math.min(1.02, z / u) : 0.38;
}

function estimateLayer(l: LayerReport, s: ConvertSettings, ratio: number): LayerEstimate {
  const u = l.uncompressedSize;
  const base = { index: l.index, from: l.size };
  // gzip at level 6 of this layer's tar, from what it is stored as now.
  let gzip6: number;
  let from: string;
  if (l.estargz) { gzip6 = l.size / 1.11; from = 'eStargz ÷ 1.11'; }
  else if (l.format === 'gzip') { gzip6 = l.size; from = 'stored gzip size'; }
  else if (l.format === 'zstd') { gzip6 = l.size / 0.9; from = 'stored zstd ÷ 0.9'; }
  else { gzip6 = u * ratio; from = `uncompressed × ${ratio.toFixed(2)}`; }
  gzip6 = Math.min(gzip6, u * 1.001 + 64);
  const gzipAt = (level: number) => gzip6 * (level <= 1 ? 1.15 : level <= 3 ? 1.06 : level >= 9 ? 0.995 : 1) + (level === 0 ? u - gzip6 : 0);
  const zstdAt = (level: number) => gzip6 * 0.9 * (level <= 1 ? 1.05 : level >= 19 ? 0.88 : level >= 10 ? 0.94 : 1);
  switch (s.target) {
    case 'gzip': {
      if (l.format === 'gzip' && !l.estargz) return { ...base, estimate: l.size, kept: true, basis: 'already gzip: copied as is' };
      return { ...base, estimate: gzipAt(s.level ?? 6), kept: false, basis: from };
    }
    case 'zstd': {
      if (l.format === 'zstd') return { ...base, estimate: l.size, kept: true, basis: 'already zstd: copied as is' };
      return { ...base, estimate: zstdAt(s.level ?? 3), kept: false, basis: `0.9 × gzip (${from})` };
    }
    case 'uncompressed': {
      if (l.format === 'none') return { ...base, estimate: l.size, kept: true, basis: 'already uncompressed: copied as is' };
      return { ...base, estimate: u, kept: false, basis: 'the diffID stream size' };
    }
    case 'estargz': {
      if (l.estargz) return { ...base, estimate: l.size, kept: true, basis: 'already eStargz' };
      const level = s.level ?? 9;
      const chunky = s.chunkSize && s.chunkSize < 1 << 20 ? 1 + Math.min(0.15, (64 << 10) / s.chunkSize * 0.01) : 1;
      return { ...base, estimate: gzipAt(level) * 1.11 * chunky + tocGuess(l), kept: false, basis: `1.11 × gzip at level ${level} + TOC (${from})` };
    }
    case 'nydus':
      // lz4 (its default fast mode) stores about a quarter more than gzip -6 on root filesystems
      if (s.compressor === 'none') return { ...base, estimate: u + tocGuess(l), kept: false, basis: 'uncompressed chunks + metadata' };
      if (s.compressor === 'lz4_block') return { ...base, estimate: Math.min(u, gzip6 * 1.25) + tocGuess(l), kept: false, basis: `≈ 1.25 × gzip (${from}) + metadata` };
      return { ...base, estimate: zstdAt(3) + tocGuess(l), kept: false, basis: `≈ zstd (${from}) + metadata` };
  }
}

/** A TOC costs a few hundred bytes per entry before its own gzip (≈ 4×). */
function tocGuess(l: LayerReport): number {
  const n = Object.values(l.entries).reduce((s, k) => s + k, 0);
  return n * 60 + 200;
}
