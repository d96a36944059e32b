import { LayerlabError, toLayerlabError, type SerializedError } from '../core/errors.ts';
import type { JobId } from './protocol.ts';

/**
 * One AbortController per running job. AbortSignal cannot cross a worker boundary, so the UI
 * names each job and `cancel(job)` aborts it here (style note §9).
 */
const running = new Map<JobId, AbortController>();

/**
 * Runs `fn` as job `id`. Errors leave as plain SerializedError objects: comlink would reduce an
 * Error to name+message, and the UI needs the code and where it happened.
 */
export async function runJob<T>(id: JobId, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ac = new AbortController();
  running.set(id, ac);
  try {
    return await fn(ac.signal);
  } catch (e) {
    throw serialize(ac.signal.aborted ? new LayerlabError('ABORTED', 'cancelled', {}, { cause: e }) : e);
  } finally {
    running.delete(id);
  }
}

export function cancelJob(id: JobId): boolean {
  const ac = running.get(id);
  ac?.abort(new LayerlabError('ABORTED', 'cancelled'));
  return !!ac;
}

export function serialize(e: unknown): SerializedError {
  if (isSerialized(e)) return e;
  const err = toLayerlabError(e);
  if (err.code === 'INTERNAL') console.error('layerlab worker:', e);
  return err.toJSON();
}

function isSerialized(e: unknown): e is SerializedError {
  return typeof e === 'object' && e !== null && (e as SerializedError).name === 'LayerlabError' && !(e instanceof Error);
}
