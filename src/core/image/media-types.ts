/**
 * Media types layerlab knows (OCI image-spec media-types.md; Docker image manifest v2 schema 2).
 * Anything else is reported as unknown, never guessed from a name.
 */
export const MediaType = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  ociLayerNondistributable: 'application/vnd.oci.image.layer.nondistributable.v1.tar',
  ociLayerNondistributableGzip: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  ociLayerNondistributableZstd: 'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerForeignLayerGzip: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
} as const;

export function isIndexMediaType(mt: string | undefined): boolean {
  return mt === MediaType.ociIndex || mt === MediaType.dockerList;
}

export function isManifestMediaType(mt: string | undefined): boolean {
  return mt === MediaType.ociManifest || mt === MediaType.dockerManifest;
}

const LAYER_TYPES = new Set<string>([
  MediaType.ociLayer, MediaType.ociLayerGzip, MediaType.ociLayerZstd,
  MediaType.ociLayerNondistributable, MediaType.ociLayerNondistributableGzip, MediaType.ociLayerNondistributableZstd,
  MediaType.dockerLayer, MediaType.dockerLayerGzip, MediaType.dockerForeignLayerGzip,
]);

/** The OCI and Docker layer media types (a format's own, like Nydus blobs, are in its folder: formats/registry.ts isFormatMediaType). */
export function isKnownLayerMediaType(mt: string | undefined): boolean {
  return mt !== undefined && LAYER_TYPES.has(mt);
}

/** The media type a docker-archive layer gets from its sniffed compression (corpus README, "Per layer"). */
export function dockerArchiveLayerMediaType(format: 'gzip' | 'zstd' | 'none'): string {
  return format === 'gzip' ? MediaType.dockerLayerGzip : format === 'zstd' ? MediaType.ociLayerZstd : MediaType.dockerLayer;
}

/** The media type a lone layer blob gets (corpus README, "Per layer"). */
export function loneLayerMediaType(format: 'gzip' | 'zstd' | 'none'): string {
  return format === 'gzip' ? MediaType.ociLayerGzip : format === 'zstd' ? MediaType.ociLayerZstd : MediaType.ociLayer;
}
