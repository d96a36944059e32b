import type { ImageConfig } from '../image/types.ts';
import type { ConfigSummary, HistoryRow } from './report.ts';

export function summarizeConfig(cfg: ImageConfig): ConfigSummary {
  const c = cfg.config ?? {};
  return {
    entrypoint: c.Entrypoint ?? null,
    cmd: c.Cmd ?? null,
    env: c.Env ?? [],
    user: c.User ?? '',
    workdir: c.WorkingDir ?? '',
    ports: Object.keys(c.ExposedPorts ?? {}),
    labels: c.Labels ?? {},
    volumes: Object.keys(c.Volumes ?? {}),
    created: cfg.created,
    author: cfg.author,
  };
}

/**
 * History rows with each non-empty entry mapped to its layer, in order (config.md: `history`
 * has one entry per layer plus entries with `empty_layer: true` that made none). Returns
 * `consistent: false` when the non-empty count differs from the layer count; the mapping is
 * then left out rather than guessed.
 */
export function mapHistory(cfg: ImageConfig | undefined, layerCount: number): { rows: HistoryRow[]; consistent: boolean } {
  const hist = Array.isArray(cfg?.history) ? cfg!.history! : [];
  const nonEmpty = hist.filter((h) => !h.empty_layer).length;
  const consistent = hist.length === 0 || nonEmpty === layerCount;
  let next = 0;
  const rows = hist.map((h): HistoryRow => {
    const row: HistoryRow = { created: h.created, createdBy: h.created_by, comment: h.comment, emptyLayer: !!h.empty_layer };
    if (!h.empty_layer) {
      if (consistent) row.layer = next;
      next++;
    }
    return row;
  });
  return { rows, consistent };
}
