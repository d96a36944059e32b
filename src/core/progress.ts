/**
 * Progress of a long operation, in bytes of input read. `done/total` is the whole job;
 * `layerDone/layerTotal` the current layer (compressed bytes). Reported at most every
 * `intervalMs` so a fast pipeline does not flood the worker channel.
 */
export interface Progress {
  phase: 'open' | 'layers' | 'merge' | 'done';
  /** Current layer index, when in the layers phase. */
  layer?: number;
  layerDone: number;
  layerTotal: number;
  done: number;
  total: number;
  /** Human words for the current step ("reading index.json"). */
  message?: string;
}

export type ProgressFn = (p: Progress) => void;

export interface LongOperation {
  signal?: AbortSignal;
  onProgress?: ProgressFn;
}

/** Wraps a progress callback so it fires at most once per interval (and always for 'done'). */
export function throttleProgress(fn: ProgressFn | undefined, intervalMs = 100): ProgressFn {
  if (!fn) return () => {};
  let last = 0;
  return (p) => {
    const now = Date.now();
    if (p.phase === 'done' || now - last >= intervalMs) {
      last = now;
      fn(p);
    }
  };
}
