import type { EstargzVerifyResult, ImageRef } from '../../../worker/protocol.ts';
import { toEngineError, type EngineError } from '../../engine-client.ts';
import { engine } from '../../state/engine.ts';
import { JobTracker } from '../../state/job.svelte.ts';

export interface ChunkCheck {
  job?: JobTracker;
  result?: EstargzVerifyResult;
  error?: EngineError;
  cancelled?: boolean;
}

/**
 * "Verify chunks" per eStargz layer: every chunk fetched, decompressed from its own gzip member
 * and hashed in the worker. Results stay for the open image (keyed by image id and layer).
 */
class EstargzChecks {
  byKey = $state.raw<ReadonlyMap<string, ChunkCheck>>(new Map());

  get(image: ImageRef, layer: number): ChunkCheck | undefined {
    return this.byKey.get(`${image.id}:${layer}`);
  }

  #set(key: string, c: ChunkCheck) {
    this.byKey = new Map(this.byKey).set(key, c);
  }

  async verify(image: ImageRef, layer: number): Promise<void> {
    const key = `${image.id}:${layer}`;
    if (this.byKey.get(key)?.job) return;
    const job = new JobTracker(`Verifying the chunks of layer ${layer}`);
    this.#set(key, { job });
    try {
      const result = await engine.verifyEstargz(job.signal, image, layer, (p) => job.update(p));
      this.#set(key, { result });
    } catch (e) {
      const error = toEngineError(e);
      this.#set(key, error.cancelled ? { cancelled: true } : { error });
    }
  }
}

export const estargzChecks = new EstargzChecks();
