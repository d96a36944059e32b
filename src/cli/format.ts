import type { EstargzSummary, ImageReport } from '../core/analysis/report.ts';
import { formatBytes, formatPercent } from '../core/format.ts';

export function summaryText(r: ImageReport): string {
  const lines: string[] = [];
  lines.push(`${r.source.name}: ${r.source.kind}${r.platform ? `, ${r.platform}` : ''}`);
  if (r.platforms.length > 1) lines.push(`platforms: ${r.platforms.map((p) => p.platform).join(', ')}`);
  if (r.manifestDigest) lines.push(`manifest: ${r.manifestDigest}`);
  if (r.nydus) lines.push(nydusLine(r.nydus));
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
    if (l.estargz) lines.push(`    ${estargzLine(l.estargz)}`);
    const ny = r.nydus?.layers.find((x) => x.layer === l.index);
    if (ny) lines.push(`    Nydus blob: ${ny.storedChunks} chunks stored (${formatBytes(ny.storedCompressedBytes)}), ${ny.chunkRefs} referenced, ${ny.dedupChunks} from lower layers (${formatBytes(ny.dedupBytes)})`);
    else if (l.lazyFormat === 'nydus') lines.push('    Nydus blob');
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

function nydusLine(n: NonNullable<ImageReport['nydus']>): string {
  const what = n.input === 'image' ? `Nydus image (bootstrap in layer ${n.bootstrapLayer})` : n.input === 'bootstrap' ? `Nydus RAFS v${n.rafsVersion} bootstrap (no blob data: trees only)` : 'Nydus per-layer blob';
  return `${what}: RAFS v${n.rafsVersion}, ${n.compressor}/${n.digester}, chunk size ${formatBytes(n.chunkSize)}, ${n.blobs.length} blob(s), ${n.chunks.unique} distinct chunks`;
}

function estargzLine(e: EstargzSummary): string {
  const kind = e.footer === 'estargz' ? 'eStargz' : 'stargz (legacy footer)';
  const landmark = e.landmark === 'prefetch' ? `prefetch landmark after ${e.prioritized.length} prioritized entries` : e.landmark === 'no-prefetch' ? 'no-prefetch landmark' : 'no landmark';
  return `${kind}: TOC ${e.tocDigest.slice(0, 19)} at ${e.tocOffset}, ${e.entries} entries, ${e.chunks} chunks, ${landmark}, TOC digest ${e.tocDigestCheck}`;
}
