import type { ByteSource } from '../bytes/byte-source.ts';
import type { Digest } from '../digest/digest.ts';
import type { ImageReport, TreeNode } from '../analysis/report.ts';

/**
 * Where layerlab keeps what it already worked out, so opening the same image again is
 * immediate. Two halves with different costs:
 *
 * - `AnalysisStore`: small-to-medium structured data (reports, trees), looked up by a cheap
 *   *identity* of the input (name+size+mtime, URL+ETag+length) before anything is read, and by
 *   the image's own *key* (manifest or config digest) once it has been opened.
 * - `BlobStore`: large byte blobs, content-addressed by sha256 and verified on write.
 *
 * The browser implements both in the worker (IndexedDB + OPFS, src/worker/cache/); the CLI may
 * implement them on disk. Nothing here depends on a runtime.
 */

/** What an analysis is stored under: `manifest:<digest>@<platform>`, `config:<digest>`, `layer:<digest>`. */
export type AnalysisKey = string;

export interface AnalysisTrees {
  merged: TreeNode[];
  layers: TreeNode[][];
}

/** Listing data for one stored analysis: everything the cache page shows, without the bulk. */
export interface AnalysisMeta {
  key: AnalysisKey;
  /** Input identities that led here (a file, a URL, ...), most recent first. */
  identities: string[];
  /** The name the user last opened it under. */
  name: string;
  kind: ImageReport['source']['kind'];
  platform: string | null;
  layers: number;
  entries: number;
  /** Size of the image as opened (archive or folder bytes). */
  imageSize: number;
  /** Approximate bytes the stored report and trees take. */
  storedBytes: number;
  savedAt: number;
  lastOpenedAt: number;
  /** A verified local copy of the opened file, when one was kept (see BlobStore). */
  copy?: { digest: Digest; size: number };
  /** Why no copy was kept, in words ("copies are turned off"), for when the bytes are needed later. */
  noCopyReason?: string;
}

export interface AnalysisRecord {
  meta: AnalysisMeta;
  report: ImageReport;
  trees: AnalysisTrees;
}

export interface AnalysisStore {
  /** Key an identity was last resolved to, if any. */
  resolve(identity: string): Promise<AnalysisKey | undefined>;
  getMeta(key: AnalysisKey): Promise<AnalysisMeta | undefined>;
  get(key: AnalysisKey): Promise<AnalysisRecord | undefined>;
  put(record: AnalysisRecord): Promise<void>;
  /** Records that `identity` opens `key` (and updates lastOpenedAt). */
  link(identity: string, key: AnalysisKey): Promise<void>;
  /** Updates listing data only (e.g. a copy finished after the record was saved). */
  updateMeta(key: AnalysisKey, change: Partial<Omit<AnalysisMeta, 'key'>>): Promise<void>;
  list(): Promise<AnalysisMeta[]>;
  remove(key: AnalysisKey): Promise<void>;
  clear(): Promise<void>;
}

export interface BlobInfo {
  digest: Digest;
  size: number;
}

export interface BlobStore {
  /** The blob as a ByteSource, or undefined if it is not stored. */
  open(digest: Digest, name?: string): Promise<ByteSource | undefined>;
  /**
   * Starts writing a blob. Writes are synchronous (a tar parser pushes synchronously); `finish`
   * re-reads what was written and checks it against the sha256 computed while writing (and
   * against `expected`, when given) before the blob becomes visible under its digest.
   */
  create(expected?: Digest): BlobWriter;
  list(): Promise<BlobInfo[]>;
  remove(digest: Digest): Promise<void>;
  clear(): Promise<void>;
}

export interface BlobWriter {
  write(chunk: Uint8Array): void;
  /** Verifies and stores; rejects with DIGEST_MISMATCH (and stores nothing) if the check fails. */
  finish(): Promise<BlobInfo>;
  /** Drops a partly written blob. */
  discard(): void;
}
