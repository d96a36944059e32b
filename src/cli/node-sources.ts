import { open, stat } from 'node:fs/promises';
import { mkdtempSync, openSync, writeSync, closeSync, rmSync } from 'node:fs';
import { createReadStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, sep } from 'node:path';
import type { ByteSource, StreamOptions } from '../core/bytes/byte-source.ts';
import type { DirectorySource } from '../core/bytes/directory-source.ts';
import { normalizeRelative } from '../core/bytes/directory-source.ts';
import type { BlobSpool } from '../core/store/blob-spool.ts';
import { LayerlabError, checkAborted } from '../core/errors.ts';

/** A file on disk as a ByteSource (Node only: the engine never imports node:fs itself). */
export async function fromPath(path: string, name = path): Promise<ByteSource> {
  const st = await stat(path).catch((e: NodeJS.ErrnoException) => {
    throw new LayerlabError(e.code === 'ENOENT' ? 'NOT_FOUND' : 'IO', `cannot open: ${e.message}`, { file: name }, { cause: e });
  });
  if (!st.isFile()) throw new LayerlabError('IO', 'not a regular file', { file: name });
  const size = st.size;
  return {
    name, size,
    async read(offset, length, signal) {
      checkAborted(signal, { file: name, offset });
      const len = Math.max(0, Math.min(length, size - offset));
      const buf = new Uint8Array(len);
      const fh = await open(path, 'r');
      try {
        let got = 0;
        while (got < len) {
          const { bytesRead } = await fh.read(buf, got, len - got, offset + got);
          if (bytesRead === 0) break;
          got += bytesRead;
        }
        return got === len ? buf : buf.subarray(0, got);
      } finally {
        await fh.close();
      }
    },
    async *stream(o: StreamOptions = {}) {
      const start = o.start ?? 0;
      const end = Math.min(o.end ?? size, size);
      if (end <= start) return;
      // 1 MiB reads: large enough that per-chunk overhead vanishes, small enough to stay cache-friendly.
      const rs = createReadStream(path, { start, end: end - 1, highWaterMark: Math.min(o.chunkSize ?? 1 << 20, 4 << 20) });
      let pos = start;
      try {
        for await (const b of rs as AsyncIterable<Buffer>) {
          checkAborted(o.signal, { file: name, offset: pos });
          pos += b.length;
          yield new Uint8Array(b.buffer, b.byteOffset, b.length);
        }
      } catch (e) {
        if (e instanceof LayerlabError) throw e;
        throw new LayerlabError('IO', `read failed: ${(e as Error).message}`, { file: name, offset: pos }, { cause: e });
      } finally {
        rs.destroy();
      }
      if (pos < end) throw new LayerlabError('TRUNCATED', 'file shrank while being read', { file: name, offset: pos });
    },
  };
}

/** A folder on disk (an OCI layout, an unpacked docker-archive). Paths cannot leave the folder. */
export function directoryFromPath(root: string, name = root): DirectorySource {
  const base = resolve(root);
  return {
    name,
    async open(path) {
      const rel = normalizeRelative(path);
      const full = resolve(base, rel);
      if (full !== base && !full.startsWith(base + sep)) return undefined;
      try {
        return await fromPath(full, join(name, rel));
      } catch (e) {
        if (e instanceof LayerlabError && e.code === 'NOT_FOUND') return undefined;
        throw e;
      }
    },
  };
}

/** Spools members of a compressed archive to a temporary folder, removed by `dispose`. */
export function tempDirSpool(): BlobSpool & { dispose(): void } {
  let dir: string | undefined;
  let n = 0;
  return {
    create(name) {
      dir ??= mkdtempSync(join(tmpdir(), 'layerlab-'));
      const file = join(dir, String(n++));
      const fd = openSync(file, 'w');
      let closed = false;
      const close = () => { if (!closed) { closed = true; closeSync(fd); } };
      return {
        write(chunk) {
          let off = 0;
          while (off < chunk.length) off += writeSync(fd, chunk, off, chunk.length - off);
        },
        async finish() {
          close();
          return fromPath(file, name);
        },
        discard() {
          close();
          rmSync(file, { force: true });
        },
      };
    },
    dispose() {
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Opens a path the user typed: a folder or a file. */
export async function inputFromPath(path: string): Promise<{ kind: 'file'; source: ByteSource } | { kind: 'directory'; dir: DirectorySource }> {
  const st = await stat(path).catch((e: NodeJS.ErrnoException) => {
    throw new LayerlabError(e.code === 'ENOENT' ? 'NOT_FOUND' : 'IO', `cannot open: ${e.message}`, { file: path }, { cause: e });
  });
  return st.isDirectory() ? { kind: 'directory', dir: directoryFromPath(path) } : { kind: 'file', source: await fromPath(path) };
}
