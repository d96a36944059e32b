import type { JobProgress } from '../../worker/protocol.ts';

export interface LayerProgress {
  layer: number;
  done: number;
  total: number;
}

/** How far back the rate looks: long enough to be steady, short enough to follow changes. */
const RATE_WINDOW_MS = 2000;

/**
 * One long operation as the UI shows it: its AbortController, the latest progress, per-layer
 * figures and a transfer rate. The engine reports the current layer only; a layer is complete
 * once a later one is reported.
 */
export class JobTracker {
  readonly title: string;
  readonly controller = new AbortController();
  progress = $state.raw<JobProgress | null>(null);
  layers = $state.raw<LayerProgress[]>([]);
  /** Bytes per second over the last RATE_WINDOW_MS. */
  rate = $state(0);
  #samples: { t: number; done: number }[] = [];

  constructor(title: string) {
    this.title = title;
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get cancelled(): boolean {
    return this.controller.signal.aborted;
  }

  cancel(): void {
    this.controller.abort();
  }

  update(p: JobProgress): void {
    if (this.controller.signal.aborted) return;
    this.progress = p;
    if (p.phase === 'layers' && p.layer !== undefined) {
      const rows = this.layers.map((r) => (r.layer < p.layer! ? { ...r, done: r.total } : r));
      const row = { layer: p.layer, done: p.layerDone, total: p.layerTotal };
      const at = rows.findIndex((r) => r.layer === p.layer);
      if (at >= 0) rows[at] = row; else rows.push(row);
      this.layers = rows;
    } else if (p.phase === 'merge' || p.phase === 'done') {
      this.layers = this.layers.map((r) => ({ ...r, done: r.total }));
    }
    const s = this.#samples;
    // A new phase counts from zero again (listing an archive, then reading its layers).
    if (s.length && p.done < s[s.length - 1].done) s.length = 0;
    s.push({ t: p.elapsedMs, done: p.done });
    while (s.length > 2 && p.elapsedMs - s[0].t > RATE_WINDOW_MS) s.shift();
    const first = s[0];
    const dt = (p.elapsedMs - first.t) / 1000;
    this.rate = dt > 0.2 && p.done >= first.done ? (p.done - first.done) / dt : this.rate;
  }
}
