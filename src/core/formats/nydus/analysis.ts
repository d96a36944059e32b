import { LayerlabError, toLayerlabError } from '../../errors.ts';
import type { OpenedImage } from '../../image/opened-image.ts';
import { MergedTree, type MergeNode } from '../../layer/merged-tree.ts';
import type { TreeNode } from '../../layer/tree-node.ts';
import { displayPath } from '../../tar/tar-path.ts';
import type { ImageReader, ImageReaderOptions } from '../layer-format.ts';
import { NYDUS_FORMAT_ID, NydusScanner, nydusLayout, nydusSummary, type LoadedBootstrap, type NydusLayout } from './image-reader.ts';

/**
 * A Nydus input in the image analysis (../shared/spec/nydus.md §6.5, §8): blob layers are listed
 * from their own bootstraps, never read as tars; the bootstrap layer holds metadata, not files of
 * the image, so it stays out of the OCI merge; the tree a mount shows is the image bootstrap's,
 * checked against the OCI merge of the per-layer bootstraps.
 */
export function nydusImageReader(img: OpenedImage, o: ImageReaderOptions): ImageReader | undefined {
  const layout = nydusLayout(img);
  if (!layout) return undefined;
  const scanner = new NydusScanner(img, { signal: o.signal, hasher: o.hasher, digests: o.blobDigests, digestHasher: o.digestHasher });
  const boots = new Map<number, LoadedBootstrap>();
  const claims = (i: number) => layout.blobLayers.includes(i) || layout.kind === 'bootstrap';
  return {
    format: NYDUS_FORMAT_ID,
    claims,
    isMetadataLayer: (i) => layout.kind === 'image' && i === layout.bootstrapLayer,
    async scanLayer(layer, onBytes) {
      if (!claims(layer.index)) return undefined;
      const r = await scanner.scanLayer(layer, onBytes);
      if (r.loaded) boots.set(layer.index, r.loaded);
      return r.scan;
    },
    async finish(oci) {
      const problems: LayerlabError[] = [];
      let shown: MergedTree | undefined;
      let report: Record<string, unknown> | undefined;
      try {
        let merged = boots.get(layout.bootstrapLayer);
        if (layout.kind === 'image') {
          const m = await scanner.scanMerged(layout.bootstrapLayer);
          merged = m.loaded;
          shown = new MergedTree();
          shown.applyLayer(layout.bootstrapLayer, m.scan);
          problems.push(...compareNydusMerge(oci, shown, img.layers[layout.bootstrapLayer].path));
        }
        const perLayer = new Map([...boots].filter(([l]) => layout.blobLayers.includes(l)));
        if (merged) report = { nydus: nydusSummary(layout, merged, perLayer, merged.boot.size) };
      } catch (e) {
        const err = toLayerlabError(e, { file: img.layers[layout.bootstrapLayer]?.path, layer: layout.bootstrapLayer });
        if (err.code === 'ABORTED') throw err;
        problems.push(err);
      }
      return { shown, report, problems };
    },
    markTrees: (trees, oci, shown) => markNydusTrees(trees, layout, oci, shown, boots),
  };
}

/**
 * Nydus trees: file bytes are read through a bootstrap (`content.bootstrap`), not at a tar
 * offset. Merged nodes come from the image bootstrap; the layer that made each one (and what it
 * replaced) is taken from the OCI merge of the per-layer bootstraps.
 */
function markNydusTrees(trees: { merged: TreeNode[]; layers: TreeNode[][] }, nydus: NydusLayout, oci: MergedTree, shown: MergedTree,
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
    for (const [key, node] of oci.walk()) byPath.set(displayPath(key).text, node);
    for (const t of trees.merged) {
      const n = byPath.get(t.path);
      if (!n) continue;
      t.layer = n.layer;
      if (n.implicit) t.implicit = true;
      if (n.overrides?.length) { t.overrides = n.overrides.filter((l) => l >= 0); t.change = 'modified'; } else { delete t.overrides; t.change = 'added'; }
    }
  }
  mark(trees.merged, nydus.bootstrapLayer);
  for (const l of nydus.blobLayers) if (trees.layers[l]) mark(trees.layers[l], l);
}

/** The image bootstrap against the OCI merge of the per-layer bootstraps (spec §8.4 merged-image checks). */
function compareNydusMerge(oci: MergedTree, shown: MergedTree, file: string): LayerlabError[] {
  const a = new Map<string, string>(), b = new Map<string, string>();
  for (const [k, n] of oci.walk()) a.set(k, n.kind);
  for (const [k, n] of shown.walk()) b.set(k, n.kind);
  const key = (k: string) => displayPath(k).text;
  const diff: string[] = [];
  for (const [k, kind] of b) if (a.get(k) !== kind && kind !== 'hardlink' && a.get(k) !== 'hardlink') diff.push(`${key(k)} (${a.has(k) ? `${a.get(k)} → ${kind}` : 'only in the bootstrap'})`);
  for (const k of a.keys()) if (!b.has(k)) diff.push(`${key(k)} (missing from the bootstrap)`);
  if (!diff.length) return [];
  return [new LayerlabError('BAD_LAZY_FORMAT', `the Nydus bootstrap's tree differs from the OCI merge of the layers' own bootstraps in ${diff.length} path(s): ${diff.slice(0, 5).join(', ')}${diff.length > 5 ? ', …' : ''}`, { file })];
}
