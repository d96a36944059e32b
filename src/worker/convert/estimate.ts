import type { ImageReport, LayerReport } from '../../core/analysis/report.ts';
import type { ConvertSettings, LayerFacts } from '../../core/formats/layer-format.ts';
import { formatById, validateSettings } from '../../core/formats/registry.ts';
import type { ConversionEstimate, LayerEstimate } from '../protocol.ts';

/**
 * Output size per layer, guessed from what the analysis already knows (stored and uncompressed
 * sizes, what each layer is): nothing is read. Each target's `estimate` turns gzip -6 of the
 * layer's tar into its own size (formats/size-estimate.ts); gzip -6 comes from what the layer is
 * stored as (its format's `storedVsGzip6`), else from the tar's size and the image's typical
 * ratio. An estimate, and labelled so in the UI.
 */
export function estimateConversion(report: Pick<ImageReport, 'layers'>, s: ConvertSettings): ConversionEstimate {
  const { format: target, options } = validateSettings(s);
  const ratio = typicalGzipRatio(report.layers);
  const layers = report.layers.map((l): LayerEstimate => {
    const facts = factsOf(l);
    const base = { index: l.index, from: l.size };
    if (facts.format === target.id && target.target!.keepsOwnLayers !== false) {
      return { ...base, estimate: l.size, kept: true, basis: target.lazy ? `already ${target.label}` : `already ${target.id}: copied as is` };
    }
    const e = target.target!.estimate(facts, options, gzip6Of(l, facts, ratio));
    return { ...base, estimate: e.estimate, kept: false, basis: e.basis };
  });
  return { target: s.target, layers, total: layers.reduce((n, l) => n + l.estimate, 0) };
}

/** The layer's detected format: its lazy format, else the plain format of its codec. */
function factsOf(l: LayerReport): LayerFacts {
  const plain = l.format === 'none' ? 'uncompressed' : l.format;
  return { size: l.size, uncompressedSize: l.uncompressedSize, compression: l.format, format: l.lazyFormat ?? plain,
    entries: Object.values(l.entries).reduce((s, k) => s + k, 0) };
}

/** gzip at level 6 of this layer's tar, from what it is stored as now. */
function gzip6Of(l: LayerReport, f: LayerFacts, ratio: number): { bytes: number; basis: string } {
  const u = l.uncompressedSize;
  const stored = formatById(f.format)?.storedVsGzip6;
  const label = formatById(f.format)?.label ?? f.format;
  const g = stored === undefined ? { bytes: u * ratio, basis: `uncompressed × ${ratio.toFixed(2)}` }
    : stored === 1 ? { bytes: l.size, basis: `stored ${label} size` }
    : { bytes: l.size / stored, basis: `stored ${label} ÷ ${stored}` };
  return { bytes: Math.min(g.bytes, u * 1.001 + 64), basis: g.basis };
}

/** Stored gzip bytes per uncompressed byte over the image's plain gzip layers (else 0.38, a typical root fs). */
function typicalGzipRatio(layers: LayerReport[]): number {
  let z = 0;
  let u = 0;
  for (const l of layers) if (l.format === 'gzip' && !l.lazyFormat && !l.error && l.uncompressedSize > 0) { z += l.size; u += l.uncompressedSize; }
  return u > 64 << 10 ? Math.min(1.02, z / u) : 0.38;
}
