import type { ByteSource } from './byte-source.ts';

/**
 * A folder: an OCI layout or an unpacked docker-archive. The browser gives one from a picked
 * folder (FileSystemDirectoryHandle or a webkitdirectory FileList), Node from a path, and an
 * archive reader from the members of a tar. Paths are relative, '/'-separated, no leading './'.
 */
export interface DirectorySource {
  readonly name: string;
  /** The file at `path`, or undefined when there is none. */
  open(path: string): Promise<ByteSource | undefined>;
}

/** A folder made of known files (tar members, a FileList). */
export function directoryOf(name: string, files: Map<string, ByteSource>): DirectorySource {
  return {
    name,
    async open(path) {
      return files.get(normalizeRelative(path));
    },
  };
}

/** 'a/./b//c' → 'a/b/c'; leading './' and '/' dropped. Used for lookups inside image folders. */
export function normalizeRelative(path: string): string {
  return path.split('/').filter((c) => c !== '' && c !== '.').join('/');
}
