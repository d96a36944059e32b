/**
 * Image-level pieces of OCI → Nydus conversion, as nydus-snapshotter's converter writes them
 * (spec §6.4, §6.5; `pkg/converter` MergeLayers / ConvertHookFunc): the layer descriptors'
 * media types and annotations, the bootstrap layer's bytes, the history entry and os.feature.
 * The manifest, config and index around them are the conversion spine's, as for every format
 * (core/convert/convert-image.ts), fed by the target's finishImage (../target.ts).
 */
import { createGzipEncoder } from '../../../compress/gzip-encoder.ts';
import type { Digest } from '../../../digest/digest.ts';
import { sha256Digest } from '../../../digest/sha256.ts';
import { MediaType } from '../../../image/media-types.ts';
import type { Descriptor, HistoryEntry } from '../../../image/types.ts';
import { TarWriter } from '../../../tar/tar-writer.ts';
import { concatBytes } from '../../../bytes/concat.ts';
import { CI_HEADER, EROFS_BLOCK, NYDUS_BLOB_MEDIA_TYPE } from '../types.ts';

export const NYDUS_ANNOTATION = {
  blob: 'containerd.io/snapshot/nydus-blob',
  bootstrap: 'containerd.io/snapshot/nydus-bootstrap',
  fsVersion: 'containerd.io/snapshot/nydus-fs-version',
  uncompressed: 'containerd.io/uncompressed',
  ref: 'containerd.io/snapshot/nydus-ref',
  encryptedBlob: 'containerd.io/snapshot/nydus-encrypted-blob',
  referenceBlobIds: 'containerd.io/snapshot/nydus-reference-blob-ids',
  sourceDigest: 'containerd.io/snapshot/nydus-source-digest',
} as const;
export const NYDUS_OS_FEATURE = 'nydus.remoteimage.v1';
export const NYDUS_MANIFEST_ARTIFACT_TYPE = 'application/vnd.nydus.image.manifest.v1+json';
export const NYDUS_CONFIG_MEDIA_TYPE = 'application/vnd.nydus.image.config.v1+json';
export const NYDUS_BOOTSTRAP_HISTORY: HistoryEntry = { created_by: 'Nydus Converter', comment: 'Nydus Bootstrap Layer' };
export const NYDUS_BOOTSTRAP_PATH = 'image/image.boot';

/** The per-layer nydus blob descriptor (§6.5): media type nydus.blob.v1, annotation nydus-blob. */
export function nydusBlobDescriptor(layer: { blobId: string; layerTarSize: number }): Descriptor {
  return {
    mediaType: NYDUS_BLOB_MEDIA_TYPE,
    digest: `sha256:${layer.blobId}` as Digest,
    size: layer.layerTarSize,
    annotations: { [NYDUS_ANNOTATION.blob]: 'true' },
  };
}

export interface BootstrapLayer {
  /** gzip'd tar: the layer blob. */
  blob: Uint8Array;
  digest: Digest;
  size: number;
  /** sha256 of the uncompressed tar. */
  diffId: Digest;
}

/**
 * The bootstrap layer (§6.4): tar { image/ (0755), image/image.boot (0444), image/<hex>.blob.meta
 * (0444) per blob-meta given } with uid/gid 0, mtime 0, no uname/gname, gzip'd (level 6, Go's
 * default). `blobMetas`: the CI data + header of each layer (cache-file form: data zero-padded
 * to 4096, then the header), as converters since 2025-10 add them; omit for the older form.
 */
export async function nydusBootstrapLayer(bootstrap: Uint8Array, blobMetas: { blobId: string; ciData: Uint8Array; header: Uint8Array }[] = []): Promise<BootstrapLayer> {
  const tarParts: Uint8Array[] = [];
  const tw = new TarWriter((c) => tarParts.push(c));
  await tw.addEntry({ name: 'image', type: 'dir', mode: 0o755, uid: 0, gid: 0, mtime: 0 });
  await tw.addEntry({ name: NYDUS_BOOTSTRAP_PATH, type: 'file', mode: 0o444, uid: 0, gid: 0, mtime: 0 }, bootstrap);
  for (const m of blobMetas) {
    const padded = Math.ceil(m.ciData.length / EROFS_BLOCK) * EROFS_BLOCK;
    const file = new Uint8Array(padded + CI_HEADER.size);
    file.set(m.ciData, 0);
    file.set(m.header, padded);
    await tw.addEntry({ name: `image/${m.blobId}.blob.meta`, type: 'file', mode: 0o444, uid: 0, gid: 0, mtime: 0 }, file);
  }
  tw.finish();
  const tar = concatBytes(tarParts);
  const gzParts: Uint8Array[] = [];
  const gz = createGzipEncoder({ level: 6, ondata: (c) => gzParts.push(c) });
  gz.push(tar);
  gz.finish();
  const blob = concatBytes(gzParts);
  return { blob, digest: await sha256Digest(blob), size: blob.length, diffId: await sha256Digest(tar) };
}

/** The bootstrap layer's descriptor (§6.5): tar+gzip (docker media type for docker sources). */
export function nydusBootstrapDescriptor(layer: { digest: Digest; size: number }, o: { docker?: boolean; fsVersion?: '5' | '6' } = {}): Descriptor {
  return {
    mediaType: o.docker ? MediaType.dockerLayerGzip : MediaType.ociLayerGzip,
    digest: layer.digest,
    size: layer.size,
    annotations: { [NYDUS_ANNOTATION.bootstrap]: 'true', [NYDUS_ANNOTATION.fsVersion]: o.fsVersion ?? '6' },
  };
}

/** True for a layer descriptor that is a nydus bootstrap layer / a nydus blob layer. */
export const isNydusBootstrapLayer = (d: Descriptor) => d.annotations?.[NYDUS_ANNOTATION.bootstrap] === 'true';
export const isNydusBlobLayer = (d: Descriptor) => d.mediaType === NYDUS_BLOB_MEDIA_TYPE || d.annotations?.[NYDUS_ANNOTATION.blob] === 'true';

