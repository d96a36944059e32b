/// <reference lib="webworker" />
/**
 * One slot of the browser compression pool (./index.ts): runs the engine's `compressRequest` —
 * the shared encoders — on each job and transfers the result back.
 */
import { compressRequest, type CompressionRequest } from '../../core/compress/compression-pool.ts';

self.onmessage = (ev: MessageEvent<CompressionRequest>) => {
  void compressRequest(ev.data).then((res) => {
    const b = res.ok ? res.data : undefined;
    const whole = b && b.byteOffset === 0 && b.byteLength === b.buffer.byteLength && b.buffer instanceof ArrayBuffer;
    (self as unknown as { postMessage(m: unknown, t: Transferable[]): void }).postMessage(res, whole ? [b.buffer as ArrayBuffer] : []);
  });
};
