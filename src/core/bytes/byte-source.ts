import { LayerlabError, checkAborted } from '../errors.ts';

/**
 * Random access to bytes, reopenable: a File, an OPFS file, a Node file, a buffer, an HTTP URL,
 * or a slice of any of them (a blob inside a tar). Everything layerlab reads goes through this
 * one interface, so a counting wrapper can prove how much a lazy read really fetched.
 */
export interface ByteSource {
  /** What the user would call it: file name, URL, or "outer.tar:inner/path". */
  readonly name: string;
  readonly size: number;
  /**
   * Exactly `length` bytes at `offset` (fewer only past the end). The result may share memory with
   * the source: callers must not write to it.
   */
  read(offset: number, length: number, signal?: AbortSignal): Promise<Uint8Array>;
  /** Bytes [start, end) front to back in chunks of at most `chunkSize`. */
  stream(options?: StreamOptions): AsyncIterable<Uint8Array>;
}

export interface StreamOptions {
  start?: number;
  end?: number;
  /** Upper bound of one chunk; sources may return smaller chunks. */
  chunkSize?: number;
  signal?: AbortSignal;
}

/** 16 MiB: below this, per-read overhead of Blob.slice dominates (toolchain notes §5). */
export const DEFAULT_READ_SLICE = 16 << 20;

/**
 * Helper for sources that only implement `read`: streams by issuing sequential reads.
 * One read in flight ahead, so I/O overlaps with the consumer.
 */
export async function* streamByReads(src: Pick<ByteSource, 'read' | 'size' | 'name'>, o: StreamOptions = {}): AsyncIterable<Uint8Array> {
  const start = o.start ?? 0;
  const end = Math.min(o.end ?? src.size, src.size);
  const step = o.chunkSize ?? DEFAULT_READ_SLICE;
  let pos = start;
  let next: Promise<Uint8Array> | undefined = pos < end ? src.read(pos, Math.min(step, end - pos), o.signal) : undefined;
  while (next) {
    const chunk = await next;
    checkAborted(o.signal, { file: src.name, offset: pos });
    const want = Math.min(step, end - pos);
    if (chunk.length < want) {
      throw new LayerlabError('TRUNCATED', `read ${chunk.length} of ${want} bytes`, { file: src.name, offset: pos + chunk.length });
    }
    pos += chunk.length;
    next = pos < end ? src.read(pos, Math.min(step, end - pos), o.signal) : undefined;
    yield chunk;
  }
}

/** A window [offset, offset+length) of another source: a blob inside an archive. */
export function sliceSource(src: ByteSource, offset: number, length: number, name?: string): ByteSource {
  if (offset < 0 || length < 0 || offset + length > src.size) {
    throw new LayerlabError('TRUNCATED', `slice [${offset}, ${offset + length}) is outside the ${src.size}-byte source`, { file: src.name, offset });
  }
  return {
    name: name ?? src.name,
    size: length,
    read(off, len, signal) {
      const l = Math.max(0, Math.min(len, length - off));
      return src.read(offset + off, l, signal);
    },
    stream(o = {}) {
      const s = o.start ?? 0;
      const e = Math.min(o.end ?? length, length);
      return src.stream({ ...o, start: offset + s, end: offset + e });
    },
  };
}

/** Reads a whole (small) source into one buffer. */
export async function readAll(src: ByteSource, signal?: AbortSignal): Promise<Uint8Array> {
  return src.read(0, src.size, signal);
}

export async function readText(src: ByteSource, signal?: AbortSignal): Promise<string> {
  return new TextDecoder().decode(await readAll(src, signal));
}
