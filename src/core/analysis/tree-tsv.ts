import type { MergedTree } from '../layer/merged-tree.ts';

/**
 * The merged tree as the corpus' `expect-tree.tsv` (../shared/tools/corpus/README.md, "Tree TSV"):
 * one line per node sorted by the raw bytes of the path; path, type, mode, uid, gid, size, sha256,
 * link. Needs an analysis run with `contentHash: 'sha256'`.
 */
export function mergedTreeTsv(tree: MergedTree): string {
  const rows: [string, string][] = [];
  for (const [key, n] of tree.walk()) {
    const e = n.entry;
    const content = n.copy?.entry;
    const link = n.kind === 'symlink' || n.kind === 'hardlink' ? escapeBytes(e?.link ?? '')
      : (n.kind === 'char' || n.kind === 'block') && e ? `${e.devmajor},${e.devminor}` : '-';
    rows.push([key, [
      escapeBytes(key), n.kind, (e ? e.mode : 0o755).toString(8).padStart(4, '0'),
      String(e?.uid ?? 0), String(e?.gid ?? 0),
      String(content ? content.size : 0), content ? content.hash ?? '?' : '-', link,
    ].join('\t')]);
  }
  rows.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return rows.map((r) => r[1] + '\n').join('');
}

/** Printable ASCII but backslash as is; backslash as `\\`; every other byte as `\xHH`. */
export function escapeBytes(byteStr: string): string {
  let out = '';
  for (let i = 0; i < byteStr.length; i++) {
    const c = byteStr.charCodeAt(i);
    if (c === 0x5c) out += '\\\\';
    else if (c >= 0x20 && c < 0x7f) out += byteStr[i];
    else out += '\\x' + c.toString(16).padStart(2, '0');
  }
  return out;
}
