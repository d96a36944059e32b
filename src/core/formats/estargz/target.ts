import type { CompressionPool } from '../../compress/compression-pool.ts';
import { shortDigest } from '../../errors.ts';
import { TOC_DIGEST_ANNOTATION, UNCOMPRESSED_SIZE_ANNOTATION } from './types.ts';
import { writeEstargz } from './writer.ts';
import type { LayerFormatWriter } from '../layer-format.ts';

export interface EstargzTargetOptions {
  /** BuildKit's lossless mode instead of the library's Build (spec §8). */
  lossless?: boolean;
  chunkSize?: number;
  minChunkSize?: number;
  /** Default 9, the library's; BuildKit uses 6 (spec §8.3). */
  level?: number;
  /** Build mode: files put first, then the prefetch landmark (spec §6). */
  prioritize?: string[];
  /** Default: inline (this thread). */
  pool?: CompressionPool;
}

/**
 * eStargz as a conversion target (a layer that already is eStargz never gets here: its footer
 * and TOC were found and checked, and it is kept); annotations are the two stargz-snapshotter and stargz-store read
 * (spec §7).
 */
export function estargzLayerWriter(o: EstargzTargetOptions): LayerFormatWriter {
  const mode = o.lossless ? 'lossless' : 'build';
  return {
    target: 'estargz',
    async write(ctx) {
      const r = await writeEstargz(ctx.tar, ctx.sink, {
        mode, chunkSize: o.chunkSize, minChunkSize: o.minChunkSize, level: o.level ?? 9, prioritizedFiles: o.prioritize,
        // A list for the whole image: each layer prioritizes the files it has (ctr-remote's WithAllowPrioritizeNotFound).
        allowMissingPrioritized: true,
        pool: o.pool, signal: ctx.signal, file: ctx.file, layer: ctx.layer.index,
      });
      return {
        compression: 'gzip', diffId: r.diffId,
        annotations: { [TOC_DIGEST_ANNOTATION]: r.tocDigest, [UNCOMPRESSED_SIZE_ANNOTATION]: String(r.uncompressedSize) },
        summary: `eStargz (${mode}), ${r.entries} entries, ${r.chunks} chunks, TOC ${shortDigest(r.tocDigest)}`,
      };
    },
  };
}
