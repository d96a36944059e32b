import { open, rename, rm, mkdir, readdir, stat } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import type { ByteSink, DirectoryTarget } from '../core/bytes/byte-sink.ts';
import { LayerlabError } from '../core/errors.ts';
import { normalizeRelative } from '../core/bytes/directory-source.ts';

/**
 * A file written through a temporary name beside it and renamed on close, so an interrupted
 * conversion never leaves a file that looks finished (rename is atomic within a folder).
 */
export async function fileSink(path: string, name = path): Promise<ByteSink> {
  const tmp = `${path}.layerlab-partial`;
  const fh = await open(tmp, 'w').catch((e: NodeJS.ErrnoException) => {
    throw new LayerlabError('IO', `cannot write: ${e.message}`, { file: name }, { cause: e });
  });
  let at = 0;
  let closed = false;
  return {
    name,
    async write(chunk) {
      let off = 0;
      while (off < chunk.length) {
        const { bytesWritten } = await fh.write(chunk, off, chunk.length - off, at).catch((e: NodeJS.ErrnoException) => {
          throw new LayerlabError('IO', `write failed: ${e.message}`, { file: name, offset: at }, { cause: e });
        });
        off += bytesWritten;
        at += bytesWritten;
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      await fh.sync();
      await fh.close();
      await rename(tmp, path);
    },
    async abort() {
      if (!closed) { closed = true; await fh.close().catch(() => {}); }
      await rm(tmp, { force: true });
    },
  };
}

/**
 * A folder to write an OCI layout into. It must be new or empty: writing an image into a folder
 * that holds another would mix their index files. Removes the folder on abort if it made it.
 */
export async function directoryTarget(root: string): Promise<DirectoryTarget & { abortAll(): Promise<void> }> {
  const base = resolve(root);
  const existed = await stat(base).then((s) => {
    if (!s.isDirectory()) throw new LayerlabError('IO', 'exists and is not a folder', { file: root });
    return true;
  }, () => false);
  if (existed && (await readdir(base)).length) throw new LayerlabError('IO', 'the output folder is not empty; give a new or empty folder', { file: root });
  await mkdir(base, { recursive: true });
  return {
    name: root,
    async createFile(path) {
      const full = resolve(base, normalizeRelative(path));
      if (!full.startsWith(base + sep)) throw new LayerlabError('UNSAFE_PATH', `refusing to write outside the output folder: ${path}`, { file: root });
      await mkdir(dirname(full), { recursive: true });
      return fileSink(full, join(root, path));
    },
    async remove(path) {
      await rm(resolve(base, normalizeRelative(path)), { force: true });
    },
    async abortAll() {
      if (!existed) await rm(base, { recursive: true, force: true });
    },
  };
}
