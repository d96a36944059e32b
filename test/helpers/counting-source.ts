import type { ByteSource, StreamOptions } from '../../src/core/bytes/byte-source.ts';

/** Counts every byte a reader takes from a source, by read() and by stream(): the proof of a lazy read. */
export function countingSource(src: ByteSource): ByteSource & { bytesRead: number } {
  const c = {
    name: src.name, size: src.size, bytesRead: 0,
    async read(off: number, len: number, s?: AbortSignal) { const b = await src.read(off, len, s); c.bytesRead += b.length; return b; },
    async *stream(o: StreamOptions = {}) { for await (const b of src.stream(o)) { c.bytesRead += b.length; yield b; } },
  };
  return c;
}
