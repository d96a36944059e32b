import * as Comlink from 'comlink';
import type { Progress } from '../core/progress.ts';
import type { JobProgress } from './protocol.ts';

/** At most this often per job; a new phase or layer always goes through. */
const INTERVAL_MS = 100;

export interface ProgressSink {
  (p: Progress): void;
  /** Sends the last pending update and releases the UI's callback proxy. */
  close(): void;
}

/**
 * Throttles the engine's progress and forwards it to the UI's `Comlink.proxy` callback, adding
 * the elapsed time so the UI can show a rate. Calls are fire-and-forget: a slow UI must never
 * hold up the engine.
 */
export function progressSink(remote: ((p: JobProgress) => unknown) | undefined): ProgressSink {
  const t0 = performance.now();
  let last = -Infinity;
  let key = '';
  let pending: JobProgress | undefined;
  const send = (p: JobProgress) => {
    pending = undefined;
    last = performance.now();
    try { Promise.resolve(remote?.(p)).catch(() => {}); } catch { /* released */ }
  };
  const sink = ((p: Progress) => {
    if (!remote) return;
    const now = performance.now();
    const k = `${p.phase}:${p.layer ?? ''}`;
    const jp: JobProgress = { ...p, elapsedMs: now - t0 };
    if (k !== key || p.phase === 'done' || now - last >= INTERVAL_MS) {
      key = k;
      send(jp);
    } else {
      pending = jp;
    }
  }) as ProgressSink;
  sink.close = () => {
    if (pending) send(pending);
    const r = remote as unknown as { [Comlink.releaseProxy]?: () => void } | undefined;
    try { r?.[Comlink.releaseProxy]?.(); } catch { /* not a proxy (tests) */ }
  };
  return sink;
}
