import type { LayerScan, NodeKind, ScannedEntry } from './layer-scan.ts';

/** A stored copy of file content: the file entry of one layer that holds the bytes. */
export interface StoredCopy {
  layer: number;
  entry: ScannedEntry;
}

export interface MergeNode {
  kind: NodeKind;
  /** The entry that made this node; undefined for implicit directories. */
  entry?: ScannedEntry;
  layer: number;
  implicit: boolean;
  children?: Map<string, MergeNode>;
  /** File content this node shows (files and resolved hard links). */
  copy?: StoredCopy;
  /** Layers whose version of this path this node replaced, lowest first. */
  overrides?: number[];
}

export type Change = 'added' | 'modified' | 'unchanged';

export interface LayerChanges {
  added: number;
  modified: number;
  removed: number;
  /** Per entry of the layer (same order as scan.entries). */
  entryChange: Change[];
  /** Per marker: did it remove something that was there. */
  markerRemoved: boolean[];
}

/**
 * The merged file system, built by applying layers in order with the OCI whiteout rules exactly
 * as ../shared/tools/corpus/README.md "Merged tree" states them:
 * markers first (they only remove what lower layers made), then entries in tar order, creating
 * implicit parent directories and replacing non-directory ancestors; a directory over a directory
 * keeps its children; hard links resolve at the moment they are applied and keep their copy.
 */
export class MergedTree {
  readonly root: MergeNode = { kind: 'dir', layer: -1, implicit: true, children: new Map() };

  lookup(key: string): MergeNode | undefined {
    if (!key) return this.root;
    let node: MergeNode | undefined = this.root;
    for (const c of key.split('/')) {
      if (!node.children) return undefined;
      node = node.children.get(c);
      if (!node) return undefined;
    }
    return node;
  }

  applyLayer(index: number, scan: LayerScan): LayerChanges {
    const ch: LayerChanges = { added: 0, modified: 0, removed: 0, entryChange: [], markerRemoved: [] };
    for (const m of scan.markers) {
      let removed = false;
      if (m.opaque) {
        const d = this.lookup(m.target);
        if (d?.children && d.children.size) {
          ch.removed += d.children.size;
          d.children = new Map();
          removed = true;
        }
      } else {
        const i = m.target.lastIndexOf('/');
        const parent = this.lookup(i < 0 ? '' : m.target.slice(0, i));
        if (parent?.children?.delete(i < 0 ? m.target : m.target.slice(i + 1))) {
          ch.removed++;
          removed = true;
        }
      }
      ch.markerRemoved.push(removed);
    }
    for (const e of scan.entries) {
      const node: MergeNode = { kind: e.kind, entry: e, layer: index, implicit: false };
      if (e.kind === 'file') node.copy = { layer: index, entry: e };
      else if (e.kind === 'hardlink') {
        const t = this.lookup(e.link ?? '');
        if (t && (t.kind === 'file' || t.kind === 'hardlink') && t.copy) node.copy = e.linkCopy = t.copy;
      }
      const change = this.put(e.key, node);
      ch.entryChange.push(change);
      if (change === 'added') ch.added++; else if (change === 'modified') ch.modified++;
    }
    return ch;
  }

  private put(key: string, node: MergeNode): Change {
    const comps = key.split('/');
    let dir = this.root;
    for (let i = 0; i < comps.length - 1; i++) {
      let child = dir.children!.get(comps[i]);
      if (!child || child.kind !== 'dir') {
        const implicit: MergeNode = { kind: 'dir', layer: node.layer, implicit: true, children: new Map() };
        if (child) implicit.overrides = [...(child.overrides ?? []), child.layer];
        dir.children!.set(comps[i], implicit);
        child = implicit;
      }
      dir = child;
    }
    const base = comps[comps.length - 1];
    const old = dir.children!.get(base);
    if (node.kind === 'dir') node.children = old?.kind === 'dir' ? old.children : new Map();
    if (old) node.overrides = [...(old.overrides ?? []), old.layer];
    dir.children!.set(base, node);
    if (!old) return 'added';
    return sameNode(old, node) ? 'unchanged' : 'modified';
  }

  /** Every node but the root, parents before children, siblings in byte order of their names. */
  *walk(): Generator<[string, MergeNode, number]> {
    const stack: [string, MergeNode, number][] = [];
    const pushChildren = (prefix: string, n: MergeNode, depth: number) => {
      const names = [...n.children!.keys()].sort(byteOrder).reverse();
      for (const name of names) stack.push([prefix ? prefix + '/' + name : name, n.children!.get(name)!, depth]);
    };
    pushChildren('', this.root, 0);
    while (stack.length) {
      const item = stack.pop()!;
      yield item;
      if (item[1].children) pushChildren(item[0], item[1], item[2] + 1);
    }
  }
}

/** Byte order for byte strings (./tar-path.ts): UTF-16 unit order equals byte order there. */
export function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** "Unchanged" means a person would see no difference: type, mode, owner, content or target (mtime ignored). */
function sameNode(a: MergeNode, b: MergeNode): boolean {
  if (a.kind !== b.kind || a.implicit) return false;
  const x = a.entry!, y = b.entry!;
  if (x.mode !== y.mode || x.uid !== y.uid || x.gid !== y.gid) return false;
  switch (a.kind) {
    case 'file': return x.size === y.size && x.hash !== undefined && x.hash === y.hash;
    case 'symlink': case 'hardlink': return x.link === y.link;
    case 'char': case 'block': return x.devmajor === y.devmajor && x.devminor === y.devminor;
    default: return true;
  }
}
