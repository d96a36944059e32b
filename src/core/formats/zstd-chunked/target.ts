/**
 * zstd:chunked as a conversion target (spec zstd-chunked.md §8): the current containers/storage
 * layout, OCI tar+zstd media type, the three `io.github.containers.zstd-chunked.*` annotations.
 */
import { shortDigest } from '../../errors.ts';
import type { FormatTarget, LayerFormatWriter } from '../layer-format.ts';
import { zstdAt, metadataGuess } from '../size-estimate.ts';
import { DEFAULT_LEVEL } from './types.ts';
import { writeZstdChunked } from './writer.ts';
import type { CompressionPool } from '../../compress/compression-pool.ts';

/** A layer writer at `level` compressing on `pool` (default: inline). */
export function zstdChunkedLayerWriter(level: number, pool?: CompressionPool): LayerFormatWriter {
  return {
    target: 'zstd-chunked',
    async write(ctx) {
      const r = await writeZstdChunked(ctx.tar, ctx.sink, { level, pool, signal: ctx.signal, file: ctx.file, layer: ctx.layer.index });
      return {
        compression: 'zstd',
        diffId: r.diffId,
        annotations: r.annotations,
        summary: `zstd:chunked, ${r.entries} manifest entries, ${r.chunks} chunks, manifest ${shortDigest(r.manifestDigest)}`
          + (r.lossyNames.length ? `; ${r.lossyNames.length} name(s) not UTF-8 (${r.lossyNames.slice(0, 3).map((n) => JSON.stringify(n)).join(', ')}): the manifest (JSON) holds them with U+FFFD, so containers/storage will refuse a partial pull of this layer and pull it whole; the blob and its tar are exact` : ''),
      };
    },
  };
}

export const zstdChunkedTarget: FormatTarget = {
  options: [
    { kind: 'int', key: 'level', flag: 'level', label: 'Level', min: 1, max: 22, default: DEFAULT_LEVEL,
      help: '10 is containers/storage\'s default; one frame per chunk, so high levels cost little ratio' },
  ],
  pooled: true,
  createWriter: async (o, r) => zstdChunkedLayerWriter(o.level as number, r.pool),
  estimate(l, o, g) {
    // A frame per ~64 KiB chunk and per run of headers: a few % above plain zstd, plus the
    // manifest and the tar-split (each about a TOC's worth per entry, compressed).
    const level = o.level as number;
    return { estimate: zstdAt(g.bytes, level) * 1.04 + 2 * metadataGuess(l.entries), basis: `1.04 × zstd at level ${level} + manifest and tar-split (${g.basis})` };
  },
};
