import { type ByteSource, type StreamOptions, DEFAULT_READ_SLICE } from './byte-source.ts';
import { LayerlabError, checkAborted } from '../errors.ts';

/**
 * A Blob or File (dropped, picked, or an OPFS file's `getFile()`) as a ByteSource.
 * Streaming uses `Blob.slice(...).stream()`, which the toolchain notes measured fastest in
 * Chromium workers; random reads use `slice().arrayBuffer()`.
 */
export function fromBlob(blob: Blob, name = (blob as { name?: string }).name ?? 'blob'): ByteSource {
  return {
    name,
    size: blob.size,
    async read(offset, length, signal) {
      checkAborted(signal, { file: name, offset });
      try {
        return new Uint8Array(await blob.slice(offset, Math.min(blob.size, offset + length)).arrayBuffer());
      } catch (e) {
        throw new LayerlabError('IO', `cannot read: ${(e as Error).message}`, { file: name, offset }, { cause: e });
      }
    },
    async *stream(o: StreamOptions = {}) {
      const start = o.start ?? 0;
      const end = Math.min(o.end ?? blob.size, blob.size);
      const max = o.chunkSize ?? DEFAULT_READ_SLICE;
      const reader = blob.slice(start, end).stream().getReader();
      let pos = start;
      try {
        for (;;) {
          checkAborted(o.signal, { file: name, offset: pos });
          const { value, done } = await reader.read();
          if (done) break;
          for (let i = 0; i < value.length; i += max) {
            const part = value.length <= max ? value : value.subarray(i, i + max);
            pos += part.length;
            yield part;
          }
        }
      } catch (e) {
        if (e instanceof LayerlabError) throw e;
        throw new LayerlabError('IO', `cannot read: ${(e as Error).message}`, { file: name, offset: pos }, { cause: e });
      } finally {
        reader.releaseLock();
      }
    },
  };
}
