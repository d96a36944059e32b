import { LayerlabError, checkAborted, toLayerlabError } from '../errors.ts';
import type { LayerHasherFactory } from '../digest/digest.ts';
import { throttleProgress, type LongOperation } from '../progress.ts';
import type { LayerBlob, OpenedImage } from '../image/opened-image.ts';
import { detectLazyFormat } from '../formats/detect.ts';
import { TOC_DIGEST_ANNOTATION } from '../formats/estargz/types.ts';
import { dockerArchiveLayerMediaType } from '../image/media-types.ts';
import { configPlatform } from '../image/platform.ts';
import type { DuplicateGroup, ImageReport, LayerReport, MergedStats, TreeNode } from './report.ts';
import { scanLayer, type LayerScan } from './layer-scan.ts';
import { MergedTree, byteOrder, type LayerChanges, type MergeNode } from './merged-tree.ts';
import { createContentHasher, type ContentHashKind } from '../digest/content-hasher.ts';
import { mapHistory, summarizeConfig } from './config-summary.ts';
import { buildLayerTree, buildMergedTree } from './tree-nodes.ts';
import { displayPath } from './tar-path.ts';

export interface AnalyzeOptions extends LongOperation {
  /** Per-file content hash for duplicates and change detection (default xxh128). */
  contentHash?: ContentHashKind;
  /** Build the per-layer and merged TreeNode lists (default true; the CLI's inspect turns it off). */
  trees?: boolean;
  /** Where layer digests are hashed (see ScanOptions.digestHasher). */
  digestHasher?: LayerHasherFactory;
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

  for (const layer of img.layers) {
    checkAborted(o.signal, { layer: layer.index });
    const reuse = layer.prescan?.contentHash === (o.contentHash ?? 'xxh128') ? layer.prescan.scan : undefined;
    const scan = reuse ?? await scanLayer(layer, {
      signal: o.signal, hasher, digestHasher: o.digestHasher,
      onBytes: (n) => progress({ phase: 'layers', layer: layer.index, layerDone: n, layerTotal: layer.source.size, done: before + n, total }),
    });
    before += layer.source.size;
    scans.push(scan);
    changes.push(tree.applyLayer(layer.index, scan));
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
    if (complete && layer.expectedDiffId) {
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
    if (!layer.openError && scan.format === 'gzip') problems.push(...await describeLazyFormat(layer, lr, o.signal));
    if (scan.error) {
      lr.error = scan.error.toJSON();
      problems.push(scan.error);
    }
    layers.push(lr);
  }
  progress({ phase: 'merge', layerDone: 0, layerTotal: 0, done: total, total });

  // Reachable copies: those a file or hard link node of the final tree shows (corpus README, wastedBytes).
  const merged: MergedStats = { files: 0, dirs: 0, symlinks: 0, hardlinks: 0, char: 0, block: 0, fifo: 0, totalBytes: 0 };
  const visible = new Set<object>();
  const largest: { key: string; size: number; layer: number }[] = [];
  for (const [key, node] of tree.walk()) {
    countMerged(merged, node);
    if (node.copy && !visible.has(node.copy.entry)) {
      visible.add(node.copy.entry);
      merged.totalBytes += node.copy.entry.size;
    }
    if (node.kind === 'file' && node.entry) largest.push({ key, size: node.entry.size, layer: node.layer });
  }
  scans.forEach((s, i) => {
    for (const e of s.entries) if (e.kind === 'file' && !visible.has(e)) layers[i].wastedBytes += e.size;
  });
  largest.sort((a, b) => b.size - a.size || byteOrder(a.key, b.key));
  largest.length = Math.min(largest.length, LARGEST_KEPT);

  const fileBytes = layers.reduce((s, l) => s + l.fileBytes, 0);
  const wastedBytes = layers.reduce((s, l) => s + l.wastedBytes, 0);
  const history = mapHistory(img.config, img.layers.length);
  if (!history.consistent) {
    problems.push(new LayerlabError('BAD_JSON', `the config history has ${history.rows.filter((r) => !r.emptyLayer).length} non-empty entries for ${img.layers.length} layers; history is shown unmapped`, { file: img.name }));
  }
  const trees = o.trees === false ? { merged: [], layers: [] }
    : { merged: buildMergedTree(tree), layers: scans.map((s, i) => buildLayerTree(i, s, changes[i])) };
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
  progress({ phase: 'done', layerDone: 0, layerTotal: 0, done: total, total });
  return { report, trees, tree, scans };
}

/**
 * Sets `lazyFormat` / `estargz` from the blob's tail (footer + TOC only: the stream was read once
 * by the scan) and checks the TOC against the layer's annotation. A damaged eStargz tail is a
 * problem of the layer, not a failure of the analysis.
 */
async function describeLazyFormat(layer: LayerBlob, lr: LayerReport, signal?: AbortSignal): Promise<LayerlabError[]> {
  const ctx = { file: layer.path, layer: layer.index, layerDigest: lr.digest || undefined };
  const expectedTocDigest = layer.descriptor.annotations?.[TOC_DIGEST_ANNOTATION];
  try {
    const found = await detectLazyFormat(layer.source, { expectedTocDigest, signal });
    if (!found) return [];
    const { format, ...estargz } = found;
    lr.lazyFormat = format;
    lr.estargz = estargz;
    if (estargz.tocDigestCheck !== 'mismatch') return [];
    return [new LayerlabError('DIGEST_MISMATCH', `layer ${layer.index} eStargz TOC digest mismatch: the annotation says ${expectedTocDigest}, the TOC is ${estargz.tocDigest}`,
      { ...ctx, offset: estargz.tocOffset, offsetSpace: 'compressed' })];
  } catch (e) {
    const err = toLayerlabError(e, ctx);
    if (err.code === 'ABORTED') throw err;
    return [err];
  }
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
