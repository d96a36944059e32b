import type { SerializedError } from '../errors.ts';
import type { Compression } from '../compress/sniff.ts';
import type { EntryCounts } from '../layer/layer-scan.ts';
import type { EstargzSummary } from '../formats/estargz/index.ts';
import type { NydusSummary } from '../formats/nydus/index.ts';
import type { ZstdChunkedSummary } from '../formats/zstd-chunked/index.ts';

export type { EstargzSummary, NydusSummary };
import type { ImageConfig, ImageIndex, ImageManifest, PlatformOption, SourceKind } from '../image/types.ts';

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


export type { SourceKind, PlatformOption } from '../image/types.ts';

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

export type { EntryCounts } from '../layer/layer-scan.ts';

export type { Verification } from '../digest/digest.ts';
import type { Verification } from '../digest/digest.ts';

export interface LayerReport {
  index: number;
  digest: string;
  mediaType: string;
  size: number;
  /** sha256 of the whole decompressed stream, as computed (not as claimed). */
  diffID: string;
  /** Compression sniffed from the bytes, never from the media type. */
  format: Compression;
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
  /** The lazy-pull format the layer is in (a format id of core/formats/registry.ts), found from its bytes, never from the media type. */
  lazyFormat?: string;
  estargz?: EstargzSummary;
  zstdChunked?: ZstdChunkedSummary;
}

/** An eStargz layer as its footer and TOC describe it (../shared/spec/estargz.md). */

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
export type { TreeNode } from '../layer/tree-node.ts';
