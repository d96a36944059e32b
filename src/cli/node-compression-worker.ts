/**
 * A Node worker thread of the compression pool (node-compression-pool.ts): runs the engine's
 * `compressRequest` — the shared encoders — on each job and sends the result back, transferred.
 */
import { parentPort } from 'node:worker_threads';
import { compressRequest, type CompressionRequest } from '../core/compress/compression-pool.ts';

const port = parentPort!;
port.on('message', (req: CompressionRequest) => {
  void compressRequest(req).then((res) => {
    const b = res.ok ? res.data : undefined;
    const whole = b && b.byteOffset === 0 && b.byteLength === b.buffer.byteLength;
    port.postMessage(res, whole ? [b.buffer as ArrayBuffer] : []);
  });
});
