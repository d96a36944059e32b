import type { TreeNode } from '../../core/analysis/report.ts';
import { TreeIndex, expandTo, filterMask, setSubtree, visibleRows } from '../lib/tree-index.ts';

/** Trees up to this size open fully at first; larger ones start with their top level. */
const EXPAND_ALL_UP_TO = 400;

/**
 * The state of one file tree on screen (merged, or one layer's): which folders are open, the
 * filter, the selected node, and the rows that result. The open/closed flags live in a typed
 * array (50 000 reactive booleans would be slow); a version counter tells Svelte they changed.
 */
export class TreeViewModel {
  readonly index: TreeIndex;
  readonly #expanded: Uint8Array;
  #version = $state(0);
  query = $state('');
  minSize = $state(0);
  /** Node index of the selected row, or -1. */
  selected = $state(-1);

  readonly mask = $derived.by(() => filterMask(this.index, { query: this.query, minSize: this.minSize }));
  readonly rows = $derived.by(() => {
    void this.#version;
    return visibleRows(this.index, this.#expanded, this.mask?.show);
  });

  constructor(nodes: TreeNode[]) {
    this.index = new TreeIndex(nodes);
    this.#expanded = new Uint8Array(nodes.length);
    if (nodes.length <= EXPAND_ALL_UP_TO) this.#expanded.fill(1);
  }

  get filtering(): boolean {
    return this.mask !== undefined;
  }

  /** Whether folder i shows its children (always, while a filter is on). */
  isExpanded(i: number): boolean {
    void this.#version;
    return this.filtering || this.#expanded[i] === 1;
  }

  setExpanded(i: number, open: boolean): void {
    if (this.#expanded[i] === (open ? 1 : 0)) return;
    this.#expanded[i] = open ? 1 : 0;
    this.#version++;
  }

  toggle(i: number): void {
    this.setExpanded(i, !this.#expanded[i]);
  }

  /** Opens or closes folder i and everything below it (Shift+click, `*`). */
  setSubtree(i: number, open: boolean): void {
    setSubtree(this.index, this.#expanded, i, open);
    this.#version++;
  }

  expandAll(): void {
    this.#expanded.fill(1);
    this.#version++;
  }

  collapseAll(): void {
    this.#expanded.fill(0);
    this.#version++;
  }

  /** Selects node i and opens the folders above it; clears a filter that would hide it. */
  reveal(i: number): void {
    if (i < 0) return;
    if (this.mask && !this.mask.show[i]) { this.query = ''; this.minSize = 0; }
    expandTo(this.index, this.#expanded, i);
    this.#version++;
    this.selected = i;
  }

  /** Selects by path; false when the tree has no such path. */
  revealPath(path: string): boolean {
    const i = this.index.indexOf(path);
    if (i >= 0) this.reveal(i);
    return i >= 0;
  }
}
