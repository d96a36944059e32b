import type { ByteSource } from '../../bytes/byte-source.ts';
import { LayerlabError, toLayerlabError } from '../../errors.ts';
import { blobCompression } from '../../layer/layer.ts';
import { MediaType } from '../../image/media-types.ts';
import { byteStringBytes } from '../../tar/tar-path.ts';
import type { DetectedLayer, LayerFormat } from '../layer-format.ts';
import { gzipAt, metadataGuess } from '../size-estimate.ts';
import { readFooter } from './footer.ts';
import { EstargzReader } from './reader.ts';
import { estargzLayerWriter } from './target.ts';
import { readEstargzFile, scanEstargzToc } from './toc-scan.ts';
import { readToc } from './toc.ts';
import { TOC_DIGEST_ANNOTATION, UNCOMPRESSED_SIZE_ANNOTATION, type EstargzSummary } from './types.ts';

export type { EstargzSummary } from './types.ts';
export { TOC_DIGEST_ANNOTATION, UNCOMPRESSED_SIZE_ANNOTATION } from './types.ts';
export { openEstargz, EstargzReader, type EstargzChunk } from './reader.ts';
export { writeEstargz, type EstargzWriteOptions, type EstargzWriteResult } from './writer.ts';

const KiB = 1024;
const MiB = 1024 * 1024;

/**
 * eStargz (../shared/spec/estargz.md): a tar+gzip layer whose files are gzip members of their own,
 * indexed by a TOC member and a footer at the end, so a file can be read by fetching only its
 * chunks. To every other consumer it is an ordinary tar+gzip layer.
 */
export const estargzFormat: LayerFormat = {
  id: 'estargz',
  label: 'eStargz',
  hint: 'lazy pull: gzip members per file + a TOC',
  lazy: true,
  mediaTypes: [MediaType.ociLayerGzip, MediaType.dockerLayerGzip],
  annotations: [TOC_DIGEST_ANNOTATION, UNCOMPRESSED_SIZE_ANNOTATION],
  // One gzip member per file and chunk: about 1.11 × gzip -6 of the same tar (estargz-ref BENCH.md).
  storedVsGzip6: 1.11,

  /**
   * From the tail only (spec §11 rules 2–3): the footer, then the TOC member it points at, which
   * must hold exactly `stargz.index.json`. Never by media type, never by walking the stream (a
   * lossless blob's TOC entry follows an end-of-archive). The zstd variant (a 40-byte skippable
   * frame footer, §10) is not recognised yet.
   */
  async detect(layer, ctx): Promise<DetectedLayer | undefined> {
    if (ctx.compression !== 'gzip' || layer.openError) return undefined;
    const facts = await readEstargzSummary(layer.source, { expectedTocDigest: layer.descriptor.annotations?.[TOC_DIGEST_ANNOTATION], signal: ctx.signal });
    if (!facts) return undefined;
    return { format: 'estargz', compression: 'gzip', tarEnd: facts.tocOffset, keepAnnotations: { [TOC_DIGEST_ANNOTATION]: facts.tocDigest }, facts };
  },

  describe(detected, layer) {
    const facts = detected.facts as EstargzSummary;
    const problems = facts.tocDigestCheck !== 'mismatch' ? [] : [new LayerlabError('DIGEST_MISMATCH',
      `layer ${layer.index} eStargz TOC digest mismatch: the annotation says ${layer.descriptor.annotations?.[TOC_DIGEST_ANNOTATION]}, the TOC is ${facts.tocDigest}`,
      { file: layer.path, layer: layer.index, layerDigest: layer.descriptor.digest || undefined, offset: facts.tocOffset, offsetSpace: 'compressed' })];
    return { report: { lazyFormat: 'estargz', estargz: facts }, problems };
  },

  tree: (layer, o) => scanEstargzToc(layer, o),

  async readFile(img, node, range) {
    const c = node.content;
    if (c?.member === undefined) return undefined;
    const layer = img.layers[c.layer];
    if (!layer || layer.openError || await blobCompression(layer.source, range.signal) !== 'gzip') return undefined;
    const name = new TextDecoder().decode(byteStringBytes(c.member));
    try {
      return await readEstargzFile(layer, name, range);
    } catch (e) {
      throw toLayerlabError(e).withContext({ layer: c.layer, entry: node.path });
    }
  },

  target: {
    options: [
      { kind: 'int', key: 'level', flag: 'level', label: 'Level', min: 0, max: 9, default: 9, help: '9 is the library default, BuildKit uses 6: twice as fast, < 0.5 % larger' },
      { kind: 'bool', key: 'lossless', flag: 'lossless', label: 'Mode', default: false, help: 'eStargz mode',
        states: { off: 'Build (as ctr-remote: entries re-encoded, prioritized files first)', on: 'Lossless (as BuildKit: the tar kept byte for byte)' } },
      { kind: 'int', key: 'chunkSize', flag: 'chunk-size', label: 'Chunk size', min: 1, max: 1 << 30, default: 4 * MiB, unit: 'bytes',
        choices: [256 * KiB, 512 * KiB, MiB, 2 * MiB, 4 * MiB, 8 * MiB, 16 * MiB], help: 'uncompressed bytes per chunk (spec §3)' },
      { kind: 'int', key: 'minChunkSize', flag: 'min-chunk-size', label: 'Min chunk size', min: 0, max: 1 << 30, default: 0, unit: 'bytes',
        help: 'small files share a gzip member (0 = off)' },
      { kind: 'list', key: 'prioritize', flag: 'prioritize', label: 'Prioritized files', example: 'path in the image, e.g. bin/sh', disabledBy: 'lossless',
        help: 'Build mode: files put first, then the prefetch landmark (spec §6)' },
    ],
    pooled: true,
    async createWriter(o, r) {
      const prioritize = o.prioritize as string[];
      if (o.lossless && prioritize.length) throw new LayerlabError('UNSUPPORTED', 'eStargz lossless mode keeps the tar\'s order, so it has no prioritized files');
      return estargzLayerWriter({ lossless: o.lossless as boolean, chunkSize: o.chunkSize as number, minChunkSize: o.minChunkSize as number,
        level: o.level as number, prioritize: prioritize.length ? prioritize : undefined, pool: r.pool });
    },
    estimate(l, o, g) {
      const level = o.level as number;
      const chunk = o.chunkSize as number;
      const chunky = chunk < MiB ? 1 + Math.min(0.15, (64 * KiB) / chunk * 0.01) : 1;
      return { estimate: gzipAt(g.bytes, l.uncompressedSize, level) * 1.11 * chunky + metadataGuess(l.entries), basis: `1.11 × gzip at level ${level} + TOC (${g.basis})` };
    },
  },
};

/**
 * An eStargz blob's footer and TOC, from its tail only (spec §11 rules 2–3): undefined when it has
 * no eStargz footer; throws (LayerlabError) when the footer is there but the TOC is broken. The
 * TOC digest is checked against `expectedTocDigest` (the layer's annotation) when given.
 */
export async function readEstargzSummary(src: ByteSource, o: { expectedTocDigest?: string; signal?: AbortSignal } = {}): Promise<EstargzSummary | undefined> {
  const footer = await readFooter(src, o.signal);
  if (!footer) return undefined;
  const reader = new EstargzReader(src, footer, await readToc(src, footer, { signal: o.signal, expectedDigest: o.expectedTocDigest }));
  return {
    footer: footer.kind,
    tocDigest: reader.tocDigest,
    tocOffset: footer.tocOffset,
    entries: reader.entries.length,
    chunks: reader.chunks.length,
    prioritized: [...reader.prioritized],
    landmark: reader.landmark,
    tocDigestCheck: reader.tocDigestCheck,
  };
}
