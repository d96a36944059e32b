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
import { NydusScanner, nydusLayout, nydusSummary, type LoadedBootstrap } from './nydus-image.ts';
import { scanEstargzToc } from './estargz-scan.ts';

export interface AnalyzeOptions extends LongOperation {
  /** Per-file content hash for duplicates and change detection (default xxh128). */
  contentHash?: ContentHashKind;
  /** Build the per-layer and merged TreeNode lists (default true; the CLI's inspect turns it off). */
  trees?: boolean;
  /** Where layer digests are hashed (see ScanOptions.digestHasher). */
  digestHasher?: LayerHasherFactory;
  /**
   * Nydus blob layers: hash each blob whole to check its digest (default true). `false` leaves
   * the blobs unread (only their tails and bootstraps are fetched): `cat` of one file.
   */
  nydusDigests?: boolean;
  /**
   * eStargz layers: build their entries from the TOC (footer and TOC read, file data never
   * inflated; ./estargz-scan.ts) instead of the tar. Their diffIDs are then left unchecked. The
   * stored digest is still checked, by reading the blob as stored.
   */
  estargzToc?: boolean;
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
  // A Nydus input: blob layers are read through their bootstraps, never as tars (./nydus-image.ts).
  const nydus = nydusLayout(img);
  const nydusScanner = nydus && new NydusScanner(img, { signal: o.signal, hasher, digests: o.nydusDigests, digestHasher: o.digestHasher });
  const nydusBoots = new Map<number, LoadedBootstrap>();

  for (const layer of img.layers) {
    checkAborted(o.signal, { layer: layer.index });
    const onBytes = (n: number) => progress({ phase: 'layers', layer: layer.index, layerDone: n, layerTotal: layer.source.size, done: before + n, total });
    const reuse = layer.prescan?.contentHash === (o.contentHash ?? 'xxh128') ? layer.prescan.scan : undefined;
    let scan: LayerScan;
    const viaBootstrap = nydusScanner && (nydus.blobLayers.includes(layer.index) || nydus.kind === 'bootstrap');
    if (viaBootstrap) {
      const r = await nydusScanner.scanLayer(layer, onBytes);
      scan = r.scan;
      if (r.loaded) nydusBoots.set(layer.index, r.loaded);
    } else {
      const fromToc = !reuse && o.estargzToc ? await scanEstargzToc(layer, { signal: o.signal, hasher, digestHasher: o.digestHasher, onBytes }) : undefined;
      scan = reuse ?? fromToc ?? await scanLayer(layer, { signal: o.signal, hasher, digestHasher: o.digestHasher, onBytes });
    }
    before += layer.source.size;
    scans.push(scan);
    // The bootstrap layer of a Nydus image holds image/image.boot, not files of the image.
    const isBootstrapLayer = nydus?.kind === 'image' && layer.index === nydus.bootstrapLayer;
    changes.push((isBootstrapLayer ? new MergedTree() : tree).applyLayer(layer.index, scan));
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
    if (viaBootstrap) lr.lazyFormat = 'nydus';
    if (!layer.openError && scan.format === 'gzip') problems.push(...await describeLazyFormat(layer, lr, o.signal));
    if (scan.error) {
      lr.error = scan.error.toJSON();
      problems.push(scan.error);
    }
    layers.push(lr);
  }
  progress({ phase: 'merge', layerDone: 0, layerTotal: 0, done: total, total });

  // Nydus image: the merged tree is the image bootstrap's (what a Nydus mount shows); the OCI
  // merge of the per-layer bootstraps (`tree` so far) still gives changes and waste.
  let shown = tree;
  let nydusReport: ImageReport['nydus'];
  if (nydus && nydusScanner) {
    try {
      let merged = nydusBoots.get(nydus.bootstrapLayer);
      if (nydus.kind === 'image') {
        const m = await nydusScanner.scanMerged(nydus.bootstrapLayer);
        merged = m.loaded;
        shown = new MergedTree();
        shown.applyLayer(nydus.bootstrapLayer, m.scan);
        problems.push(...compareNydusMerge(tree, shown, img.layers[nydus.bootstrapLayer].path));
      }
      const perLayer = new Map([...nydusBoots].filter(([l]) => nydus.blobLayers.includes(l)));
      if (merged) nydusReport = nydusSummary(nydus, merged, perLayer, merged.boot.size);
    } catch (e) {
      const err = toLayerlabError(e, { file: img.layers[nydus.bootstrapLayer]?.path, layer: nydus.bootstrapLayer });
      if (err.code === 'ABORTED') throw err;
      problems.push(err);
    }
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
    // Visible copies are those of the OCI merge of the per-layer bootstraps; the bootstrap layer's own files are not the image's.
    const seen = new Set<object>();
    for (const [, node] of tree.walk()) if (node.copy) seen.add(node.copy.entry);
    scans.forEach((s, i) => {
      if (i === nydus?.bootstrapLayer) return;
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
  if (nydus && o.trees !== false) markNydusTrees(trees, nydus, tree, shown, nydusBoots);
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
  if (nydusReport) report.nydus = nydusReport;
  progress({ phase: 'done', layerDone: 0, layerTotal: 0, done: total, total });
  return { report, trees, tree: shown, scans };
}

/**
 * Nydus trees: file bytes are read through a bootstrap (`content.bootstrap`), not at a tar
 * offset. Merged nodes come from the image bootstrap; the layer that made each one (and what it
 * replaced) is taken from the OCI merge of the per-layer bootstraps.
 */
function markNydusTrees(trees: AnalysisResult['trees'], nydus: NonNullable<ReturnType<typeof nydusLayout>>, oci: MergedTree, shown: MergedTree,
  boots: Map<number, LoadedBootstrap>): void {
  const readable = (layer: number) => nydus.kind !== 'bootstrap' && (layer === nydus.bootstrapLayer || boots.has(layer));
  const mark = (nodes: TreeNode[], bootLayer: number) => {
    for (const t of nodes) {
      if (!t.content) continue;
      if (!readable(bootLayer)) { delete t.content; continue; }
      t.content = { layer: t.layer, dataOffset: 0, size: t.content.size, bootstrap: bootLayer };
      delete t.dataOffset;
      delete t.headerOffset;
    }
  };
  if (shown !== oci) {
    const byPath = new Map<string, MergeNode>();
    for (const [key, node] of oci.walk()) byPath.set(displayKey(key), node);
    for (const t of trees.merged) {
      const n = byPath.get(t.path);
      if (!n) continue;
      t.layer = n.layer;
      if (n.implicit) t.implicit = true;
      if (n.overrides?.length) { t.overrides = n.overrides.filter((l) => l >= 0); t.change = 'modified'; } else { delete t.overrides; t.change = 'added'; }
    }
    mark(trees.merged, nydus.bootstrapLayer);
  } else {
    mark(trees.merged, nydus.bootstrapLayer);
  }
  for (const l of nydus.blobLayers) if (trees.layers[l]) mark(trees.layers[l], l);
}

/** The image bootstrap against the OCI merge of the per-layer bootstraps (spec §8.4 merged-image checks). */
function compareNydusMerge(oci: MergedTree, shown: MergedTree, file: string): LayerlabError[] {
  const a = new Map<string, string>(), b = new Map<string, string>();
  for (const [k, n] of oci.walk()) a.set(k, n.kind);
  for (const [k, n] of shown.walk()) b.set(k, n.kind);
  const diff: string[] = [];
  for (const [k, kind] of b) if (a.get(k) !== kind && kind !== 'hardlink' && a.get(k) !== 'hardlink') diff.push(`${displayKey(k)} (${a.has(k) ? `${a.get(k)} → ${kind}` : 'only in the bootstrap'})`);
  for (const k of a.keys()) if (!b.has(k)) diff.push(`${displayKey(k)} (missing from the bootstrap)`);
  if (!diff.length) return [];
  return [new LayerlabError('BAD_LAZY_FORMAT', `the Nydus bootstrap's tree differs from the OCI merge of the layers' own bootstraps in ${diff.length} path(s): ${diff.slice(0, 5).join(', ')}${diff.length > 5 ? ', …' : ''}`, { file })];
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
