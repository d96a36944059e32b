import type { Digest, LayerHasherFactory, OffloadedHasher } from '../../core/digest/digest.ts';
import type { HashReply, HashRequest } from './protocol.ts';
import { LayerlabError } from '../../core/errors.ts';

/**
 * SHA-256 on another core. The engine worker spends its core on decompressing and parsing; both
 * layer digests (stored and diffID) are hashed here in a second worker, so on a 2-core laptop a
 * gzip layer is analysed about as fast as it can be decompressed (bench/README.md has numbers).
 * Chunks the caller gives up are transferred, others copied.
 */
export function offloadedSha256(): LayerHasherFactory & { dispose(): void } {
  let worker: Worker | undefined;
  let next = 1;
  const waiting = new Map<number, { resolve: (d: Digest) => void; reject: (e: unknown) => void }>();
  let broken: unknown;
  const port = () => {
    if (!worker) {
      worker = new Worker(new URL('./sha256.worker.ts', import.meta.url), { type: 'module', name: 'layerlab sha256' });
      worker.onmessage = (ev: MessageEvent<HashReply>) => {
        waiting.get(ev.data.id)?.resolve(ev.data.digest as Digest);
        waiting.delete(ev.data.id);
      };
      // A hasher that cannot start must fail the scan loudly, never leave it waiting.
      worker.onerror = (ev) => {
        broken = new LayerlabError('INTERNAL', `the SHA-256 worker failed: ${ev.message || 'could not start'}`);
        for (const w of waiting.values()) w.reject(broken);
        waiting.clear();
      };
    }
    return worker;
  };
  const factory = async (): Promise<OffloadedHasher> => {
    const id = next++;
    const w = port();
    return {
      update(bytes, disposable) {
        const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer;
        const buffer = disposable && whole ? bytes.buffer as ArrayBuffer : bytes.slice().buffer;
        const msg: HashRequest = { op: 'update', id, buffer, byteOffset: 0, byteLength: bytes.byteLength };
        w.postMessage(msg, [buffer]);
      },
      digest() {
        return new Promise<Digest>((resolve, reject) => {
          if (broken) { reject(broken); return; }
          waiting.set(id, { resolve, reject });
          const msg: HashRequest = { op: 'digest', id };
          w.postMessage(msg);
        });
      },
    };
  };
  return Object.assign(factory, {
    dispose() {
      worker?.terminate();
      worker = undefined;
      for (const w of waiting.values()) w.reject(new LayerlabError('ABORTED', 'cancelled'));
      waiting.clear();
    },
  });
}
