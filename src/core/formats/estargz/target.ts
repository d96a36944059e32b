import type { CompressionPool } from '../../compress/compression-pool.ts';
import { shortDigest } from '../../errors.ts';
import { MEMBER_COMPRESSORS, type EstargzCompression } from './member-compressor.ts';
import { writeEstargz } from './writer.ts';
import type { LayerFormatWriter } from '../layer-format.ts';

export interface EstargzTargetOptions {
  /** BuildKit's lossless mode instead of the library's Build (spec §8). */
  lossless?: boolean;
  /** gzip (default) or stargz-snapshotter's zstd variant (spec §10). */
  compression?: EstargzCompression;
  chunkSize?: number;
  minChunkSize?: number;
  /** The compression's level; default gzip 9 (the library's; BuildKit uses 6, spec §8.3), zstd 3. */
  level?: number;
  /** Build mode: files put first, then the prefetch landmark (spec §6). */
  prioritize?: string[];
  /** Default: inline (this thread). */
  pool?: CompressionPool;
}

/**
 * eStargz as a conversion target (a layer that already is eStargz never gets here: its footer
 * and TOC were found and checked, and it is kept); annotations are those stargz-snapshotter's
 * converters set (spec §7; the zstd variant's also locate its TOC, §10).
 */
export function estargzLayerWriter(o: EstargzTargetOptions): LayerFormatWriter {
  const mode = o.lossless ? 'lossless' : 'build';
  const compressor = MEMBER_COMPRESSORS[o.compression ?? 'gzip'];
  return {
    target: 'estargz',
    // An eStargz layer of the other compression is re-encoded (its tar is the stream before the TOC).
    keeps: (detected) => detected.compression === compressor.compression,
    async write(ctx) {
      const r = await writeEstargz(ctx.tar, ctx.sink, {
        mode, compressor, chunkSize: o.chunkSize, minChunkSize: o.minChunkSize, level: o.level, prioritizedFiles: o.prioritize,
        // A list for the whole image: each layer prioritizes the files it has (ctr-remote's WithAllowPrioritizeNotFound).
        allowMissingPrioritized: true,
        pool: o.pool, signal: ctx.signal, file: ctx.file, layer: ctx.layer.index,
      });
      return {
        compression: r.compression, diffId: r.diffId, annotations: r.annotations,
        summary: `eStargz${r.compression === 'zstd' ? ' zstd' : ''} (${mode}), ${r.entries} entries, ${r.chunks} chunks, TOC ${shortDigest(r.tocDigest)}`,
      };
    },
  };
}
