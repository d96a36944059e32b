import { MediaType } from '../../image/media-types.ts';
import type { LayerFormat } from '../layer-format.ts';
import { gzipAt, zstdAt } from '../size-estimate.ts';
import { gzipLayerWriter, uncompressedLayerWriter, zstdLayerWriter } from './writers.ts';

/**
 * The three plain layer encodings of the OCI image-spec (layer.md): tar+gzip, tar+zstd, tar. They
 * are what a layer is when no lazy-pull format claims it, so each detects by its codec alone and
 * the registry asks them last. A plain format's id is its codec's name.
 */

const level = (min: number, max: number, def: number, help: string) =>
  ({ kind: 'int', key: 'level', flag: 'level', label: 'Level', min, max, default: def, help }) as const;

export const gzipFormat: LayerFormat = {
  id: 'gzip',
  label: 'gzip',
  hint: 'tar+gzip, what every runtime pulls',
  lazy: false,
  mediaTypes: [MediaType.ociLayerGzip, MediaType.ociLayerNondistributableGzip, MediaType.dockerLayerGzip, MediaType.dockerForeignLayerGzip],
  annotations: [],
  storedVsGzip6: 1,
  async detect(_layer, ctx) {
    return ctx.compression === 'gzip' ? { format: 'gzip', compression: 'gzip' } : undefined;
  },
  target: {
    options: [level(0, 9, 6, '6 is the default')],
    pooled: false,
    createWriter: async (o) => gzipLayerWriter(o.level as 0),
    estimate: (l, o, g) => ({ estimate: gzipAt(g.bytes, l.uncompressedSize, o.level as number), basis: g.basis }),
  },
};

export const zstdFormat: LayerFormat = {
  id: 'zstd',
  label: 'zstd',
  hint: 'tar+zstd: smaller and faster to unpack (OCI only)',
  lazy: false,
  mediaTypes: [MediaType.ociLayerZstd, MediaType.ociLayerNondistributableZstd],
  annotations: [],
  storedVsGzip6: 0.9,
  async detect(_layer, ctx) {
    return ctx.compression === 'zstd' ? { format: 'zstd', compression: 'zstd' } : undefined;
  },
  target: {
    options: [level(1, 22, 3, '3 is the default')],
    pooled: false,
    createWriter: async (o) => zstdLayerWriter(o.level as number),
    estimate: (_l, o, g) => ({ estimate: zstdAt(g.bytes, o.level as number), basis: `0.9 × gzip (${g.basis})` }),
  },
};

export const uncompressedFormat: LayerFormat = {
  id: 'uncompressed',
  label: 'Uncompressed',
  hint: 'plain tar',
  lazy: false,
  mediaTypes: [MediaType.ociLayer, MediaType.ociLayerNondistributable, MediaType.dockerLayer],
  annotations: [],
  async detect(_layer, ctx) {
    return ctx.compression === 'none' ? { format: 'uncompressed', compression: 'none' } : undefined;
  },
  target: {
    options: [],
    pooled: false,
    createWriter: async () => uncompressedLayerWriter(),
    estimate: (l) => ({ estimate: l.uncompressedSize, basis: 'the diffID stream size' }),
  },
};
