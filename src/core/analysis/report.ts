import type { SerializedError } from '../errors.ts';
import type { ImageConfig, ImageIndex, ImageManifest } from '../image/types.ts';

/**
 * The result of analysing an image: plain data (structured-clone and JSON safe), the same object
 * the worker returns to the UI, the CLI prints, and the cache stores. Field meanings follow
 * ../shared/tools/corpus/README.md ("Definitions"), which is the contract for the figures.
 */
export interface ImageReport {
  schema: 1;
  source: { name: string; kind: SourceKind; size: number };
  /** `os/arch[/variant]` from the config; null for a lone layer blob. */
  platform: string | null;
  /** Every platform an index offered (empty when there was no index). */
  platforms: PlatformOption[];
  manifestDigest?: string;
  configDigest?: string;
  index?: ImageIndex;
  manifest?: ImageManifest;
  config?: ImageConfig;
  summary?: ConfigSummary;
  /** History with each non-empty entry mapped to its layer index. */
  history: HistoryRow[];
  layers: LayerReport[];
  merged: MergedStats;
  /** Largest visible files in the merged tree, biggest first. */
  largest: { path: string; size: number; layer: number }[];
  /** Content stored in more than one layer (same size and hash), biggest waste first. */
  duplicates: DuplicateGroup[];
  /** Efficiency as 1 - wasted / sum(fileBytes); 1 when there is nothing. */
  efficiency: number;
  wastedBytes: number;
  /** Non-fatal problems (digest mismatch, unreadable layer, ...). The analysis still completed. */
  problems: SerializedError[];
  /** A Nydus image, bootstrap or per-layer blob (./nydus-image.ts): the bootstrap's tables and chunk figures. */
  nydus?: NydusSummary;
}

/**
 * A Nydus input as its bootstraps describe it (../shared/spec/nydus.md §4, §6.5, §8): the merged
 * bootstrap's superblock figures, blob and prefetch tables, and per blob layer how many chunks it
 * stores and how many it takes from lower layers (chunk dedup).
 */
export interface NydusSummary {
  /** A whole image (blob layers + bootstrap layer), a lone bootstrap, or a lone per-layer blob. */
  input: 'image' | 'bootstrap' | 'layer-blob';
  /** Layer index of the merged bootstrap (the bootstrap layer; 0 for a lone input). */
  bootstrapLayer: number;
  /** Bytes of the bootstrap (image.boot). */
  bootstrapSize: number;
  rafsVersion: 5 | 6;
  /** RAFS super flags. */
  flags: number;
  compressor: string;
  digester: string;
  chunkSize: number;
  inodes: number;
  /** Names in the tree (hard links count once per name). */
  names: number;
  blobs: {
    index: number;
    /** The layer digest hex it stands for. */
    id: string;
    /** The layer holding it (undefined: not in this image). */
    layer?: number;
    chunkCount: number;
    chunkSize: number;
    compressedSize: number;
    uncompressedSize: number;
    compressor: string;
    digester: string;
    features: number;
    featureNames: string[];
  }[];
  prefetch: { nid: number; path: string }[];
  /** Over the merged tree's files (each inode once): chunk references, distinct chunks and their sizes. */
  chunks: { refs: number; unique: number; compressedBytes: number; uncompressedBytes: number };
  /** Per blob layer, from its own bootstrap. */
  layers: {
    layer: number;
    blobId: string;
    chunkRefs: number;
    uniqueChunks: number;
    /** Chunks stored in this layer's blob, and their sizes. */
    storedChunks: number;
    storedCompressedBytes: number;
    storedUncompressedBytes: number;
    /** Chunks this layer's files take from lower layers' blobs (cross-layer dedup), and their uncompressed bytes. */
    dedupChunks: number;
    dedupBytes: number;
    lowerBlobs: string[];
  }[];
  /** What the bootstrap decoder tolerated. */
  problems: string[];
}

export type SourceKind = 'docker-archive' | 'oci-layout' | 'oci-archive' | 'layer';

export interface PlatformOption {
  platform: string;
  digest: string;
  mediaType: string;
}

export interface ConfigSummary {
  entrypoint: string[] | null;
  cmd: string[] | null;
  env: string[];
  user: string;
  workdir: string;
  ports: string[];
  labels: Record<string, string>;
  volumes: string[];
  created?: string;
  author?: string;
}

export interface HistoryRow {
  created?: string;
  createdBy?: string;
  comment?: string;
  emptyLayer: boolean;
  /** Index into `layers` for non-empty entries; undefined for empty ones or when counts disagree. */
  layer?: number;
}

export interface EntryCounts {
  file: number;
  dir: number;
  symlink: number;
  hardlink: number;
  char: number;
  block: number;
  fifo: number;
}

export type Verification = 'ok' | 'mismatch' | 'unchecked';

export interface LayerReport {
  index: number;
  digest: string;
  mediaType: string;
  size: number;
  /** sha256 of the whole decompressed stream, as computed (not as claimed). */
  diffID: string;
  /** Compression sniffed from the bytes, never from the media type. */
  format: 'gzip' | 'zstd' | 'none';
  entries: EntryCounts;
  fileBytes: number;
  whiteouts: number;
  opaqueDirs: number;
  wastedBytes: number;
  uncompressedSize: number;
  /** Paths this layer adds, changes, or removes relative to the layers below. */
  added: number;
  modified: number;
  removed: number;
  annotations?: Record<string, string>;
  digestCheck: Verification;
  diffIDCheck: Verification;
  expectedDiffID?: string;
  /** Set when this layer could not be read completely; its counts cover what was read. */
  error?: SerializedError;
  /** GNU sparse members met (reported, their data not expanded). */
  sparseEntries: number;
  /** Set when the blob's tail is a lazy-pull format's (core/formats/detect.ts), never from the media type. */
  lazyFormat?: 'estargz' | 'nydus';
  estargz?: EstargzSummary;
}

/** An eStargz layer as its footer and TOC describe it (../shared/spec/estargz.md). */
export interface EstargzSummary {
  /** 51-byte eStargz footer, or the 47-byte legacy stargz one (no chunk digests). */
  footer: 'estargz' | 'stargz-legacy';
  /** sha256 of the TOC JSON as stored. */
  tocDigest: string;
  /** Compressed offset of the TOC member. */
  tocOffset: number;
  /** TOC entries, `chunk` entries included. */
  entries: number;
  /** Data chunks, each in its own gzip member with its own digest. */
  chunks: number;
  /** Entries before `.prefetch.landmark`, names as stored. */
  prioritized: string[];
  landmark: 'prefetch' | 'no-prefetch' | 'none';
  /** Against the layer's `containerd.io/snapshot/stargz/toc.digest` annotation. */
  tocDigestCheck: Verification;
}

export interface MergedStats {
  files: number;
  dirs: number;
  symlinks: number;
  hardlinks: number;
  char: number;
  block: number;
  fifo: number;
  totalBytes: number;
}

export interface DuplicateGroup {
  size: number;
  /** Hash of the content (xxh128 or sha256, as the analysis was run). */
  hash: string;
  copies: { layer: number; path: string }[];
  /** size × (copies − 1) */
  wasted: number;
}

/**
 * One node of a file tree, flat (the UI virtualises a list of these). `path` has no leading '/'.
 * Paths are UTF-8 decoded for display; `rawPath` is set only when the name is not valid UTF-8.
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
