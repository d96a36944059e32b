import { concatBytes } from './concat.ts';

/**
 * Where converted output goes, front to back: a file the CLI writes, an OPFS file or a file the
 * user picked in the browser. The counterpart of ByteSource for writing. Implementations make
 * the result appear only on `close()` (a temporary name renamed, or a File System Access
 * writable, which commits on close), so a cancelled conversion leaves nothing half-written.
 */
export interface ByteSink {
  /** What the user would call it, for messages. */
  readonly name: string;
  write(chunk: Uint8Array): Promise<void>;
  /** Commits the output. */
  close(): Promise<void>;
  /** Drops everything written; safe to call after an error and more than once. */
  abort(): Promise<void>;
}

/**
 * A folder to write an OCI image layout into (image-layout.md). Each file is written whole
 * through its own ByteSink and appears only when that sink closes.
 */
export interface DirectoryTarget {
  readonly name: string;
  /** A new file at `path` ('/'-separated, relative); parent folders are made as needed. */
  createFile(path: string): Promise<ByteSink>;
  /** Removes a file written earlier (cancel); a missing file is not an error. */
  remove(path: string): Promise<void>;
}

/** Collects a sink's bytes in memory (tests, small outputs). */
export function memorySink(name = 'memory'): ByteSink & { bytes(): Uint8Array; closed: boolean } {
  const parts: Uint8Array[] = [];
  let size = 0;
  const sink = {
    name,
    closed: false,
    async write(chunk: Uint8Array) {
      parts.push(chunk.slice());
      size += chunk.length;
    },
    async close() {
      sink.closed = true;
    },
    async abort() {
      parts.length = 0;
      size = 0;
    },
    bytes() {
      return concatBytes(parts, size);
    },
  };
  return sink;
}

/** A folder kept in memory (tests): path → bytes of the closed files. */
export function memoryDirectory(name = 'memory'): DirectoryTarget & { files: Map<string, Uint8Array> } {
  const files = new Map<string, Uint8Array>();
  return {
    name,
    files,
    async createFile(path) {
      const s = memorySink(`${name}/${path}`);
      return { name: s.name, write: s.write, abort: s.abort, close: async () => { files.set(path, s.bytes()); } };
    },
    async remove(path) {
      files.delete(path);
    },
  };
}
