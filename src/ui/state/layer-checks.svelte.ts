import type { ImageRef, JobProgress } from '../../worker/protocol.ts';
import { toEngineError, type EngineError } from '../engine-client.ts';
import { JobTracker } from './job.svelte.ts';

/** One layer's check: running (its job), done (its result), failed, or cancelled. */
export interface LayerCheck<R> {
  job?: JobTracker;
  result?: R;
  error?: EngineError;
  cancelled?: boolean;
}

/** The worker call a check runs: cancellable through the signal, reporting progress. */
export type LayerCheckRun<R> = (signal: AbortSignal, image: ImageRef, layer: number, onProgress: (p: JobProgress) => void) => Promise<R>;

/**
 * A long per-layer check of a format's panel ("Verify chunks", "Verify"), run in the worker with
 * a JobTracker (progress, cancel). Results stay for the open image, keyed by image id and layer,
 * so closing and reopening the panel keeps them; one run per layer at a time.
 */
export class LayerChecks<R> {
  byKey = $state.raw<ReadonlyMap<string, LayerCheck<R>>>(new Map());
  readonly #title: (layer: number) => string;
  readonly #run: LayerCheckRun<R>;

  constructor(title: (layer: number) => string, run: LayerCheckRun<R>) {
    this.#title = title;
    this.#run = run;
  }

  get(image: ImageRef, layer: number): LayerCheck<R> | undefined {
    return this.byKey.get(`${image.id}:${layer}`);
  }

  #set(key: string, c: LayerCheck<R>) {
    this.byKey = new Map(this.byKey).set(key, c);
  }

  async run(image: ImageRef, layer: number): Promise<void> {
    const key = `${image.id}:${layer}`;
    if (this.byKey.get(key)?.job) return;
    const job = new JobTracker(this.#title(layer));
    this.#set(key, { job });
    try {
      const result = await this.#run(job.signal, image, layer, (p) => job.update(p));
      this.#set(key, { result });
    } catch (e) {
      const error = toEngineError(e);
      this.#set(key, error.cancelled ? { cancelled: true } : { error });
    }
  }
}
