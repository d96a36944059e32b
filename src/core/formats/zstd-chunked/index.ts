import { LayerlabError, toLayerlabError } from '../../errors.ts';
import { MediaType } from '../../image/media-types.ts';
import { blobCompression } from '../../layer/layer.ts';
import { byteStringBytes } from '../../tar/tar-path.ts';
import type { DetectedLayer, LayerFormat } from '../layer-format.ts';
import { checkAnnotationConflict, zstdChunkedAnnotation } from './reader.ts';
import { scanZstdChunkedManifest, zstdChunkedReaderOf } from './scan.ts';
import { zstdChunkedTarget } from './target.ts';
import { ANNOTATION_PREFIXES, MANIFEST_CHECKSUM, MANIFEST_POSITION, TARSPLIT_POSITION, ZSTD_CHUNKED_ANNOTATIONS, type ZstdChunkedSummary } from './types.ts';

/**
 * zstd:chunked (../shared/spec/zstd-chunked.md): the lazy-pull format of containers/storage
 * (Podman, Buildah, CRI-O) — an ordinary tar+zstd layer whose files start new frames, indexed by
 * a manifest in a skippable frame and a footer at the end.
 */
export { readZstdChunkedFooter, parseZstdChunkedFooter, checkFrameHeader, zstdChunkedFooterBytes } from './footer.ts';
export type { ZstdChunkedFooter, BlobSpan, FooterKind, Manifest, ManifestEntry, ZstdChunkedFlavour, ZstdChunkedSummary } from './types.ts';
export { ZSTD_CHUNKED_ANNOTATIONS, MAX_MANIFEST_BYTES } from './types.ts';
export { crc64Iso, Crc64Iso } from './crc64.ts';
export {
  openZstdChunked, probeZstdChunked, ZstdChunkedReader, zstdChunkedAnnotation, checkAnnotationConflict,
  type OpenZstdChunkedOptions, type TarSplitLocation, type ZstdChunkedVerifyOptions, type ZstdChunkedVerifyReport,
} from './reader.ts';
export type { ZstdChunkedChunk } from './chunk-index.ts';
export { manifestFlavour, parseManifest } from './manifest.ts';
export { tarSplitEntries, rebuildTar, type TarSplitEntry } from './tar-split.ts';
export { scanZstdChunkedManifest, zstdChunkedReaderOf, unixSeconds } from './scan.ts';

/**
 * The format. Detection is from the bytes (spec §9): a zstd frame first, one of the three footers
 * last, a manifest that decompresses and parses; annotations are only checked (checksum,
 * position) and used to find an interim blob's tar-split. stargz-snapshotter's zstd eStargz
 * (shape B, same footer) is left to the eStargz format, which FORMATS asks first.
 */
export const zstdChunkedFormat: LayerFormat = {
  id: 'zstd-chunked',
  label: 'zstd:chunked',
  hint: 'lazy pull (Podman, CRI-O): zstd frames per file chunk + a manifest',
  lazy: true,
  mediaTypes: [MediaType.ociLayerZstd, MediaType.ociLayerNondistributableZstd],
  // Both key prefixes (spec §5): the format owns them, so a re-encoded layer loses them.
  annotations: ZSTD_CHUNKED_ANNOTATIONS,

  async detect(layer, ctx): Promise<DetectedLayer | undefined> {
    if (ctx.compression !== 'zstd' || layer.openError) return undefined;
    checkAnnotationConflict(layer.descriptor.annotations, { file: layer.path, layer: layer.index });
    const reader = await zstdChunkedReaderOf(layer, ctx.signal);
    if (!reader) return undefined;
    const m = reader.footer.manifest;
    // What a descriptor made for this blob must carry so containers/storage can pull it
    // partially (spec §5, current prefix): a docker-archive source has no annotations.
    const keep: Record<string, string> = {
      [ANNOTATION_PREFIXES[0] + MANIFEST_CHECKSUM]: reader.manifestDigest,
      [ANNOTATION_PREFIXES[0] + MANIFEST_POSITION]: `${m.offset}:${m.length}:${m.uncompressedLength}:1`,
    };
    const t = reader.tarSplit?.span;
    if (t) keep[ANNOTATION_PREFIXES[0] + TARSPLIT_POSITION] = `${t.offset}:${t.length}:${t.uncompressedLength}`;
    return { format: 'zstd-chunked', compression: 'zstd', keepAnnotations: keep, facts: reader.summary() };
  },

  describe(detected, layer) {
    const facts = detected.facts as ZstdChunkedSummary;
    const ctx = { file: layer.path, layer: layer.index, layerDigest: layer.descriptor.digest || undefined };
    const problems: LayerlabError[] = [];
    if (facts.manifestDigestCheck === 'mismatch') {
      problems.push(new LayerlabError('DIGEST_MISMATCH', `layer ${layer.index} zstd:chunked manifest checksum mismatch: the annotation says ${zstdChunkedAnnotation(layer.descriptor.annotations, MANIFEST_CHECKSUM)}, the manifest is ${facts.manifestDigest}`,
        { ...ctx, offset: facts.manifestOffset, offsetSpace: 'compressed' }));
    }
    if (facts.positionCheck === 'mismatch') {
      problems.push(new LayerlabError('BAD_LAZY_FORMAT', `layer ${layer.index} zstd:chunked manifest-position annotation ${zstdChunkedAnnotation(layer.descriptor.annotations, MANIFEST_POSITION)} disagrees with the footer's manifest at ${facts.manifestOffset}; the footer is used`,
        { ...ctx, offset: facts.manifestOffset, offsetSpace: 'compressed' }));
    }
    if (facts.tarSplit === 'unauthenticated') {
      problems.push(new LayerlabError('BAD_LAZY_FORMAT', `layer ${layer.index} has a zstd:chunked tar-split that nothing authenticates (no tarSplitDigest, no tarsplit-checksum): it is not used`,
        { ...ctx, offset: facts.tarSplitOffset, offsetSpace: 'compressed' }));
    }
    return { report: { lazyFormat: 'zstd-chunked', zstdChunked: facts }, problems };
  },

  tree: (layer, o) => scanZstdChunkedManifest(layer, o),

  target: zstdChunkedTarget,

  async readFile(img, node, range) {
    const c = node.content;
    if (c?.member === undefined) return undefined;
    const layer = img.layers[c.layer];
    if (!layer || layer.openError || await blobCompression(layer.source, range.signal) !== 'zstd') return undefined;
    try {
      const reader = await zstdChunkedReaderOf(layer, range.signal);
      // The tree's member key is the manifest name's normalised UTF-8 bytes (layer/index-entry.ts).
      const name = new TextDecoder().decode(byteStringBytes(c.member));
      if (!reader?.lookup(name)) return undefined;
      return await reader.readFile(name, { offset: range.offset, length: range.length, signal: range.signal });
    } catch (e) {
      throw toLayerlabError(e).withContext({ layer: c.layer, entry: node.path, file: layer.path });
    }
  },
};
