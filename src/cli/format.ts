import type { ImageReport } from '../core/analysis/report.ts';
import { CLI_FORMATS } from './formats/index.ts';
import { formatBytes, formatPercent } from '../core/display.ts';

export function summaryText(r: ImageReport): string {
  const lines: string[] = [];
  lines.push(`${r.source.name}: ${r.source.kind}${r.platform ? `, ${r.platform}` : ''}`);
  if (r.platforms.length > 1) lines.push(`platforms: ${r.platforms.map((p) => p.platform).join(', ')}`);
  if (r.manifestDigest) lines.push(`manifest: ${r.manifestDigest}`);
  for (const f of CLI_FORMATS) lines.push(...f.imageLines?.(r) ?? []);
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
    for (const f of CLI_FORMATS) lines.push(...f.layerLines?.(r, l) ?? []);
    if (l.error) lines.push(`    error: ${l.error.text}`);
  }
  const m = r.merged;
  lines.push('');
  lines.push(`merged: ${m.files} files, ${m.dirs} dirs, ${m.symlinks} symlinks, ${m.hardlinks} hard links, ${m.char + m.block + m.fifo} special; ${formatBytes(m.totalBytes)}`);
  lines.push(`wasted: ${formatBytes(r.wastedBytes)}; efficiency ${formatPercent(r.efficiency)}`);
  if (r.problems.length) {
    lines.push('');
    for (const p of r.problems) lines.push(`problem: ${p.text}`);
  }
  return lines.join('\n');
}
