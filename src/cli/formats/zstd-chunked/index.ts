import type { ZstdChunkedSummary } from '../../../core/formats/zstd-chunked/index.ts';
import type { CliFormat } from '../cli-format.ts';
import { ZSTD_CHUNKED_USAGE, ZSTD_CHUNKED_VALUED, zstdChunkedCommand } from './command.ts';

export const zstdChunkedCli: CliFormat = {
  command: { name: 'zstd-chunked', usage: ZSTD_CHUNKED_USAGE, valued: ZSTD_CHUNKED_VALUED, run: zstdChunkedCommand },
  layerLines: (_r, l) => (l.zstdChunked ? [`    ${zstdChunkedLine(l.zstdChunked)}`] : []),
};

function zstdChunkedLine(z: ZstdChunkedSummary): string {
  return `zstd:chunked ${z.variant}: manifest ${z.manifestDigest.slice(0, 19)} at ${z.manifestOffset}, ${z.entries} entries, ${z.chunks} chunks, `
    + `tar-split ${z.tarSplit}, manifest checksum ${z.manifestDigestCheck}`;
}
