/**
 * One node of a file tree the engine shows (a layer's own entries, or the merged image), plain
 * data that crosses to the UI and into the cache. Built by analysis/tree-nodes.ts; a format that
 * reads files through its own index marks `content` with where the bytes are (formats/*).
 */
export interface TreeNode {
  path: string;
  rawPath?: Uint8Array;
  depth: number;
  type: 'file' | 'dir' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo' | 'whiteout' | 'opaque';
  mode: number;
  uid: number;
  gid: number;
  uname?: string;
  gname?: string;
  /** Content size for files and resolved hard links, else 0. */
  size: number;
  /** For a directory: total content size below it (merged view). */
  subtreeSize?: number;
  mtime: number;
  /** Symlink target, hard link target, or `major,minor`. */
  link?: string;
  /** Layer whose entry made this node (for implicit dirs: the layer that needed them). */
  layer: number;
  /** Relative to the layers below: in a layer view, what this entry does; in the merged view, how the visible node came to be. */
  change: 'added' | 'modified' | 'unchanged' | 'removed';
  /** Layers whose version of this path this node replaced (merged view). */
  overrides?: number[];
  implicit?: boolean;
  /** Position of the entry in its layer's uncompressed tar, for reading the content. */
  dataOffset?: number;
  headerOffset?: number;
  /** Where this node's bytes are: the stored copy (for a hard link, its target's copy). */
  content?: {
    layer: number; dataOffset: number; size: number;
    /** Nydus: the layer whose bootstrap lists the file (its bytes are read through it, chunk by chunk). */
    bootstrap?: number;
    /** The member holding the bytes (a byte string of its normalised path): how an eStargz TOC names it. */
    member?: string;
  };
  /** Content hash (files, resolved hard links) when the analysis computed one. */
  hash?: string;
  xattrs?: Record<string, string>;
}
