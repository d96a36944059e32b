/**
 * The CompressionPool of the Node CLI: one worker_threads Worker per slot (default: one per
 * available core, `os.availableParallelism()`), each running the engine's shared encoders, so
 * results are byte-identical to `inlineCompressionPool()`. Buffers are transferred both ways.
 * Workers start on first use; `close()` terminates them.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { workerCompressionPool, type CompressionPool, type CompressionResponse } from '../core/compress/compression-pool.ts';

const ENTRY = new URL('./node-compression-worker.mjs', import.meta.url);

export function nodeCompressionPool(size = availableParallelism()): CompressionPool {
  return workerCompressionPool(size, () => {
    const worker = new Worker(ENTRY);
    // Idle workers must not keep the process alive.
    worker.unref();
    return {
      post: (req, transfer) => worker.postMessage(req, transfer),
      listen(onResponse, onError) {
        worker.on('message', (res: CompressionResponse) => onResponse(res));
        worker.on('error', onError);
        worker.on('exit', (code) => { if (code !== 0) onError(new Error(`compression worker exited with code ${code}`)); });
      },
      terminate: () => { void worker.terminate(); },
      active: (busy) => { if (busy) worker.ref(); else worker.unref(); },
    };
  });
}
