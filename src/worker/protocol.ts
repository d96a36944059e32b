import type { ImageReport, TreeNode, Verification } from '../core/analysis/report.ts';
import type { LayerConversion } from '../core/convert/convert-image.ts';
import type { OutputLayout } from '../core/convert/image-sink.ts';
import type { ConvertTarget } from '../core/convert/layer-writer.ts';
import type { ConvertSettings } from '../core/convert/writers.ts';
import type { EstargzChunk } from '../core/formats/estargz/reader.ts';
import type { TocEntry } from '../core/formats/estargz/types.ts';
import type { Progress } from '../core/progress.ts';
import type { BlobInfo as NydusBlobInfo, Bootstrap, TarRecord, TocEntry as NydusTocEntry } from '../core/formats/nydus/types.ts';
import type { AnalysisMeta, BlobInfo } from '../core/store/content-store.ts';

/**
 * The data that crosses the worker boundary (structured clone). The UI imports these as types
 * only; the worker is the one place that turns them into engine inputs.
 */

/** One job = one cancellable call. The UI makes the id so it can cancel before the call returns. */
export type JobId = string;

/**
 * What the user opened. Every variant is structured-clone safe: File and
 * FileSystemDirectoryHandle travel by reference, not by content.
 */
export type EngineInput =
  | { kind: 'file'; file: File }
  /** A folder picked with `<input webkitdirectory>` or dropped without handle support. */
  | { kind: 'files'; name: string; files: { path: string; file: File }[] }
  | { kind: 'handle'; handle: FileSystemDirectoryHandle }
  /** An HTTP(S) URL, absolute (the bundled sample is one too). */
  | { kind: 'url'; url: string }
  /** A file in the origin-private file system, by '/'-separated path. */
  | { kind: 'opfs'; path: string }
  /** An analysis already in the cache; its bytes come from the kept copy, if there is one. */
  | { kind: 'cached'; key: string };

export interface AnalyzeRequest {
  /** `os/arch[/variant]` to pick from a multi-platform index. */
  platform?: string;
  /** Use a stored analysis when the input is known (default true). */
  useCache?: boolean;
  /** Keep a verified local copy of a file or URL up to this many bytes (0: never). */
  keepCopyUpTo?: number;
}

/** What the UI needs to find an opened image again, even in a restarted worker. */
export interface ImageRef {
  id: string;
  /** Cache key of its analysis (trees can be reloaded from it). */
  key: string;
  input: EngineInput;
  platform?: string;
}

export interface AnalyzeOutcome {
  /** Pass this back for file reads and trees; `image.key` is what a reload comes back to. */
  image: ImageRef;
  fromCache: boolean;
  report: ImageReport;
  merged: TreeNode[];
  /** Whether file contents can be read (false for a cached analysis whose bytes are gone). */
  readable: boolean;
  /** Why not, in words, when `readable` is false. */
  unreadableReason?: string;
}

/** Progress as the UI shows it: the engine's figures plus time, so the UI can show MB/s. */
export interface JobProgress extends Progress {
  elapsedMs: number;
}

export type ProgressCallback = (p: JobProgress) => void;

export interface FileRange {
  offset: number;
  length: number;
}

/** What the file viewer gets: the bytes and what the worker made of them. */
export interface FileChunk {
  bytes: Uint8Array;
  offset: number;
  /** Size of the whole file. */
  total: number;
  kind: 'text' | 'image' | 'binary' | 'empty';
  /** For images: the MIME type to build a blob URL with. */
  mime?: string;
}

export interface CacheListing {
  analyses: AnalysisMeta[];
  blobs: BlobInfo[];
  /** Bytes of blobs no analysis refers to (left over from an interrupted copy). */
  orphanBlobBytes: number;
  /** Temporary spool files of this and earlier sessions. */
  spoolBytes: number;
  /** Converted archives in `exports/`. */
  exports: ExportInfo[];
  usage?: number;
  quota?: number;
  persisted?: boolean;
}

/** Where a conversion's output goes. */
export type ConvertOutput =
  /** An archive in the browser's private file system (`exports/`), handed back as a File to download. */
  | { kind: 'opfs' }
  /** An OCI layout (or docker-archive layout) written into a folder the user picked; it must be empty. */
  | { kind: 'directory'; handle: FileSystemDirectoryHandle };

export interface ConvertRequest {
  settings: ConvertSettings;
  layout: OutputLayout;
  /** 'keep': a Docker image stays Docker where the target allows it; 'oci': OCI media types. */
  mediaTypes: 'keep' | 'oci';
  /** Convert every platform of the index (the opened one otherwise). */
  allPlatforms: boolean;
  output: ConvertOutput;
}

/** Progress of a conversion: the engine's, plus which platform (of how many) is being converted. */
export interface ConvertProgress extends JobProgress {
  platform?: string;
  platformIndex?: number;
  platformCount?: number;
}

export interface ConvertOutcome {
  target: ConvertTarget;
  layout: OutputLayout;
  /** One per converted platform. */
  manifests: {
    digest: string;
    platform?: string;
    mediaType: string;
    configDigest: string;
    style: 'docker' | 'oci';
    notes: string[];
    layers: LayerConversion[];
  }[];
  /** OPFS output: the archive, and the name to download it under. */
  file?: File;
  fileName?: string;
  /** Directory output: the folder's name. */
  directory?: string;
  /** Where the archive is kept in OPFS (`exports/<name>`), for the cache page. */
  opfsPath?: string;
  bytes: number;
  seconds: number;
}

/** One layer's estimated output size (from the analysis: nothing is read). */
export interface LayerEstimate {
  index: number;
  /** Stored size now. */
  from: number;
  estimate: number;
  /** The layer is already what the target makes and would be copied as is. */
  kept: boolean;
  /** How the figure was made, in words. */
  basis: string;
}

export interface ConversionEstimate {
  target: ConvertTarget;
  layers: LayerEstimate[];
  total: number;
}

/** An eStargz layer's footer and TOC, as the TOC browser shows them. */
export interface EstargzTocView {
  layer: number;
  footer: 'estargz' | 'stargz-legacy';
  tocOffset: number;
  tocDigest: string;
  tocDigestCheck: Verification;
  /** Size of the TOC JSON as stored. */
  tocBytes: number;
  landmark: 'prefetch' | 'no-prefetch' | 'none';
  prioritized: string[];
  /** TOC entries in stored order (`chunk` entries included). */
  entries: TocEntry[];
  /** Data chunks, in TOC order. */
  chunks: EstargzChunk[];
}

export interface EstargzVerifyResult {
  layer: number;
  chunks: number;
  bytes: number;
  seconds: number;
}

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

/** Converted archives kept in the private file system. */
export interface ExportInfo {
  name: string;
  size: number;
  lastModified: number;
}
