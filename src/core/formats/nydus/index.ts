import { toLayerlabError } from '../../errors.ts';
import { byteString } from '../../tar/tar-path.ts';
import type { LayerFormat } from '../layer-format.ts';
import { metadataGuess, zstdAt } from '../size-estimate.ts';
import { nydusImageReader } from './analysis.ts';
import { NYDUS_ANNOTATION, NYDUS_BOOTSTRAP_HISTORY, isNydusBlobLayer, isNydusBootstrapLayer } from './build/image.ts';
import { NYDUS_BUILD_DEFAULTS } from './build/layer.ts';
import { NYDUS_FORMAT_ID, readNydusFile } from './image-reader.ts';
import { nydusLayerWriter } from './target.ts';
import { BOOTSTRAP_MAGIC, NYDUS_BLOB_MEDIA_TYPE, RECORD } from './types.ts';
import { unpackNydusLayer } from './unpack.ts';

export type { NydusSummary } from './image-reader.ts';
export { loadNydusBootstrap, checkNydusImage, nydusLayout, nodeKey, blobFeatureNames } from './image-reader.ts';

const KiB = 1024;
const MiB = 1024 * 1024;

/**
 * Nydus RAFS (../shared/spec/nydus.md): per-layer blobs (chunk data, blob.meta, the layer's own
 * bootstrap, a TOC — records whose tar headers follow their data) and a bootstrap layer holding
 * the merged RAFS bootstrap. Read through the bootstraps; written as nydus-snapshotter's converter
 * writes it. Its images are not tars of files, so it also claims lone bootstraps and blobs.
 */
export const nydusFormat: LayerFormat = {
  id: NYDUS_FORMAT_ID,
  label: 'Nydus',
  hint: 'lazy pull: RAFS chunks + a bootstrap',
  lazy: true,
  mediaTypes: [NYDUS_BLOB_MEDIA_TYPE],
  annotations: [NYDUS_ANNOTATION.blob, NYDUS_ANNOTATION.bootstrap, 'containerd.io/snapshot/nydus-blob-ids', NYDUS_ANNOTATION.ref],

  /**
   * A blob layer by its media type or annotation (§6.5): its bytes are an uncompressed tar whose
   * first bytes are chunk data (often zstd frames), so a sniff would mislead. A lone blob was
   * recognised by its tail when it was opened (sniffLoneInput).
   */
  async detect(layer, ctx) {
    const lone = ctx.image?.loneInput?.format === NYDUS_FORMAT_ID && ctx.image.loneInput.kind === 'layer-blob' && layer.index === 0;
    return lone || isNydusBlobLayer(layer.descriptor) ? { format: NYDUS_FORMAT_ID, compression: 'none', tarEnd: 0 } : undefined;
  },

  /** The layer's tar, unpacked from its own bootstrap and chunks (§7.1); chunks it shares with lower layers come from theirs. */
  tar(layer, ctx) {
    const img = ctx.image;
    const lowerBlobs = (id: string) => img?.layers.find((l) => l.descriptor.digest === `sha256:${id}`)?.source;
    return unpackNydusLayer(layer.source, { lowerBlobs, signal: ctx.signal, file: layer.path, layer: layer.index });
  },

  async readFile(img, node, range) {
    const c = node.content;
    if (c?.bootstrap === undefined) return undefined;
    const key = byteString(node.rawPath ?? new TextEncoder().encode(node.path));
    try {
      return await readNydusFile(img, c.bootstrap, key, { offset: range.offset, length: range.length, signal: range.signal });
    } catch (e) {
      throw toLayerlabError(e).withContext({ entry: node.path });
    }
  },

  imageReader: nydusImageReader,

  /**
   * Nydus artifacts are not tars: a RAFS v6 bootstrap is an EROFS image (superblock magic at
   * 1024, §4.2) whose first 1024 bytes are zero — which a tar reader would take for an empty
   * archive; a v5 bootstrap starts with "RAFS"; a per-layer blob puts each tar header *after* its
   * data (§2.2), so only its last 512 bytes are a header (`rafs.blob.toc`, `image.boot`, …).
   */
  sniffLoneInput(head, tail) {
    const u32 = (b: Uint8Array, at: number) => (b.length >= at + 4 ? (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0 : -1);
    if (u32(head, BOOTSTRAP_MAGIC.erofsAt) === BOOTSTRAP_MAGIC.erofs || u32(head, BOOTSTRAP_MAGIC.rafsV5At) === BOOTSTRAP_MAGIC.rafsV5) {
      return { kind: 'bootstrap', mediaType: 'application/octet-stream' };
    }
    const names = Object.values(RECORD).filter((n) => n !== RECORD.metaHeader);
    const name = String.fromCharCode(...tail.subarray(0, 100)).split('\0')[0];
    if (tail.length === 512 && tail[156] === 0x30 && names.includes(name as typeof names[number])) return { kind: 'layer-blob', mediaType: NYDUS_BLOB_MEDIA_TYPE };
    return undefined;
  },

  image: {
    isMetadataLayer: isNydusBootstrapLayer,
    isOwnHistory: (h) => h.comment === NYDUS_BOOTSTRAP_HISTORY.comment && h.created_by === NYDUS_BOOTSTRAP_HISTORY.created_by,
  },

  target: {
    options: [
      { kind: 'int', key: 'chunkSize', flag: 'chunk-size', label: 'Chunk size', min: 4 * KiB, max: 16 * MiB, default: NYDUS_BUILD_DEFAULTS.chunkSize,
        powerOfTwo: true, unit: 'bytes', choices: Array.from({ length: 13 }, (_, i) => 4 * KiB << i), help: 'a power of two from 4 KiB to 16 MiB' },
      { kind: 'choice', key: 'compressor', flag: 'compressor', label: 'Compressor', default: 'zstd', help: 'chunk compression',
        values: [{ value: 'zstd', label: 'zstd' }, { value: 'lz4_block', label: 'lz4_block' }, { value: 'none', label: 'none' }] },
      { kind: 'choice', key: 'digester', flag: 'digester', label: 'Digester', default: NYDUS_BUILD_DEFAULTS.digester, help: 'chunk digest',
        values: [{ value: 'blake3', label: 'BLAKE3' }, { value: 'sha256', label: 'SHA-256' }] },
      { kind: 'bool', key: 'dedup', flag: 'dedup', negativeFlag: 'no-dedup', label: 'Chunk dedup', default: true,
        help: 'reference chunks a lower layer already stores instead of storing them again' },
      { kind: 'list', key: 'prioritize', flag: 'prefetch', aliases: ['prioritize'], label: 'Prefetch', example: '/usr/bin', help: 'prefetch patterns of the merged bootstrap (default "/")' },
    ],
    pooled: true,
    // An image that has a Nydus bootstrap layer is refused as a source (convert-image.ts), so a
    // Nydus layer never meets this target.
    keepsOwnLayers: false,
    async createWriter(o, r) {
      const prefetch = o.prioritize as string[];
      return nydusLayerWriter({ chunkSize: o.chunkSize as number, compressor: o.compressor as 'zstd', digester: o.digester as 'blake3',
        dedup: o.dedup as boolean, prefetch: prefetch.length ? prefetch : undefined, pool: r.pool });
    },
    estimate(l, o, g) {
      const meta = metadataGuess(l.entries);
      // lz4 (its default fast mode) stores about a quarter more than gzip -6 on root filesystems
      if (o.compressor === 'none') return { estimate: l.uncompressedSize + meta, basis: 'uncompressed chunks + metadata' };
      if (o.compressor === 'lz4_block') return { estimate: Math.min(l.uncompressedSize, g.bytes * 1.25) + meta, basis: `≈ 1.25 × gzip (${g.basis}) + metadata` };
      return { estimate: zstdAt(g.bytes, 3) + meta, basis: `≈ zstd (${g.basis}) + metadata` };
    },
  },
};
