import type { Bootstrap } from './types.ts';

/**
 * The tree as TSV, one line per name sorted by path: path, octal st_mode, uid, gid, size
 * (`-` for directories, target length for symlinks), mtime seconds, symlink target — the columns
 * of the fixtures' `.listing.tsv` (../shared/fixtures/nydus/README.md).
 */
export function treeListingTsv(boot: Bootstrap): string {
  const rows = boot.nodes.map((n) => [n.path, n.mode.toString(8), n.uid, n.gid, n.type === 'dir' ? '-' : n.size, n.mtime, n.symlink ?? ''].join('\t'));
  rows.sort((a, b) => (pathOf(a) < pathOf(b) ? -1 : pathOf(a) > pathOf(b) ? 1 : 0));
  return rows.map((r) => r + '\n').join('');
}

function pathOf(row: string): string {
  return row.slice(0, row.indexOf('\t'));
}
