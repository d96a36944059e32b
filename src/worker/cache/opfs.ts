/// <reference lib="webworker" />
/**
 * Small helpers over the origin-private file system (OPFS). Everything layerlab writes lives
 * under one folder, `/layerlab`, so "clear the cache" can never touch another app's files:
 *
 *   /layerlab/blobs/sha256/<hex>   verified, content-addressed copies (BlobStore)
 *   /layerlab/tmp/<uuid>           blobs being written; moved into blobs/ once verified
 *   /layerlab/spool/<session>/…    archive members spooled for the images open in a worker
 */

let root: Promise<FileSystemDirectoryHandle> | undefined;

/** The layerlab folder; rejects where OPFS is unavailable (callers fall back to memory). */
export function opfsRoot(): Promise<FileSystemDirectoryHandle> {
  root ??= (async () => {
    if (!navigator.storage?.getDirectory) throw new Error('this browser has no origin-private file system');
    const top = await navigator.storage.getDirectory();
    return top.getDirectoryHandle('layerlab', { create: true });
  })();
  root.catch(() => { root = undefined; });
  return root;
}

/** `a/b/c` under `base`, creating folders on the way when `create`. */
export async function opfsDir(path: string, create = true, base?: FileSystemDirectoryHandle): Promise<FileSystemDirectoryHandle> {
  let dir = base ?? await opfsRoot();
  for (const part of path.split('/').filter(Boolean)) dir = await dir.getDirectoryHandle(part, { create });
  return dir;
}

/** A file handle, or undefined when any part of the path does not exist. */
export async function opfsFile(dir: FileSystemDirectoryHandle, name: string): Promise<FileSystemFileHandle | undefined> {
  try {
    return await dir.getFileHandle(name);
  } catch (e) {
    if (isMissing(e)) return undefined;
    throw e;
  }
}

/** Removes an entry; missing is fine, a locked file (open elsewhere) is left for later. */
export async function opfsRemove(dir: FileSystemDirectoryHandle, name: string, recursive = false): Promise<boolean> {
  try {
    await dir.removeEntry(name, { recursive });
    return true;
  } catch (e) {
    if (isMissing(e)) return true;
    return false;
  }
}

/** Total bytes and file count under a folder. */
export async function opfsUsage(dir: FileSystemDirectoryHandle): Promise<{ bytes: number; files: number }> {
  let bytes = 0;
  let files = 0;
  for await (const [, h] of entriesOf(dir)) {
    if (h.kind === 'file') {
      files++;
      try { bytes += (await (h as FileSystemFileHandle).getFile()).size; } catch { /* locked by a writer: not counted */ }
    } else {
      const u = await opfsUsage(h as FileSystemDirectoryHandle);
      bytes += u.bytes;
      files += u.files;
    }
  }
  return { bytes, files };
}

/** `dir.entries()`, typed (the DOM lib in TS 6 does not declare the async iterator). */
export function entriesOf(dir: FileSystemDirectoryHandle): AsyncIterable<[string, FileSystemHandle]> {
  return (dir as unknown as { entries(): AsyncIterable<[string, FileSystemHandle]> }).entries();
}

export function isMissing(e: unknown): boolean {
  const name = (e as { name?: string })?.name;
  return name === 'NotFoundError' || name === 'TypeMismatchError';
}
