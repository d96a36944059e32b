/// <reference lib="webworker" />
import * as Comlink from 'comlink';
import { analyzeImage, type AnalysisResult } from '../core/analysis/analyze-image.ts';
import { readLayerFile } from '../core/analysis/read-file.ts';
import type { TreeNode } from '../core/analysis/report.ts';
import { openImage, type ImageInput } from '../core/image/open-image.ts';
import type { OpenedImage } from '../core/image/opened-image.ts';
import { LayerlabError } from '../core/errors.ts';
import type { AnalysisMeta, AnalysisRecord, BlobInfo } from '../core/store/content-store.ts';
import { copyingSource, type CopyingSource } from './cache/copying-source.ts';
import { estimateStoredBytes } from './cache/estimate-size.ts';
import { IdbAnalysisStore } from './cache/idb-analysis-store.ts';
import { OpfsBlobStore } from './cache/opfs-blob-store.ts';
import { OpfsSpool } from './cache/opfs-spool.ts';
import { opfsDir, opfsRoot, opfsUsage } from './cache/opfs.ts';
import { countingImage } from './counting-image.ts';
import { OpenImages, type ImageEntry } from './images.ts';
import { inputIdentity, inputName, resolveInput } from './inputs.ts';
import { cancelJob, runJob } from './jobs.ts';
import { progressSink, type ProgressSink } from './job-progress.ts';
import type {
  AnalyzeOutcome, AnalyzeRequest, CacheListing, ConversionEstimate, ConvertOutcome, ConvertProgress, ConvertRequest, EngineInput,
  ExportInfo, FileChunk, FileRange, ImageRef, JobId, JobProgress,
} from './protocol.ts';
import type { ImageReport } from '../core/analysis/report.ts';
import type { ConvertSettings, TargetInfo } from '../core/formats/layer-format.ts';
import { targets } from '../core/formats/registry.ts';
import type { BlobSpool } from '../core/store/blob-spool.ts';
import { estimateConversion } from './convert/estimate.ts';
import { EXPORTS_DIR, runConvert } from './convert/run-convert.ts';
import { entriesOf, opfsRemove } from './cache/opfs.ts';
import { sniffContent } from './sniff-content.ts';
import { estargzApi } from './formats/estargz/api.ts';
import { nydusApi } from './formats/nydus/api.ts';
import { zstdChunkedApi } from './formats/zstd-chunked/api.ts';
import type { FormatWorkerContext } from './formats/format-context.ts';
import { offloadedSha256 } from './hash-offload/offloaded-sha256.ts';

/** Layer digests are hashed on the other core while this one decompresses and parses. */
const digestHasher = offloadedSha256();

/** This worker's name for its spool folder (see OpfsSpool.sweep). */
const session = crypto.randomUUID();
const analyses = new IdbAnalysisStore();
const blobs = new OpfsBlobStore();
const images = new OpenImages();
/** Cache writes still running, so the cache page can wait for them instead of showing a stale list. */
const writes = new Set<Promise<unknown>>();

type RemoteProgress = (p: JobProgress) => unknown;
type RemoteConvertProgress = (p: ConvertProgress) => unknown;

/**
 * The engine as the UI sees it: a flat object exposed over comlink (style note §9). Every long
 * call takes a job id first (so `cancel(job)` can reach it) and a `Comlink.proxy` progress
 * callback last. Errors reject with a plain SerializedError (see jobs.ts).
 */
export const api = {
  /** Answers once the worker runs; the UI also waits for the ready message (engine.worker.ts). */
  ping: (): 'pong' => 'pong',

  /**
   * Opens and analyses an input, or returns the stored analysis when this input (or the image it
   * contains) was analysed before. Returns the report and the merged tree; per-layer trees come
   * from `layerTree`.
   */
  analyze(job: JobId, input: EngineInput, request: AnalyzeRequest, onProgress?: RemoteProgress): Promise<AnalyzeOutcome> {
    return withProgress(job, onProgress, (signal, progress) => analyzeInput(input, request, signal, progress));
  },

  /** One layer's own entries (whiteouts included), for the per-layer file tree. */
  layerTree(job: JobId, ref: ImageRef, layer: number, onProgress?: RemoteProgress): Promise<TreeNode[]> {
    return withProgress(job, onProgress, async (signal, progress) => {
      const trees = await treesOf(images.get(ref), signal, progress);
      const t = trees.layers[layer];
      if (!t) throw new LayerlabError('NOT_FOUND', `the image has no layer ${layer}`, { layer });
      return t;
    });
  },

  /**
   * Reads `range` of a file node (merged or per-layer: the node says which layer holds the
   * bytes). A compressed layer is decompressed from its start, so this is a long operation too.
   */
  readFile(job: JobId, ref: ImageRef, node: Pick<TreeNode, 'path' | 'content' | 'rawPath'>, range: FileRange,
    onProgress?: RemoteProgress): Promise<FileChunk> {
    return withProgress(job, onProgress, async (signal, progress) => {
      const c = node.content;
      if (!c) throw new LayerlabError('NOT_FOUND', `${node.path} has no content to read`, { entry: node.path });
      const img = await openedImage(images.get(ref), signal, progress);
      // Nydus: the file's chunks may lie in any blob layer; count them all.
      const counted = countingImage(img, c.bootstrap !== undefined ? 'all' : c.layer, (done, total) =>
        progress({ phase: 'layers', layer: c.layer, layerDone: done, layerTotal: total, done, total,
          message: c.bootstrap !== undefined ? `reading the chunks of ${node.path}` : `reading ${node.path} from layer ${c.layer}` }));
      let bytes = await readLayerFile(counted, node, { offset: range.offset, length: range.length, signal });
      // Transfer, never share: the bytes may be a view into a buffer the engine keeps.
      if (bytes.byteOffset !== 0 || bytes.byteLength !== bytes.buffer.byteLength) bytes = bytes.slice();
      const chunk: FileChunk = { bytes, offset: range.offset, total: c.size, ...sniffContent(bytes, node.path) };
      return Comlink.transfer(chunk, [bytes.buffer as ArrayBuffer]);
    });
  },

  /**
   * Converts the opened image (or every platform of its index) with `request.settings` into an
   * archive in OPFS `exports/` (returned as a File) or an OCI layout in a picked folder. Converted
   * layers are spooled in OPFS and the spool released afterwards; a cancel or an error removes
   * everything written.
   */
  convert(job: JobId, ref: ImageRef, request: ConvertRequest, onProgress?: RemoteConvertProgress): Promise<ConvertOutcome> {
    return withProgress(job, onProgress as RemoteProgress | undefined, async (signal, progress) => {
      const e = images.get(ref);
      // What the analysis verified need not be hashed again (both digests checked on those bytes).
      const report = await reportOf(e).catch(() => undefined);
      const verifiedDiffIds = new Map((report?.layers ?? []).filter((l) => l.digestCheck === 'ok' && l.diffIDCheck === 'ok').map((l) => [l.digest, l.diffID]));
      const outcome = await runConvert({
        verifiedDiffIds,
        name: inputName(ref.input) === ref.key ? (await analyses.getMeta(ref.key).catch(() => undefined))?.name ?? 'image' : inputName(ref.input),
        opened: () => openedImage(e, signal, progress),
        openPlatform: (platform, spool) => openFresh(e.ref, platform, spool, signal, progress),
        spool: () => OpfsSpool.open(session, `convert-${crypto.randomUUID()}`),
      }, request, signal, progress);
      return outcome;
    });
  },

  /** The formats the engine can write, with their option specs (plain data for the dialog). */
  convertTargets: (): TargetInfo[] => targets(),

  /** Estimated output size per layer for `settings`, from the analysis alone (nothing is read). */
  async estimateConversion(ref: ImageRef, settings: ConvertSettings): Promise<ConversionEstimate> {
    return estimateConversion(await reportOf(images.get(ref)), settings);
  },

  // Each format's inspector calls (src/worker/formats/<fmt>/api.ts).
  ...estargzApi(formatContext()),
  ...nydusApi(formatContext()),
  ...zstdChunkedApi(formatContext()),

  /** Converted archives kept in OPFS `exports/`. */
  async exportsList(): Promise<ExportInfo[]> {
    return listExports();
  },

  /** Removes one kept archive, or all of them. */
  async exportsRemove(name?: string): Promise<void> {
    const dir = await opfsDir(EXPORTS_DIR).catch(() => undefined);
    if (!dir) return;
    const names = name ? [name] : (await listExports()).map((x) => x.name);
    for (const n of names) await opfsRemove(dir, n);
  },

  closeImage(id: string): Promise<void> {
    return images.close(id);
  },

  /** Aborts a running job; false when it already finished. */
  cancel(job: JobId): boolean {
    return cancelJob(job);
  },

  async cacheList(): Promise<CacheListing> {
    await Promise.allSettled([...writes]);
    const list = await analyses.list();
    const out: CacheListing = { analyses: list, blobs: [], orphanBlobBytes: 0, spoolBytes: 0, exports: [] };
    try {
      await opfsRoot();
      out.blobs = await blobs.list();
      const used = new Set(list.map((a) => a.copy?.digest).filter(Boolean));
      out.orphanBlobBytes = out.blobs.filter((b) => !used.has(b.digest)).reduce((s, b) => s + b.size, 0)
        + (await opfsUsage(await opfsDir('tmp'))).bytes;
      out.spoolBytes = (await opfsUsage(await opfsDir('spool'))).bytes;
      out.exports = await listExports();
    } catch { /* no OPFS: nothing there */ }
    try {
      const est = await navigator.storage.estimate();
      out.usage = est.usage;
      out.quota = est.quota;
      out.persisted = await navigator.storage.persisted();
    } catch { /* not offered */ }
    return out;
  },

  /** Removes one analysis and its kept copy (unless another analysis uses the same bytes). */
  async cacheRemove(key: string): Promise<void> {
    await Promise.allSettled([...writes]);
    const meta = await analyses.getMeta(key);
    await analyses.remove(key);
    const digest = meta?.copy?.digest;
    if (digest && !(await analyses.list()).some((m) => m.copy?.digest === digest)) await blobs.remove(digest).catch(() => {});
  },

  /** Empties the cache: analyses, kept copies, and spool files no open tab is using. */
  async cacheClear(): Promise<void> {
    await Promise.allSettled([...writes]);
    await analyses.clear();
    await blobs.clear().catch(() => {});
    await OpfsSpool.sweep(session);
  },
};

export type EngineApi = typeof api;

async function listExports(): Promise<ExportInfo[]> {
  const out: ExportInfo[] = [];
  try {
    const dir = await opfsDir(EXPORTS_DIR);
    for await (const [name, h] of entriesOf(dir)) {
      if (h.kind !== 'file') continue;
      try {
        const f = await (h as FileSystemFileHandle).getFile();
        out.push({ name, size: f.size, lastModified: f.lastModified });
      } catch { /* being written */ }
    }
  } catch { /* no OPFS */ }
  return out.sort((a, b) => b.lastModified - a.lastModified);
}

/** The report of an open image: kept from its analysis, else the stored one. */
async function reportOf(e: ImageEntry): Promise<ImageReport> {
  if (e.report) return e.report;
  const rec = await analyses.get(e.ref.key).catch(() => undefined);
  if (!rec) throw new LayerlabError('NOT_FOUND', 'the analysis of this image is no longer available; open it again');
  return (e.report = rec.report);
}

/** What a format's worker calls use of the worker (src/worker/formats/format-context.ts). */
function formatContext(): FormatWorkerContext {
  return {
    withProgress,
    image: (ref, signal, progress) => openedImage(images.get(ref), signal, progress),
    layerBlob,
    countingImage,
  };
}

async function layerBlob(ref: ImageRef, layer: number, signal: AbortSignal, progress: ProgressSink) {
  const img = await openedImage(images.get(ref), signal, progress);
  const blob = img.layers[layer];
  if (!blob) throw new LayerlabError('NOT_FOUND', `the image has no layer ${layer}`, { layer });
  if (blob.openError) throw blob.openError;
  return blob;
}

/** The entry's input opened again, for another platform of its index (a conversion of every platform). */
async function openFresh(ref: ImageRef, platform: string, spool: BlobSpool, signal: AbortSignal, progress: ProgressSink): Promise<OpenedImage> {
  const copy = ref.input.kind === 'url' ? await keptCopy(ref.key) : undefined;
  const input = copy ? { kind: 'file' as const, source: copy } : await resolveInput(ref.input, { analyses, blobs }, signal);
  return openImage(input, { platform, signal, onProgress: progress, spool, digestHasher });
}

/** Called once by the worker entry: cleans up what crashed tabs left behind. */
export function startWorker(): void {
  void OpfsSpool.sweep(session);
  // A predecessor terminated mid-job (a cancelled conversion) may release its files only later.
  setTimeout(() => void OpfsSpool.sweepStale(session), 2500);
}

async function withProgress<T>(job: JobId, remote: RemoteProgress | undefined,
  fn: (signal: AbortSignal, progress: ProgressSink) => Promise<T>): Promise<T> {
  const progress = progressSink(remote);
  try {
    return await runJob(job, (signal) => fn(signal, progress));
  } finally {
    progress.close();
  }
}

async function analyzeInput(input: EngineInput, request: AnalyzeRequest, signal: AbortSignal, progress: ProgressSink): Promise<AnalyzeOutcome> {
  const useCache = request.useCache !== false;
  const platformTag = `|platform=${request.platform ?? ''}`;
  progress({ phase: 'open', layerDone: 0, layerTotal: 0, done: 0, total: 0, message: `looking for ${inputName(input)} in the cache` });
  const identity = useCache ? await inputIdentity(input, signal).catch(() => undefined) : undefined;
  const idKey = identity && identity + platformTag;

  // 1. Known input: the stored analysis, without reading the input at all.
  if (useCache) {
    const key = input.kind === 'cached' ? input.key : idKey && await analyses.resolve(idKey);
    const rec = key ? await analyses.get(key).catch(() => undefined) : undefined;
    if (rec) return fromCache(rec, input, request, idKey);
    if (input.kind === 'cached') {
      throw new LayerlabError('NOT_FOUND', 'this image is no longer in the browser cache; open the file again', { file: input.key });
    }
  }

  // 2. Open it (reads the index, manifest and config; lists an archive).
  const id = crypto.randomUUID();
  const spool = await OpfsSpool.open(session, id);
  let copier: CopyingSource | undefined;
  try {
    progress({ phase: 'open', layerDone: 0, layerTotal: 0, done: 0, total: 0, message: `opening ${inputName(input)}` });
    let engineInput = await resolveInput(input, { analyses, blobs }, signal);
    const noCopyReason = await copyRefusal(engineInput, request.keepCopyUpTo ?? 0);
    if (!noCopyReason && engineInput.kind === 'file') {
      copier = copyingSource(engineInput.source, blobs);
      engineInput = { kind: 'file', source: copier.source };
    }
    const opened = await openImage(engineInput, { platform: request.platform, signal, onProgress: progress, spool, digestHasher });

    // 3. The same image under another name (a URL now, a file before): still no layer read.
    const earlyKey = imageKey(opened);
    if (useCache && earlyKey) {
      const rec = await analyses.get(earlyKey).catch(() => undefined);
      if (rec) {
        copier?.finish();
        track(copier?.copied.then(async (info) => { if (info && !rec.meta.copy) await analyses.updateMeta(earlyKey, { copy: info }); }));
        return fromCache(rec, input, request, idKey, { opened, spool });
      }
    }

    // 4. Analyse.
    const result = await analyzeImage(opened, { signal, onProgress: progress, digestHasher, listFromIndex: true });
    copier?.finish();
    // A lone layer has no manifest or config: its own digest names it (empty if it was unreadable).
    const key = earlyKey ?? `layer:${result.report.layers[0]?.digest || id}`;
    const ref: ImageRef = { id, key, input, platform: request.platform };
    images.add({ ref, opened: Promise.resolve(opened), trees: result.trees, spool, report: result.report });
    const report = result.report;
    if (input.kind === 'url' || input.kind === 'file') report.source.name = inputName(input);
    // A layer the source failed to deliver (a dropped connection, a file that went away) may read
    // fine next time: such an analysis is not kept. A corrupt layer is corrupt every time: it is.
    if (!report.layers.some((l) => l.error?.code === 'IO')) {
      persist(key, [idKey, identity && identity + `|platform=${report.platform ?? ''}`], input, result, copier?.copied, noCopyReason);
    } else {
      dropCopy(copier);
    }
    return { image: ref, fromCache: false, report, merged: result.trees.merged, readable: true };
  } catch (e) {
    dropCopy(copier);
    await spool.release();
    throw e;
  }
}

/** Stops a copy and removes what it wrote, unless a stored analysis already uses the same bytes. */
function dropCopy(copier: CopyingSource | undefined): void {
  if (!copier) return;
  copier.stop();
  track(copier.copied.then(async (info) => {
    if (info && !(await analyses.list()).some((m) => m.copy?.digest === info.digest)) await blobs.remove(info.digest);
  }));
}

async function fromCache(rec: AnalysisRecord, input: EngineInput, request: AnalyzeRequest, idKey: string | undefined,
  live?: { opened: OpenedImage; spool: OpfsSpool }): Promise<AnalyzeOutcome> {
  const key = rec.meta.key;
  const ref: ImageRef = { id: crypto.randomUUID(), key, input, platform: request.platform };
  images.add({ ref, trees: rec.trees, report: rec.report, ...(live && { opened: Promise.resolve(live.opened), spool: live.spool }) });
  if (idKey) track(analyses.link(idKey, key));
  else track(analyses.updateMeta(key, { lastOpenedAt: Date.now() }));
  const report = structuredClone(rec.report);
  if (input.kind !== 'cached') report.source.name = inputName(input);
  let readable = true;
  let unreadableReason: string | undefined;
  if (input.kind === 'cached' && !(rec.meta.copy && await blobs.open(rec.meta.copy.digest).catch(() => undefined))) {
    readable = false;
    const why = rec.meta.copy ? 'the copy was removed' : rec.meta.noCopyReason ?? 'no copy was kept';
    unreadableReason = `Shown from the browser cache. The bytes of ${rec.meta.name} were not kept (${why}), so file contents can't be read: open the file again to read them.`;
  }
  return { image: ref, fromCache: true, report, merged: rec.trees.merged, readable, unreadableReason };
}

/** What an analysis is stored under: the image's own digest, whatever it was opened from. */
function imageKey(img: OpenedImage): string | undefined {
  if (img.manifestDigest) return `manifest:${img.manifestDigest}`;
  if (img.configDigest) return `config:${img.configDigest}`;
  return undefined;
}

function persist(key: string, identities: (string | undefined)[], input: EngineInput, result: AnalysisResult,
  copied: Promise<BlobInfo | undefined> | undefined, noCopyReason: string | undefined): void {
  const { report, trees } = result;
  const now = Date.now();
  const meta: AnalysisMeta = {
    key,
    identities: [...new Set(identities.filter((i): i is string => !!i))],
    name: inputName(input),
    kind: report.source.kind,
    platform: report.platform,
    layers: report.layers.length,
    entries: trees.merged.length,
    imageSize: report.source.size || report.layers.reduce((s, l) => s + l.size, 0),
    storedBytes: estimateStoredBytes({ report, trees }),
    savedAt: now,
    lastOpenedAt: now,
    noCopyReason,
  };
  track((async () => {
    await analyses.put({ meta, report, trees });
    const info = await copied;
    if (info) await analyses.updateMeta(key, { copy: info, noCopyReason: undefined });
    else if (copied) await analyses.updateMeta(key, { noCopyReason: 'the copy could not be written' });
  })().catch((e) => console.warn('layerlab: could not store the analysis in the browser cache:', e)));
}

function track(p: Promise<unknown> | undefined): void {
  if (!p) return;
  const q = p.catch(() => {}).finally(() => writes.delete(q));
  writes.add(q);
}

/**
 * The opened image of an entry, opening it now if needed (an image shown from the cache). A URL
 * is read from its kept copy when there is one: same image (the key is its digest), no network.
 */
function openedImage(e: ImageEntry, signal: AbortSignal, progress: ProgressSink): Promise<OpenedImage> {
  if (!e.opened) {
    const p = (async () => {
      const spool = e.spool ??= await OpfsSpool.open(session, e.ref.id);
      const copy = e.ref.input.kind === 'url' ? await keptCopy(e.ref.key) : undefined;
      const input = copy ? { kind: 'file' as const, source: copy } : await resolveInput(e.ref.input, { analyses, blobs }, signal);
      return openImage(input, { platform: e.ref.platform, signal, onProgress: progress, spool, digestHasher });
    })();
    e.opened = p;
    // A cancelled or failed open must not stick: the next read tries again.
    p.catch(() => { if (e.opened === p) e.opened = undefined; });
  }
  return e.opened;
}

async function keptCopy(key: string) {
  try {
    const meta = await analyses.getMeta(key);
    return meta?.copy ? await blobs.open(meta.copy.digest, meta.name) : undefined;
  } catch {
    return undefined;
  }
}

/** Trees of an entry: in memory, else from the cache, else (a restarted worker, a failed cache write) analysed again. */
async function treesOf(e: ImageEntry, signal: AbortSignal, progress: ProgressSink) {
  if (!e.trees) {
    const rec = await analyses.get(e.ref.key).catch(() => undefined);
    e.trees = rec?.trees ?? (await analyzeImage(await openedImage(e, signal, progress), { signal, onProgress: progress, digestHasher, listFromIndex: true })).trees;
  }
  return e.trees;
}

/** Why the input will not be copied into the cache, or undefined when it will be. */
async function copyRefusal(input: ImageInput, limit: number): Promise<string | undefined> {
  if (input.kind !== 'file') return 'it was opened as a folder, which is read where it is';
  if (limit <= 0) return 'keeping copies is turned off on the Cache page';
  if (input.source.size > limit) return `its ${mb(input.source.size)} are over the ${mb(limit)} copy limit set on the Cache page`;
  if (!await hasOpfs()) return "this browser offers no private file system to keep it in";
  return undefined;
}

function mb(n: number): string {
  return `${(n / 1e6).toFixed(n < 1e7 ? 1 : 0)} MB`;
}

async function hasOpfs(): Promise<boolean> {
  try { await opfsRoot(); return true; } catch { return false; }
}
