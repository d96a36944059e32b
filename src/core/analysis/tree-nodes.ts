import type { TreeNode } from './report.ts';
import type { LayerScan, ScannedEntry } from '../layer/layer-scan.ts';
import { byteOrder, type LayerChanges, type MergedTree, type MergeNode } from '../layer/merged-tree.ts';
import { byteStringBytes, displayPath, splitParent } from '../tar/tar-path.ts';
import { xattrValueText } from '../bytes/hex.ts';

/**
 * Flat, sorted TreeNode lists for the UI (which virtualises them): parents before children,
 * siblings in byte order. Directories carry the content size below them.
 */
export function buildMergedTree(tree: MergedTree): TreeNode[] {
  const out: TreeNode[] = [];
  const dirStack: TreeNode[] = [];
  for (const [key, node, depth] of tree.walk()) {
    while (dirStack.length > depth) dirStack.pop();
    const t = mergeNodeToTree(key, node, depth);
    if (t.size) for (const d of dirStack) d.subtreeSize = (d.subtreeSize ?? 0) + t.size;
    out.push(t);
    if (node.kind === 'dir') { t.subtreeSize = 0; dirStack.push(t); }
  }
  return out;
}

function mergeNodeToTree(key: string, n: MergeNode, depth: number): TreeNode {
  const t = baseNode(key, depth, n.kind, n.layer, n.entry);
  if (n.implicit) t.implicit = true;
  if (n.overrides?.length) { t.overrides = n.overrides.filter((l) => l >= 0); t.change = 'modified'; } else t.change = 'added';
  if (n.copy) {
    t.size = n.copy.entry.size;
    if (n.copy.entry.hash) t.hash = n.copy.entry.hash;
    t.content = { layer: n.copy.layer, dataOffset: n.copy.entry.dataOffset, size: n.copy.entry.size, member: n.copy.entry.key };
  }
  return t;
}

export function buildLayerTree(layer: number, scan: LayerScan, changes: LayerChanges): TreeNode[] {
  const rows: [string, TreeNode][] = [];
  const seen = new Set<string>();
  scan.entries.forEach((e, i) => {
    const t = baseNode(e.key, 0, e.kind, layer, e);
    t.change = changes.entryChange[i];
    const copy = e.kind === 'file' ? { layer, entry: e } : e.linkCopy;
    if (copy) {
      t.size = copy.entry.size;
      if (copy.entry.hash) t.hash = copy.entry.hash;
      t.content = { layer: copy.layer, dataOffset: copy.entry.dataOffset, size: copy.entry.size, member: copy.entry.key };
    }
    rows.push([e.key, t]);
    seen.add(e.key);
  });
  scan.markers.forEach((m, i) => {
    const t = baseNode(m.key, 0, m.opaque ? 'opaque' : 'whiteout', layer, undefined);
    t.change = changes.markerRemoved[i] ? 'removed' : 'unchanged';
    t.link = displayPath(m.target).text;
    t.headerOffset = m.headerOffset;
    rows.push([m.key, t]);
    seen.add(m.key);
  });
  // Parents a layer does not store itself still appear, so the tree can be walked.
  for (const key of [...seen]) {
    for (let p = splitParent(key)[0]; p && !seen.has(p); p = splitParent(p)[0]) {
      seen.add(p);
      const t = baseNode(p, 0, 'dir', layer, undefined);
      t.implicit = true;
      t.change = 'unchanged';
      rows.push([p, t]);
    }
  }
  // A path stored twice in one layer shows twice: the later copy is the one that counts.
  rows.sort((a, b) => comparePaths(a[0], b[0]));
  const out = rows.map(([key, t]) => { t.depth = key.split('/').length - 1; return t; });
  return out;
}

/** Tree order: compare component by component, so 'a/b' sorts right after 'a', before 'a-b'. */
function comparePaths(a: string, b: string): number {
  const x = a.split('/'), y = b.split('/');
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const c = byteOrder(x[i], y[i]);
    if (c) return c;
  }
  return x.length - y.length;
}

function baseNode(key: string, depth: number, type: TreeNode['type'], layer: number, e: ScannedEntry | undefined): TreeNode {
  const shown = displayPath(key);
  const t: TreeNode = {
    path: shown.text, depth, type, layer, change: 'added',
    mode: e ? e.mode : 0o755, uid: e?.uid ?? 0, gid: e?.gid ?? 0, size: 0, mtime: e?.mtime ?? 0,
  };
  if (!shown.valid) t.rawPath = byteStringBytes(key);
  if (e) {
    if (e.uname) t.uname = e.uname;
    if (e.gname) t.gname = e.gname;
    t.headerOffset = e.headerOffset;
    t.dataOffset = e.dataOffset;
    if (e.kind === 'symlink' || e.kind === 'hardlink') t.link = displayPath(e.link ?? '').text;
    else if (e.kind === 'char' || e.kind === 'block') t.link = `${e.devmajor},${e.devminor}`;
    if (e.xattrs?.size) t.xattrs = Object.fromEntries([...e.xattrs].map(([k, v]) => [k, xattrValueText(v)]));
  }
  return t;
}

