/// <reference lib="webworker" />
import { fromBlob } from '../core/bytes/blob-source.ts';
import { directoryOf, normalizeRelative, type DirectorySource } from '../core/bytes/directory-source.ts';
import type { ByteSource } from '../core/bytes/byte-source.ts';
import { isMissing } from './cache/opfs.ts';

/**
 * A picked or dropped folder (File System Access handle) as a DirectorySource. Files are looked
 * up on demand, so opening an OCI layout with thousands of blobs touches only what it reads.
 */
export function handleDirectory(handle: FileSystemDirectoryHandle): DirectorySource {
  return {
    name: handle.name,
    async open(path) {
      const parts = normalizeRelative(path).split('/').filter(Boolean);
      const file = parts.pop();
      if (!file) return undefined;
      try {
        let dir = handle;
        for (const p of parts) dir = await dir.getDirectoryHandle(p);
        const fh = await dir.getFileHandle(file);
        return fromBlob(await fh.getFile(), `${handle.name}/${normalizeRelative(path)}`);
      } catch (e) {
        if (isMissing(e)) return undefined;
        throw e;
      }
    },
  };
}

/**
 * A folder given as a list of files with relative paths (`<input webkitdirectory>`: each
 * `webkitRelativePath` starts with the picked folder's name, which is dropped here).
 */
export function fileListDirectory(name: string, files: { path: string; file: File }[]): DirectorySource {
  const map = new Map<string, ByteSource>();
  const strip = commonRoot(files.map((f) => f.path));
  for (const { path, file } of files) {
    const n = normalizeRelative(path);
    const rel = strip ? n.slice(strip.length + 1) : n;
    map.set(rel, fromBlob(file, `${name}/${rel}`));
  }
  return directoryOf(name, map);
}

/** The first path component when every path shares it (the picked folder itself). */
function commonRoot(paths: string[]): string | undefined {
  const first = normalizeRelative(paths[0] ?? '').split('/')[0];
  if (!first || paths.some((p) => normalizeRelative(p).split('/').length < 2)) return undefined;
  return paths.every((p) => normalizeRelative(p).startsWith(first + '/')) ? first : undefined;
}
