import { openEstargz, TOC_DIGEST_ANNOTATION } from '../../../core/formats/estargz/index.ts';
import { toLayerlabError } from '../../../core/errors.ts';
import type { ImageRef, JobId } from '../../protocol.ts';
import type { FormatWorkerContext, RemoteProgress } from '../format-context.ts';
import type { EstargzTocView, EstargzVerifyResult } from './protocol.ts';

/** The eStargz inspector's calls: the TOC browser and chunk verification. */
export function estargzApi(ctx: FormatWorkerContext) {
  return {
  /** An eStargz layer's footer and TOC (only the blob's tail is read). */
  estargzToc(job: JobId, ref: ImageRef, layer: number, onProgress?: RemoteProgress): Promise<EstargzTocView> {
    return ctx.withProgress(job, onProgress, async (signal, progress) => {
      const blob = await ctx.layerBlob(ref, layer, signal, progress);
      progress({ phase: 'layers', layer, layerDone: 0, layerTotal: 0, done: 0, total: 0, message: `reading the TOC of layer ${layer}` });
      const reader = await openEstargz(blob.source, { signal }).catch((err) => {
        throw toLayerlabError(err).withContext({ layer, layerDigest: blob.descriptor.digest || undefined, file: blob.path });
      });
      const expected = blob.descriptor.annotations?.[TOC_DIGEST_ANNOTATION];
      return {
        layer,
        footer: reader.footer.kind,
        tocOffset: reader.footer.tocOffset,
        tocDigest: reader.tocDigest,
        tocDigestCheck: !expected ? 'unchecked' : expected === reader.tocDigest ? 'ok' : 'mismatch',
        tocBytes: reader.tocJson.length,
        landmark: reader.landmark,
        prioritized: [...reader.prioritized],
        entries: [...reader.entries],
        chunks: [...reader.chunks],
      };
    });
  },

  /** Fetches, decompresses and hashes every chunk of an eStargz layer from its own gzip member. */
  verifyEstargz(job: JobId, ref: ImageRef, layer: number, onProgress?: RemoteProgress): Promise<EstargzVerifyResult> {
    return ctx.withProgress(job, onProgress, async (signal, progress) => {
      const t0 = Date.now();
      const blob = await ctx.layerBlob(ref, layer, signal, progress);
      const where = { layer, layerDigest: blob.descriptor.digest || undefined, file: blob.path };
      try {
        const reader = await openEstargz(blob.source, { signal, tocDigest: blob.descriptor.annotations?.[TOC_DIGEST_ANNOTATION] });
        const r = await reader.verifyChunks({
          signal,
          onProgress: (p) => progress({ phase: 'layers', layer, layerDone: p.bytes, layerTotal: p.byteTotal, done: p.bytes, total: p.byteTotal,
            message: `verified ${p.chunks} of ${p.chunkTotal} chunks` }),
        });
        return { layer, chunks: r.chunks, bytes: r.bytes, seconds: (Date.now() - t0) / 1000 };
      } catch (err) {
        throw toLayerlabError(err).withContext(where);
      }
    });
  },
  };
}
