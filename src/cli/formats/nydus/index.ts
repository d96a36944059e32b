import { formatBytes } from '../../../core/display.ts';
import type { NydusSummary } from '../../../core/formats/nydus/index.ts';
import type { CliFormat } from '../cli-format.ts';
import { NYDUS_USAGE, NYDUS_VALUED, nydusCommand } from './command.ts';

export const nydusCli: CliFormat = {
  command: { name: 'nydus', usage: NYDUS_USAGE, valued: NYDUS_VALUED, run: nydusCommand },
  imageLines: (r) => (r.nydus ? [nydusLine(r.nydus)] : []),
  layerLines(r, l) {
    const ny = r.nydus?.layers.find((x) => x.layer === l.index);
    if (ny) return [`    Nydus blob: ${ny.storedChunks} chunks stored (${formatBytes(ny.storedCompressedBytes)}), ${ny.chunkRefs} referenced, ${ny.dedupChunks} from lower layers (${formatBytes(ny.dedupBytes)})`];
    return l.lazyFormat === 'nydus' ? ['    Nydus blob'] : [];
  },
};

function nydusLine(n: NydusSummary): string {
  const what = n.input === 'image' ? `Nydus image (bootstrap in layer ${n.bootstrapLayer})` : n.input === 'bootstrap' ? `Nydus RAFS v${n.rafsVersion} bootstrap (no blob data: trees only)` : 'Nydus per-layer blob';
  return `${what}: RAFS v${n.rafsVersion}, ${n.compressor}/${n.digester}, chunk size ${formatBytes(n.chunkSize)}, ${n.blobs.length} blob(s), ${n.chunks.unique} distinct chunks`;
}
