import type { ImageReport } from '../core/analysis/report.ts';

/**
 * `inspect --json`: exactly the keys of ../shared/tools/corpus/README.md "Output", in that order,
 * so the output equals the corpus' expect.json after JSON parsing. Documented in docs/cli-json.md;
 * richer data is in `inspect --report`.
 */
export function contractJson(r: ImageReport) {
  return {
    layers: r.layers.map((l) => ({
      digest: l.digest, mediaType: l.mediaType, size: l.size, diffID: l.diffID, format: l.format,
      entries: { ...l.entries }, fileBytes: l.fileBytes, whiteouts: l.whiteouts, opaqueDirs: l.opaqueDirs, wastedBytes: l.wastedBytes,
    })),
    merged: { ...r.merged },
    platform: r.platform,
  };
}
