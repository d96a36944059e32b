import type { ByteSource, StreamOptions } from './byte-source.ts';
import { checkAborted } from '../errors.ts';

/** An in-memory buffer as a ByteSource (tests, small blobs, decoded bootstraps). */
export function fromBytes(bytes: Uint8Array, name = 'memory'): ByteSource {
  return {
    name,
    size: bytes.length,
    async read(offset, length, signal) {
      checkAborted(signal, { file: name, offset });
      return bytes.subarray(offset, Math.min(bytes.length, offset + length));
    },
    async *stream(o: StreamOptions = {}) {
      const end = Math.min(o.end ?? bytes.length, bytes.length);
      const step = o.chunkSize ?? 1 << 20;
      for (let p = o.start ?? 0; p < end; p += step) {
        checkAborted(o.signal, { file: name, offset: p });
        yield bytes.subarray(p, Math.min(end, p + step));
      }
    },
  };
}
