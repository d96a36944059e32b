import type { ImageReport, TreeNode } from '../core/analysis/report.ts';

/** Byte counts for people: 1023 B, 1.0 KiB, 12.3 MiB. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024, i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return `${v.toFixed(v < 10 ? 2 : 1)} ${units[i]}`;
}

const TYPE_CHAR: Record<TreeNode['type'], string> = {
  file: '-', dir: 'd', symlink: 'l', hardlink: 'h', char: 'c', block: 'b', fifo: 'p', whiteout: 'w', opaque: 'o',
};

/** `drwxr-xr-x`, with setuid/setgid/sticky as ls shows them. */
export function formatMode(type: TreeNode['type'], mode: number): string {
  const r = (b: number, c: string) => (mode & b ? c : '-');
  const x = (b: number, special: number, on: string, off: string) =>
    mode & special ? (mode & b ? on : off) : (mode & b ? 'x' : '-');
  return TYPE_CHAR[type] +
    r(0o400, 'r') + r(0o200, 'w') + x(0o100, 0o4000, 's', 'S') +
    r(0o040, 'r') + r(0o020, 'w') + x(0o010, 0o2000, 's', 'S') +
    r(0o004, 'r') + r(0o002, 'w') + x(0o001, 0o1000, 't', 'T');
}

export function summaryText(r: ImageReport): string {
  const lines: string[] = [];
  lines.push(`${r.source.name}: ${r.source.kind}${r.platform ? `, ${r.platform}` : ''}`);
  if (r.platforms.length > 1) lines.push(`platforms: ${r.platforms.map((p) => p.platform).join(', ')}`);
  if (r.manifestDigest) lines.push(`manifest: ${r.manifestDigest}`);
  if (r.summary) {
    const s = r.summary;
    if (s.entrypoint) lines.push(`entrypoint: ${JSON.stringify(s.entrypoint)}`);
    if (s.cmd) lines.push(`cmd: ${JSON.stringify(s.cmd)}`);
    if (s.user) lines.push(`user: ${s.user}`);
    if (s.workdir) lines.push(`workdir: ${s.workdir}`);
    if (s.ports.length) lines.push(`ports: ${s.ports.join(', ')}`);
    for (const e of s.env) lines.push(`env: ${e}`);
  }
  lines.push('');
  lines.push(' #  digest               format  size        uncompressed  entries  wasted      checks');
  for (const l of r.layers) {
    const entries = Object.values(l.entries).reduce((a, b) => a + b, 0);
    const checks = `digest ${l.digestCheck}, diffID ${l.diffIDCheck}`;
    lines.push(`${String(l.index).padStart(2)}  ${l.digest.slice(7, 19).padEnd(19)}  ${l.format.padEnd(6)}  ${formatBytes(l.size).padEnd(10)}  ${formatBytes(l.uncompressedSize).padEnd(12)}  ${String(entries).padStart(7)}  ${formatBytes(l.wastedBytes).padEnd(10)}  ${checks}`);
    if (l.error) lines.push(`    error: ${l.error.text}`);
  }
  const m = r.merged;
  lines.push('');
  lines.push(`merged: ${m.files} files, ${m.dirs} dirs, ${m.symlinks} symlinks, ${m.hardlinks} hard links, ${m.char + m.block + m.fifo} special; ${formatBytes(m.totalBytes)}`);
  lines.push(`wasted: ${formatBytes(r.wastedBytes)}; efficiency ${(r.efficiency * 100).toFixed(2)} %`);
  if (r.problems.length) {
    lines.push('');
    for (const p of r.problems) lines.push(`problem: ${p.text}`);
  }
  return lines.join('\n');
}
