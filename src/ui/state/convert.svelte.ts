import type { ConvertSettings } from '../../core/formats/layer-format.ts';
import type { ConvertOutcome, ConvertProgress, ConvertRequest, ImageRef } from '../../worker/protocol.ts';
import { toEngineError, type EngineError } from '../engine-client.ts';
import { engine } from './engine.ts';
import { JobTracker } from './job.svelte.ts';

/** One layer of one platform during a conversion. */
export interface ConvertRow {
  key: string;
  platform?: string;
  layer: number;
  state: 'waiting' | 'running' | 'done';
  done: number;
  total: number;
  /** Job time (ms) when the layer started and ended. */
  startMs?: number;
  endMs?: number;
}

/** Bytes per second of a row: over its whole time once done, since its start while running. */
export function rowRate(r: ConvertRow, nowMs: number): number {
  if (r.startMs === undefined) return 0;
  const ms = (r.endMs ?? nowMs) - r.startMs;
  return ms > 150 ? (r.done / ms) * 1000 : 0;
}

/** "4 s", "2 min 05 s", "" when unknown. */
export function formatEta(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '';
  if (seconds < 1) return '< 1 s';
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const m = Math.floor(seconds / 60);
  const s = Math.round(seconds % 60);
  return m >= 60 ? `${Math.floor(m / 60)} h ${m % 60} min` : `${m} min ${String(s).padStart(2, '0')} s`;
}

/**
 * The Convert dialog's state: open or not, the running conversion (one at a time) with its
 * per-layer rows, and its outcome, error, and the download URL of the archive.
 */
class ConvertSession {
  open = $state(false);
  job = $state.raw<JobTracker | null>(null);
  rows = $state.raw<ConvertRow[]>([]);
  /** Platform being converted, when several are. */
  platform = $state<{ name?: string; index: number; count: number } | null>(null);
  outcome = $state.raw<ConvertOutcome | null>(null);
  error = $state.raw<EngineError | null>(null);
  cancelledNote = $state<string | null>(null);
  downloadUrl = $state<string | null>(null);
  /** Settings of the last conversion, so "New conversion" starts from them. */
  last = $state.raw<ConvertSettings | null>(null);

  show(): void {
    this.open = true;
  }

  close(): void {
    if (this.job) return;
    this.open = false;
  }

  /** Back to the settings (a result or an error is dropped). */
  reset(): void {
    if (this.job) return;
    this.outcome = null;
    this.error = null;
    this.cancelledNote = null;
    this.rows = [];
    this.platform = null;
    this.#revoke();
  }

  /** `label`: what people call the target ("zstd:chunked"), for the progress title. */
  async start(image: ImageRef, request: ConvertRequest, layers: { index: number; size: number }[], label = request.settings.target): Promise<void> {
    if (this.job) return;
    this.reset();
    this.last = request.settings;
    const job = new JobTracker(`Converting to ${label}`);
    this.job = job;
    this.rows = request.allPlatforms ? [] : layers.map((l) => ({ key: `0:${l.index}`, layer: l.index, state: 'waiting', done: 0, total: l.size }));
    try {
      const out = await engine.convert(job.signal, image, request, (p) => this.#update(job, p));
      if (this.job !== job) return;
      this.rows = this.rows.map((r) => ({ ...r, state: 'done', done: r.total, endMs: r.endMs ?? job.progress?.elapsedMs }));
      this.outcome = out;
      if (out.file) this.downloadUrl = URL.createObjectURL(out.file);
    } catch (e) {
      const err = toEngineError(e);
      if (err.cancelled) this.cancelledNote = 'Conversion cancelled. Nothing was kept.';
      else this.error = err;
    } finally {
      if (this.job === job) this.job = null;
      // If the cancel had to restart the worker, its successor sweeps what the old one left in
      // its spool (OpfsSpool.sweep runs when a worker starts): start it now, not at the next use.
      if (job.cancelled) void engine.exportsList().catch(() => {});
    }
  }

  cancel(): void {
    this.job?.cancel();
  }

  #update(job: JobTracker, p: ConvertProgress): void {
    if (job.cancelled) return;
    job.update(p);
    const pi = p.platformIndex ?? 0;
    if (p.platformCount && p.platformCount > 1) this.platform = { name: p.platform, index: pi, count: p.platformCount };
    if (p.phase === 'layers' && p.layer !== undefined) {
      const key = `${pi}:${p.layer}`;
      let found = false;
      const rows = this.rows.map((r) => {
        if (r.key === key) {
          found = true;
          return { ...r, platform: p.platform, state: 'running' as const, done: p.layerDone, total: p.layerTotal || r.total, startMs: r.startMs ?? p.elapsedMs };
        }
        // A row still running when another starts is finished.
        if (r.state === 'running') return { ...r, state: 'done' as const, done: r.total, endMs: p.elapsedMs };
        return r;
      });
      if (!found) rows.push({ key, platform: p.platform, layer: p.layer, state: 'running', done: p.layerDone, total: p.layerTotal, startMs: p.elapsedMs });
      this.rows = rows;
    } else if (p.phase === 'done') {
      this.rows = this.rows.map((r) => (r.key.startsWith(`${pi}:`) && r.state !== 'done' ? { ...r, state: 'done', done: r.total, endMs: p.elapsedMs } : r));
    }
  }

  #revoke(): void {
    if (this.downloadUrl) URL.revokeObjectURL(this.downloadUrl);
    this.downloadUrl = null;
  }
}

export const converter = new ConvertSession();
