import { describe, expect, it } from 'vitest';
import { TreeIndex, expandTo, filterMask, setSubtree, visibleRows } from '../../src/ui/lib/tree-index.ts';
import { scrollToReveal, virtualWindow } from '../../src/ui/lib/virtual-window.ts';
import type { TreeNode } from '../../src/core/analysis/report.ts';
import { syntheticTree } from './fixtures/synthetic-tree.ts';

const n = (path: string, type: TreeNode['type'] = 'file', size = 0): TreeNode =>
  ({ path, depth: 0, type, size, mode: 0o644, uid: 0, gid: 0, mtime: 0, layer: 0, change: 'added' });

describe('TreeIndex', () => {
  const nodes = [n('a', 'dir'), n('a/b', 'dir'), n('a/b/c', 'file', 10), n('a/d', 'file', 5), n('a-b', 'file', 1), n('e', 'dir')];
  const ix = new TreeIndex(nodes);

  it('finds parents and subtree ends from paths', () => {
    expect([...ix.parent]).toEqual([-1, 0, 1, 0, -1, -1]);
    expect([...ix.end]).toEqual([4, 3, 3, 4, 5, 6]);
    expect([...ix.level]).toEqual([0, 1, 2, 1, 0, 0]);
    expect(ix.totalSize[0]).toBe(15);
    expect(ix.hasChildren(0)).toBe(true);
    expect(ix.hasChildren(5)).toBe(false);
  });

  it('nests under the nearest stored ancestor when a folder is missing', () => {
    const gap = new TreeIndex([n('a', 'dir'), n('a/b/c'), n('a/d')]);
    expect([...gap.parent]).toEqual([-1, 0, 0]);
  });

  it('shows only the top level when collapsed, subtrees when expanded', () => {
    const expanded = new Uint8Array(ix.size);
    expect([...visibleRows(ix, expanded)]).toEqual([0, 4, 5]);
    expanded[0] = 1;
    expect([...visibleRows(ix, expanded)]).toEqual([0, 1, 3, 4, 5]);
    setSubtree(ix, expanded, 0, true);
    expect([...visibleRows(ix, expanded)]).toEqual([0, 1, 2, 3, 4, 5]);
    const fresh = new Uint8Array(ix.size);
    expandTo(ix, fresh, 2);
    expect([...visibleRows(ix, fresh)]).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('filters by name and size, keeping the folders that lead to matches', () => {
    const byName = filterMask(ix, { query: 'C', minSize: 0 })!;
    expect(byName.matches).toBe(1);
    expect([...visibleRows(ix, new Uint8Array(ix.size), byName.show)]).toEqual([0, 1, 2]);
    const bySize = filterMask(ix, { query: '', minSize: 5 })!;
    expect([...visibleRows(ix, new Uint8Array(ix.size), bySize.show)]).toEqual([0, 1, 2, 3]);
    const byPath = filterMask(ix, { query: 'a/d', minSize: 0 })!;
    expect([...visibleRows(ix, new Uint8Array(ix.size), byPath.show)]).toEqual([0, 3]);
    expect(filterMask(ix, { query: '  ', minSize: 0 })).toBeUndefined();
  });
});

describe('50 000 nodes', () => {
  const nodes = syntheticTree(50_000);
  it('indexes, filters and lists rows in a few milliseconds', () => {
    const t0 = performance.now();
    const ix = new TreeIndex(nodes);
    const expanded = new Uint8Array(ix.size).fill(1);
    const all = visibleRows(ix, expanded);
    const f = filterMask(ix, { query: '.so', minSize: 1_000_000 })!;
    const some = visibleRows(ix, expanded, f.show);
    const ms = performance.now() - t0;
    expect(ix.size).toBe(50_000);
    expect(all.length).toBe(50_000);
    expect(f.matches).toBeGreaterThan(0);
    expect(some.length).toBeLessThan(all.length);
    // Generous bound for a shared 2-core CI box; typically ~20 ms.
    expect(ms).toBeLessThan(500);
  });
});

describe('virtualWindow', () => {
  it('renders the rows in view plus overscan', () => {
    expect(virtualWindow(0, 220, 22, 50_000, 5)).toEqual({ start: 0, end: 16 });
    expect(virtualWindow(22 * 1000, 220, 22, 50_000, 5)).toEqual({ start: 995, end: 1016 });
    expect(virtualWindow(22 * 60_000, 220, 22, 50_000, 5)).toEqual({ start: 49_995, end: 50_000 });
    expect(virtualWindow(0, 220, 22, 0)).toEqual({ start: 0, end: 0 });
  });
  it('scrolls as little as needed to reveal a row', () => {
    expect(scrollToReveal(5, 0, 220, 22)).toBe(0);
    expect(scrollToReveal(20, 0, 220, 22)).toBe(21 * 22 - 220);
    expect(scrollToReveal(2, 200, 220, 22)).toBe(44);
  });
});
