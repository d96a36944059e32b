import type { EstargzSummary } from '../../../core/formats/estargz/index.ts';
import type { CliFormat } from '../cli-format.ts';
import { ESTARGZ_USAGE, ESTARGZ_VALUED, estargzCommand } from './command.ts';

export const estargzCli: CliFormat = {
  command: { name: 'estargz', usage: ESTARGZ_USAGE, valued: ESTARGZ_VALUED, run: estargzCommand },
  layerLines: (_r, l) => (l.estargz ? [`    ${estargzLine(l.estargz)}`] : []),
};

function estargzLine(e: EstargzSummary): string {
  const kind = e.footer === 'estargz' ? 'eStargz' : e.footer === 'estargz-zstd' ? 'eStargz (zstd)' : 'stargz (legacy footer)';
  const landmark = e.landmark === 'prefetch' ? `prefetch landmark after ${e.prioritized.length} prioritized entries` : e.landmark === 'no-prefetch' ? 'no-prefetch landmark' : 'no landmark';
  return `${kind}: TOC ${e.tocDigest.slice(0, 19)} at ${e.tocOffset}, ${e.entries} entries, ${e.chunks} chunks, ${landmark}, TOC digest ${e.tocDigestCheck}`;
}
