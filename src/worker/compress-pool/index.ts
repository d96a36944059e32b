/**
 * The browser CompressionPool: one module Worker per slot, spawned from the engine worker (nested
 * workers), sized by `navigator.hardwareConcurrency`. Each slot runs the engine's shared encoders
 * (compress.worker.ts), so the bytes equal those of `inlineCompressionPool()` in the same
 * browser. Buffers are transferred both ways; workers start on first use, `close()` ends them.
 */
import { workerCompressionPool, type CompressionPool, type CompressionResponse } from '../../core/compress/compression-pool.ts';

export function browserCompressionPool(size = globalThis.navigator?.hardwareConcurrency || 2): CompressionPool {
  return workerCompressionPool(size, (slot) => {
    const worker = new Worker(new URL('./compress.worker.ts', import.meta.url), { type: 'module', name: `layerlab compress ${slot}` });
    return {
      post: (req, transfer) => worker.postMessage(req, transfer),
      listen(onResponse, onError) {
        worker.onmessage = (ev: MessageEvent<CompressionResponse>) => onResponse(ev.data);
        worker.onerror = (ev) => {
          ev.preventDefault();
          onError(new Error(`compression worker ${slot} failed: ${ev.message || 'could not start'}`));
        };
      },
      terminate: () => worker.terminate(),
    };
  });
}
