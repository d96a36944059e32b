import type { CompressionPool } from '../../compress/compression-pool.ts';
import { LayerlabError, shortDigest } from '../../errors.ts';
import { addToChunkDict, buildNydusLayer, createChunkDict, NYDUS_BUILD_DEFAULTS, type NydusChunkDict, type NydusLayerResult } from './build/layer.ts';
import { mergeBootstraps } from './merge.ts';
import { NYDUS_BOOTSTRAP_HISTORY, NYDUS_OS_FEATURE, nydusBlobDescriptor, nydusBootstrapDescriptor, nydusBootstrapLayer } from './build/image.ts';
import { formatBytes } from '../../display.ts';
import type { LayerFormatWriter } from '../layer-format.ts';

export interface NydusTargetOptions {
  chunkSize?: number;
  compressor?: 'zstd' | 'lz4_block' | 'none';
  digester?: 'blake3' | 'sha256';
  /** Prefetch patterns for the merged bootstrap (default "/", the converter's). */
  prefetch?: string[];
  /** Reference chunks already stored in a lower layer's blob instead of storing them again (default on). */
  dedup?: boolean;
  /** Digests and compresses chunks on other cores; without it, in line. */
  pool?: CompressionPool;
}

/**
 * OCI → Nydus RAFS v6 as nydus-snapshotter's converter does it (../shared/spec/nydus.md §5, §6):
 * each layer becomes a nydus layer tar (blob data, blob.meta, its own bootstrap, TOC), then the
 * per-layer bootstraps are merged into the final bootstrap, shipped as a last tar+gzip layer.
 * Blob layers are their own diffID (they are uncompressed tars); the config gains the
 * "Nydus Bootstrap Layer" history entry and the index entry `nydus.remoteimage.v1`.
 */
export function nydusLayerWriter(o: NydusTargetOptions = {}): LayerFormatWriter {
  const chunkSize = o.chunkSize ?? NYDUS_BUILD_DEFAULTS.chunkSize;
  const digester = o.digester ?? NYDUS_BUILD_DEFAULTS.digester;
  let built: NydusLayerResult[] = [];
  let dict: NydusChunkDict | undefined;
  return {
    target: 'nydus',
    // A nydus layer is an uncompressed tar: the builder's stream hash is the blob's digest.
    hashesOutput: true,
    async write(ctx) {
      if (o.dedup !== false) dict ??= createChunkDict(digester, chunkSize);
      const r = await buildNydusLayer(ctx.tar(), ctx.sink, {
        chunkSize, compressor: o.compressor, digester, prefetch: o.prefetch, chunkDict: dict,
        pool: o.pool,
        signal: ctx.signal, file: ctx.file, layer: ctx.layer.index,
      });
      if (dict) addToChunkDict(dict, r);
      built.push(r);
      const saved = r.dictChunks ? `, ${r.dictChunks} chunk${r.dictChunks === 1 ? '' : 's'} (${formatBytes(r.dedupSavedBytes)}) found in lower layers` : '';
      const desc = nydusBlobDescriptor(r);
      return {
        compression: 'none', diffId: r.diffId, blobDigest: r.diffId, mediaType: desc.mediaType, annotations: desc.annotations,
        summary: `Nydus blob ${shortDigest(r.diffId)}: ${r.chunks} chunks, ${r.uniqueChunks} stored${saved}`,
      };
    },
    async finishImage(layers, signal) {
      const layersBuilt = built;
      built = [];
      dict = undefined;
      const merged = await mergeBootstraps(layersBuilt.map((r, i) => ({ bootstrap: r.bootstrap, blobId: r.blobId, digest: layers[i]?.digest, size: r.layerTarSize })),
        { prefetch: o.prefetch, signal });
      // Every blob the merged bootstrap references must ship as a layer of this manifest (spec
      // §6.5: no external backend), or the image could not be mounted.
      const shipped = new Set(layersBuilt.map((r) => r.blobId));
      const stray = merged.blobIds.filter((id) => !shipped.has(id));
      if (stray.length) throw new LayerlabError('INTERNAL', `the merged bootstrap references blob(s) no layer ships: ${stray.join(', ')}`);
      const boot = await nydusBootstrapLayer(merged.bootstrap,
        layersBuilt.flatMap((r) => (r.blobMeta ? [{ blobId: r.blobId, ...r.blobMeta }] : [])));
      return {
        // Its media type follows the manifest style (tar+gzip, Docker or OCI); its annotations are nydus-snapshotter's.
        layers: [{ blob: boot.blob, compression: 'gzip', diffId: boot.diffId, annotations: nydusBootstrapDescriptor(boot).annotations,
          summary: `the merged bootstrap (image/image.boot): ${merged.inodes} names, ${merged.blobIds.length} blob(s)` }],
        history: [{ ...NYDUS_BOOTSTRAP_HISTORY }],
        osFeatures: [NYDUS_OS_FEATURE],
      };
    },
  };
}
