import type { CompressionPool } from '../compress/compression-pool.ts';
import { LayerlabError, checkAborted } from '../errors.ts';
import type { ConvertSettings } from '../formats/layer-format.ts';
import { createLayerWriter, targetUsesPool } from '../formats/registry.ts';
import type { OpenedImage } from '../image/opened-image.ts';
import type { ImageIndex } from '../image/types.ts';
import type { Progress } from '../progress.ts';
import type { BlobSpool } from '../store/blob-spool.ts';
import { convertImage, finishOutput, type ConvertedManifest } from './convert-image.ts';
import type { ImageSink } from './image-sink.ts';

/** Progress of a conversion: the engine's per-layer Progress, plus which platform when there are several. */
export interface ConversionProgress extends Progress {
  platform?: string;
  platformIndex?: number;
  platformCount?: number;
}

export interface ConversionRequest {
  settings: ConvertSettings;
  /** The image as opened (the caller's: not closed here). */
  image: OpenedImage;
  /** Every platform of its index, not only the one opened. */
  allPlatforms?: boolean;
  /** The same input opened again for another platform; closed here after use. */
  openPlatform?(platform: string): Promise<OpenedImage>;
  sink: ImageSink;
  /** Where converted layers wait until their digest and size are known. */
  spool: BlobSpool;
  mediaTypes?: 'keep' | 'oci';
  /** See ConvertImageOptions.verifiedDiffIds. */
  verifiedDiffIds?: ReadonlyMap<string, string>;
  /** Makes this platform's compression pool, when the target compresses on one; closed here. */
  pool?(): CompressionPool;
  signal?: AbortSignal;
  onProgress?(p: ConversionProgress): void;
}

/**
 * The one conversion driver, for the CLI and the worker alike: the writer for the settings (the
 * registry validates them), each platform's layers through the spool into the sink, the index
 * last. On any error or cancel the sink is aborted, so nothing half-written stays; the pool is
 * always closed. Where the output goes (a file, a folder, OPFS) is the caller's, through `sink`.
 */
export async function runConversion(r: ConversionRequest): Promise<{ manifests: ConvertedManifest[]; index: ImageIndex }> {
  if (r.image.kind === 'layer') throw new LayerlabError('UNSUPPORTED', 'a lone layer blob has no manifest; convert it with convertLayerBlob', { file: r.image.name });
  const platforms = r.allPlatforms && r.image.platforms.length > 1 ? r.image.platforms.map((p) => p.platform) : undefined;
  if (platforms && r.sink.layout === 'docker-archive') {
    throw new LayerlabError('UNSUPPORTED', `a docker-archive holds one platform; this index has ${platforms.length}: convert one, or write an OCI archive`);
  }
  if (platforms && !r.openPlatform) throw new LayerlabError('INTERNAL', 'converting every platform needs openPlatform');
  const pool = targetUsesPool(r.settings.target) ? r.pool?.() : undefined;
  try {
    const writer = await createLayerWriter(r.settings, { pool });
    const manifests: ConvertedManifest[] = [];
    const count = platforms?.length ?? 1;
    const convert = async (img: OpenedImage, platform: string | undefined, i: number) => {
      const onProgress = (p: Progress) => r.onProgress?.({ ...p, platform, platformIndex: i, platformCount: count });
      manifests.push(await convertImage(img, r.sink, {
        writer, spool: r.spool, signal: r.signal, onProgress, mediaTypes: r.mediaTypes, verifiedDiffIds: r.verifiedDiffIds,
      }));
    };
    if (!platforms) await convert(r.image, undefined, 0);
    else {
      for (const [i, p] of platforms.entries()) {
        checkAborted(r.signal);
        r.onProgress?.({ phase: 'open', layerDone: 0, layerTotal: 0, done: 0, total: 0, message: `opening ${p}`, platform: p, platformIndex: i, platformCount: count });
        const img = await r.openPlatform!(p);
        try { await convert(img, p, i); } finally { await img.close?.(); }
      }
    }
    const index = await finishOutput(r.sink, manifests, r.signal);
    return { manifests, index };
  } catch (e) {
    await r.sink.abort().catch(() => {});
    throw e;
  } finally {
    pool?.close();
  }
}
