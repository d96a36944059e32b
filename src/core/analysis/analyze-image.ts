import { LayerlabError, checkAborted, toLayerlabError } from '../errors.ts';
import type { LayerHasherFactory } from '../digest/digest.ts';
import { throttleProgress, type LongOperation } from '../progress.ts';
import type { OpenedImage } from '../image/opened-image.ts';
import { detectLayer, formatById, imageReaderFor } from '../formats/registry.ts';
import type { DetectedLayer } from '../formats/layer-format.ts';
import { dockerArchiveLayerMediaType } from '../image/media-types.ts';
import { configPlatform } from '../image/platform.ts';
import type { DuplicateGroup, ImageReport, LayerReport, MergedStats, TreeNode } from './report.ts';
import { scanLayer, type LayerScan } from '../layer/layer-scan.ts';
import { MergedTree, byteOrder, type LayerChanges, type MergeNode } from '../layer/merged-tree.ts';
import { createContentHasher, type ContentHashKind } from '../digest/content-hasher.ts';
import { mapHistory, summarizeConfig } from './config-summary.ts';
import { buildLayerTree, buildMergedTree } from './tree-nodes.ts';
import { displayPath } from '../tar/tar-path.ts';

export interface AnalyzeOptions extends LongOperation {
  /** Per-file content hash for duplicates and change detection (default xxh128). */
  contentHash?: ContentHashKind;
  /** Build the per-layer and merged TreeNode lists (default true; the CLI's inspect turns it off). */
  trees?: boolean;
  /** Where layer digests are hashed (see ScanOptions.digestHasher). */
  digestHasher?: LayerHasherFactory;
  /**
   * Images read through their format's metadata (a Nydus image's bootstraps): hash each blob
   * whole to check its digest (default true). `false` leaves the blobs unread (only their tails
   * and bootstraps are fetched): `cat` of one file.
   */
  blobDigests?: boolean;
  /**
   * Layers in a format with an index (an eStargz TOC) are listed from it — footer and index read,
   * file data never inflated (LayerFormat.tree) — instead of from the tar. Their diffIDs are then
   * left unchecked; the stored digest is still checked, by reading the blob as stored.
   */
  listFromIndex?: boolean;
}

export interface AnalysisResult {
  report: ImageReport;
  trees: { merged: TreeNode[]; layers: TreeNode[][] };
  /** The merged tree itself, for callers that walk it (ls, cat, the tree TSV). */
  tree: MergedTree;
  scans: LayerScan[];
}

const LARGEST_KEPT = 25;
const DUPLICATE_GROUPS_KEPT = 200;

/**
 * Analyses an opened image: scans every layer once (./layer-scan.ts), merges them
 * (./merged-tree.ts), and computes the figures the corpus README defines. A layer that fails is
 * reported on that layer (its `error`) and the rest goes on; only a cancel stops the whole job.
 */
export async function analyzeImage(img: OpenedImage, o: AnalyzeOptions = {}): Promise<AnalysisResult> {
  const progress = throttleProgress(o.onProgress);
  const total = img.layers.reduce((s, l) => s + l.source.size, 0);
  const hasher = await createContentHasher(o.contentHash ?? 'xxh128');
  const tree = new MergedTree();
  const scans: LayerScan[] = [];
  const changes: LayerChanges[] = [];
  const layers: LayerReport[] = [];
  const problems: LayerlabError[] = [...img.problems];
  let before = 0;
  // An image read through its format's metadata (a Nydus image: its bootstraps), not as tars.
  const reader = imageReaderFor(img, { signal: o.signal, hasher, blobDigests: o.blobDigests, digestHasher: o.digestHasher });

  for (const layer of img.layers) {
    checkAborted(o.signal, { layer: layer.index });
    const onBytes = (n: number) => progress({ phase: 'layers', layer: layer.index, layerDone: n, layerTotal: layer.source.size, done: before + n, total });
    const reuse = img.kind === 'layer' && img.prescan?.contentHash === (o.contentHash ?? 'xxh128') ? img.prescan.scan : undefined;
    const claimed = !!reader?.claims(layer.index);
    // What the layer is (format registry); a damaged lazy-format tail is a problem of the layer.
    let detected: DetectedLayer | undefined;
    let detectProblem: LayerlabError | undefined;
    if (!layer.openError && !claimed) {
      try {
        detected = await detectLayer(layer, { signal: o.signal, image: img });
      } catch (e) {
        detectProblem = toLayerlabError(e, { file: layer.path, layer: layer.index, layerDigest: layer.descriptor.digest || undefined });
        if (detectProblem.code === 'ABORTED') throw detectProblem;
      }
    }
    const format = detected && formatById(detected.format);
    let scan = claimed ? await reader!.scanLayer(layer, onBytes) : undefined;
    if (!scan && !reuse && o.listFromIndex && format?.tree) scan = await format.tree(layer, { signal: o.signal, hasher, digestHasher: o.digestHasher, onBytes });
    scan ??= reuse ?? await scanLayer(layer, { signal: o.signal, hasher, digestHasher: o.digestHasher, onBytes });
    before += layer.source.size;
    scans.push(scan);
    // A layer of format metadata (a Nydus bootstrap layer holds image/image.boot) has no files of the image.
    const metadataLayer = !!reader?.isMetadataLayer(layer.index);
    changes.push((metadataLayer ? new MergedTree() : tree).applyLayer(layer.index, scan));
    problems.push(...scan.warnings);

    const d = layer.descriptor;
    const complete = !scan.error;
    const lr: LayerReport = {
      index: layer.index,
      digest: layer.digestIsClaim ? d.digest : scan.digest,
      mediaType: layer.digestIsClaim ? d.mediaType : (d.mediaType || dockerArchiveLayerMediaType(scan.format)),
      size: d.size,
      diffID: scan.diffID,
      format: scan.format,
      entries: scan.counts,
      fileBytes: scan.fileBytes,
      whiteouts: scan.markers.filter((m) => !m.opaque).length,
      opaqueDirs: scan.markers.filter((m) => m.opaque).length,
      wastedBytes: 0,
      uncompressedSize: scan.uncompressedSize,
      added: changes[changes.length - 1].added,
      modified: changes[changes.length - 1].modified,
      removed: changes[changes.length - 1].removed,
      digestCheck: 'unchecked',
      diffIDCheck: 'unchecked',
      sparseEntries: scan.sparseEntries,
    };
    if (d.annotations) lr.annotations = d.annotations;
    if (layer.expectedDiffId) lr.expectedDiffID = layer.expectedDiffId;
    if (scan.digest && layer.digestIsClaim && d.digest.startsWith('sha256:')) {
      lr.digestCheck = scan.digest === d.digest ? 'ok' : 'mismatch';
      if (lr.digestCheck === 'mismatch') {
        problems.push(new LayerlabError('DIGEST_MISMATCH', `layer ${layer.index} digest mismatch: the manifest says ${d.digest}, the blob is ${scan.digest}`,
          { file: layer.path, layer: layer.index, layerDigest: d.digest }));
      }
    }
    if (complete && layer.expectedDiffId && scan.diffID) {
      lr.diffIDCheck = scan.diffID === layer.expectedDiffId ? 'ok' : 'mismatch';
      if (lr.diffIDCheck === 'mismatch') {
        problems.push(new LayerlabError('DIGEST_MISMATCH', `layer ${layer.index} diffID mismatch: the config says ${layer.expectedDiffId}, the uncompressed layer is ${scan.diffID}`,
          { file: layer.path, layer: layer.index, layerDigest: lr.digest }));
      }
    }
    if (scan.sparseEntries) {
      problems.push(new LayerlabError('UNSUPPORTED', `layer ${layer.index} has ${scan.sparseEntries} GNU sparse member(s); their sizes are counted, their contents are not expanded`,
        { file: layer.path, layer: layer.index }));
    }
    if (claimed) lr.lazyFormat = reader!.format;
    if (detected && format?.describe) {
      const d = format.describe(detected, layer);
      Object.assign(lr, d.report);
      problems.push(...d.problems);
    }
    if (detectProblem) problems.push(detectProblem);
    if (scan.error) {
      lr.error = scan.error.toJSON();
      problems.push(scan.error);
    }
    layers.push(lr);
  }
  progress({ phase: 'merge', layerDone: 0, layerTotal: 0, done: total, total });

  // An image read through its format's metadata: the merged tree is what a mount of it shows
  // (a Nydus image bootstrap's); the OCI merge of the layers (`tree` so far) still gives changes and waste.
  let shown = tree;
  let formatReport: Record<string, unknown> | undefined;
  if (reader) {
    const r = await reader.finish(tree);
    if (r.shown) shown = r.shown;
    formatReport = r.report;
    problems.push(...r.problems);
  }

  // Reachable copies: those a file or hard link node of the final tree shows (corpus README, wastedBytes).
  const merged: MergedStats = { files: 0, dirs: 0, symlinks: 0, hardlinks: 0, char: 0, block: 0, fifo: 0, totalBytes: 0 };
  const visible = new Set<object>();
  const largest: { key: string; size: number; layer: number }[] = [];
  for (const [key, node] of shown.walk()) {
    countMerged(merged, node);
    if (node.copy && !visible.has(node.copy.entry)) {
      visible.add(node.copy.entry);
      merged.totalBytes += node.copy.entry.size;
    }
    if (node.kind === 'file' && node.entry) largest.push({ key, size: node.entry.size, layer: node.layer });
  }
  if (shown === tree) {
    scans.forEach((s, i) => {
      for (const e of s.entries) if (e.kind === 'file' && !visible.has(e)) layers[i].wastedBytes += e.size;
    });
  } else {
    // Visible copies are those of the OCI merge of the layers; a metadata layer's own files are not the image's.
    const seen = new Set<object>();
    for (const [, node] of tree.walk()) if (node.copy) seen.add(node.copy.entry);
    scans.forEach((s, i) => {
      if (reader?.isMetadataLayer(i)) return;
      for (const e of s.entries) if (e.kind === 'file' && !seen.has(e)) layers[i].wastedBytes += e.size;
    });
  }
  largest.sort((a, b) => b.size - a.size || byteOrder(a.key, b.key));
  largest.length = Math.min(largest.length, LARGEST_KEPT);

  const fileBytes = layers.reduce((s, l) => s + l.fileBytes, 0);
  const wastedBytes = layers.reduce((s, l) => s + l.wastedBytes, 0);
  const history = mapHistory(img.config, img.layers.length);
  if (!history.consistent) {
    problems.push(new LayerlabError('BAD_JSON', `the config history has ${history.rows.filter((r) => !r.emptyLayer).length} non-empty entries for ${img.layers.length} layers; history is shown unmapped`, { file: img.name }));
  }
  const trees = o.trees === false ? { merged: [], layers: [] }
    : { merged: buildMergedTree(shown), layers: scans.map((s, i) => buildLayerTree(i, s, changes[i])) };
  if (o.trees !== false) reader?.markTrees?.(trees, tree, shown);
  const report: ImageReport = {
    schema: 1,
    source: { name: img.name, kind: img.kind, size: img.size },
    platform: img.kind === 'layer' ? null : configPlatform(img.config),
    platforms: img.platforms,
    manifestDigest: img.manifestDigest,
    configDigest: img.configDigest,
    index: img.index,
    manifest: img.manifest,
    config: img.config,
    summary: img.config ? summarizeConfig(img.config) : undefined,
    history: history.rows,
    layers,
    merged,
    largest: largest.map(({ key, size, layer }) => ({ path: displayKey(key), size, layer })),
    duplicates: findDuplicates(scans),
    efficiency: fileBytes === 0 ? 1 : 1 - wastedBytes / fileBytes,
    wastedBytes,
    problems: problems.map((p) => p.toJSON()),
  };
  if (formatReport) Object.assign(report, formatReport);
  progress({ phase: 'done', layerDone: 0, layerTotal: 0, done: total, total });
  return { report, trees, tree: shown, scans };
}

function countMerged(m: MergedStats, n: MergeNode): void {
  switch (n.kind) {
    case 'file': m.files++; break;
    case 'dir': m.dirs++; break;
    case 'symlink': m.symlinks++; break;
    case 'hardlink': m.hardlinks++; break;
    case 'char': m.char++; break;
    case 'block': m.block++; break;
    case 'fifo': m.fifo++; break;
  }
}

/** Files stored more than once (same size and content hash), in any layers. */
function findDuplicates(scans: LayerScan[]): DuplicateGroup[] {
  const groups = new Map<string, DuplicateGroup>();
  scans.forEach((s, layer) => {
    for (const e of s.entries) {
      if (e.kind !== 'file' || !e.hash || e.size === 0) continue;
      const k = `${e.size}:${e.hash}`;
      let g = groups.get(k);
      if (!g) groups.set(k, g = { size: e.size, hash: e.hash, copies: [], wasted: 0 });
      g.copies.push({ layer, path: displayKey(e.key) });
    }
  });
  const out = [...groups.values()].filter((g) => g.copies.length > 1);
  for (const g of out) g.wasted = g.size * (g.copies.length - 1);
  out.sort((a, b) => b.wasted - a.wasted);
  return out.slice(0, DUPLICATE_GROUPS_KEPT);
}

function displayKey(key: string): string {
  return displayPath(key).text;
}
