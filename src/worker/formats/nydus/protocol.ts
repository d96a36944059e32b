import type { TreeNode } from '../../../core/layer/tree-node.ts';
import type { BlobInfo as NydusBlobInfo, Bootstrap, TarRecord, TocEntry as NydusTocEntry } from '../../../core/formats/nydus/types.ts';

/** One Nydus bootstrap as the inspector shows it (the image's, or a blob layer's own). */
export interface NydusBootstrapView {
  /** The layer it was read from; `merged` when it is the image (or lone input) bootstrap. */
  layer: number;
  merged: boolean;
  version: 5 | 6;
  size: number;
  flags: number;
  flagNames: string[];
  compressor: string;
  digester: string;
  chunkSize: number;
  inodeCount: number;
  v6?: NonNullable<Bootstrap['v6']>;
  v5?: NonNullable<Bootstrap['v5']>;
  blobs: (NydusBlobInfo & { effectiveId: string; layer?: number; featureNames: string[] })[];
  prefetch: { nid: number; path: string }[];
  chunkTableEntries: number;
  problems: string[];
  treeError?: string;
  /** A blob layer: its records (from the tail walk) and TOC. */
  layerBlob?: { records: TarRecord[]; toc?: { offset: number; size: number; entries: NydusTocEntry[] }; notes: string[] };
  /** The bootstrap's tree as flat TreeNodes (`.wh.*` names shown as they are stored). */
  tree: TreeNode[];
}

/** One file of a bootstrap with its chunks. */
export interface NydusFileView {
  path: string;
  nid: number;
  ino: number;
  nlink: number;
  inodeOffset: number;
  size: number;
  mtime: number;
  xattrs: Record<string, string>;
  /** Other names of the same inode (hard links). */
  links: string[];
  chunks: {
    fileOffset: number; blobIndex: number; blobId: string; ciIndex: number; compressed: boolean;
    compressedOffset: number; compressedSize: number; uncompressedOffset: number; uncompressedSize: number;
    /** Hex chunk digest (blake3 or sha256 per blob); '' when only the CI array knows the chunk. */
    digest: string;
    /** Where the figures come from. */
    source: 'chunk table' | 'CI array';
  }[];
}

export interface NydusCheckView {
  ok: boolean;
  findings: { severity: 'error' | 'warning'; message: string; path?: string; blob?: number; offset?: number }[];
  counts: { dirs: number; files: number; symlinks: number; other: number; hardlinkNames: number; chunkRefs: number; uniqueChunks: number };
  verified: { blob: number; id: string; chunks: number; available: boolean }[];
  toc?: { name: string; result: string; detail?: string }[];
  seconds: number;
}

