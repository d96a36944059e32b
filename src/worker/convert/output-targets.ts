/// <reference lib="webworker" />
import type { ByteSink, DirectoryTarget } from '../../core/bytes/byte-sink.ts';
import { LayerlabError } from '../../core/errors.ts';
import { entriesOf, isMissing, opfsRemove } from '../cache/opfs.ts';

/**
 * Where a conversion writes in the browser. Two targets, both with the ByteSink rule "nothing
 * half-written is left": an archive goes to a private (OPFS) file under a temporary name that
 * is moved into place on close, and a picked folder gets files through `createWritable`, which
 * commits each on close; a cancelled conversion removes every file and folder it made.
 */

/** Bytes collected before one sync-access write (the archive writer hands out 512-byte headers). */
const BATCH = 1 << 20;

/**
 * A file written through a sync access handle in `dir` as `partName`. `close()` flushes and moves
 * it to `finalDir/finalName` (replacing a file of that name); `abort()` deletes it.
 */
export function opfsFileSink(dir: FileSystemDirectoryHandle, partName: string,
  finalDir: FileSystemDirectoryHandle, finalName: string): ByteSink & { size: number; handle(): FileSystemFileHandle | undefined } {
  let access: FileSystemSyncAccessHandle | undefined;
  let file: FileSystemFileHandle | undefined;
  let pos = 0;
  let batch = new Uint8Array(BATCH);
  let fill = 0;
  let state: 'open' | 'closed' | 'aborted' = 'open';
  const ioError = (what: string, e: unknown) => e instanceof LayerlabError ? e
    : new LayerlabError('IO', `${what} ${finalName} in the browser's private storage: ${(e as { name?: string })?.name === 'QuotaExceededError' ? 'storage quota exceeded' : (e as Error)?.message ?? String(e)}`,
      { file: `exports/${finalName}` }, { cause: e });
  const ready = async () => {
    if (!access) {
      file = await dir.getFileHandle(partName, { create: true });
      access = await file.createSyncAccessHandle();
      access.truncate(0);
    }
    return access;
  };
  const flush = async () => {
    if (!fill) return;
    const a = await ready();
    let off = 0;
    while (off < fill) {
      const n = a.write(batch.subarray(off, fill), { at: pos + off });
      if (n <= 0) throw new Error(`short write at ${pos + off}`);
      off += n;
    }
    pos += fill;
    fill = 0;
  };
  const sink = {
    name: `exports/${finalName}`,
    get size() { return pos + fill; },
    handle: () => file,
    async write(chunk: Uint8Array) {
      if (state !== 'open') throw new LayerlabError('INTERNAL', 'write after close or abort', { file: sink.name });
      try {
        let off = 0;
        while (off < chunk.length) {
          const n = Math.min(batch.length - fill, chunk.length - off);
          batch.set(chunk.subarray(off, off + n), fill);
          fill += n;
          off += n;
          if (fill === batch.length) await flush();
        }
      } catch (e) {
        throw ioError('cannot write', e);
      }
    },
    async close() {
      if (state !== 'open') return;
      try {
        await flush();
        const a = await ready();
        a.flush();
        a.close();
        state = 'closed';
        batch = new Uint8Array(0);
        await opfsRemove(finalDir, finalName);
        await (file as unknown as { move(dir: FileSystemDirectoryHandle, name: string): Promise<void> }).move(finalDir, finalName);
        file = await finalDir.getFileHandle(finalName);
      } catch (e) {
        await sink.abort();
        throw ioError('cannot finish', e);
      }
    },
    async abort() {
      if (state === 'aborted') return;
      state = 'aborted';
      batch = new Uint8Array(0);
      try { access?.close(); } catch { /* closed */ }
      await opfsRemove(dir, partName);
    },
  };
  return sink;
}

/**
 * A DirectoryTarget over a folder the user picked (showDirectoryPicker, read-write). Refuses a
 * folder that is not empty. `abortAll()` removes every file and folder this target made.
 */
export async function handleDirectoryTarget(root: FileSystemDirectoryHandle): Promise<DirectoryTarget & { abortAll(): Promise<void> }> {
  for await (const [name] of entriesOf(root)) {
    throw new LayerlabError('IO', `the folder "${root.name}" is not empty (it has "${name}"); pick a new or empty folder for an OCI layout`, { file: root.name });
  }
  const files: string[] = [];
  const dirs: string[] = [];
  const open = new Set<FileSystemWritableFileStream>();
  const dirOf = async (parts: string[]) => {
    let d = root;
    for (let i = 0; i < parts.length; i++) {
      const path = parts.slice(0, i + 1).join('/');
      try {
        d = await d.getDirectoryHandle(parts[i]);
      } catch (e) {
        if (!isMissing(e)) throw e;
        d = await d.getDirectoryHandle(parts[i], { create: true });
        dirs.push(path);
      }
    }
    return d;
  };
  const remove = async (path: string, recursive = false) => {
    const parts = path.split('/').filter(Boolean);
    try {
      let d = root;
      for (const p of parts.slice(0, -1)) d = await d.getDirectoryHandle(p);
      await d.removeEntry(parts[parts.length - 1], { recursive });
    } catch { /* gone already */ }
  };
  return {
    name: root.name,
    async createFile(path) {
      const parts = path.split('/').filter(Boolean);
      if (!parts.length || parts.some((p) => p === '..' || p === '.')) {
        throw new LayerlabError('UNSAFE_PATH', `refusing to write outside the output folder: ${path}`, { file: root.name });
      }
      const d = await dirOf(parts.slice(0, -1));
      const fh = await d.getFileHandle(parts[parts.length - 1], { create: true });
      files.push(path);
      const w = await fh.createWritable();
      open.add(w);
      let done = false;
      return {
        name: `${root.name}/${path}`,
        write: async (chunk: Uint8Array) => { await w.write(chunk as Uint8Array<ArrayBuffer>); },
        close: async () => { done = true; open.delete(w); await w.close(); },
        abort: async () => {
          if (done) return;
          done = true;
          open.delete(w);
          await w.abort().catch(() => {});
          await remove(path);
        },
      };
    },
    remove: (path) => remove(path),
    async abortAll() {
      for (const w of [...open]) await w.abort().catch(() => {});
      open.clear();
      for (const f of files.splice(0).reverse()) await remove(f);
      for (const d of dirs.splice(0).reverse()) await remove(d, true);
    },
  };
}
