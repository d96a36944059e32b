import type { ImageReport, TreeNode, Verification } from '../core/analysis/report.ts';
import type { LayerConversion } from '../core/convert/convert-image.ts';
import type { OutputLayout } from '../core/convert/image-sink.ts';
import type { ConvertTarget } from '../core/formats/layer-format.ts';
import type { ConvertSettings } from '../core/formats/layer-format.ts';
import type { Progress } from '../core/progress.ts';
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

// Views of one format's inspector: defined in that format's folder (src/worker/formats/<fmt>/).
export type { EstargzTocView, EstargzVerifyResult } from './formats/estargz/protocol.ts';
export type { NydusBootstrapView, NydusCheckView, NydusFileView } from './formats/nydus/protocol.ts';
export type { TarSplitRow, ZstdChunkedManifestView, ZstdChunkedTarSplitView, ZstdChunkedVerifyResult } from './formats/zstd-chunked/protocol.ts';

/** Converted archives kept in the private file system. */
export interface ExportInfo {
  name: string;
  size: number;
  lastModified: number;
}
