import type { ByteSource } from '../../bytes/byte-source.ts';
import { LayerlabError, toLayerlabError } from '../../errors.ts';
import { blobCompression } from '../../layer/layer.ts';
import { MediaType } from '../../image/media-types.ts';
import { byteStringBytes } from '../../tar/tar-path.ts';
import type { DetectedLayer, LayerFormat } from '../layer-format.ts';
import { gzipAt, metadataGuess, zstdAt } from '../size-estimate.ts';
import { readFooter } from './footer.ts';
import { checkAnnotationConflict } from '../zstd-chunked/index.ts';
import { EstargzReader } from './reader.ts';
import { estargzLayerWriter } from './target.ts';
import { readEstargzFile, scanEstargzToc } from './toc-scan.ts';
import { readToc, type TocRead } from './toc.ts';
import { MEMBER_COMPRESSORS, memberLevel, type EstargzCompression } from './member-compressor.ts';
import {
  TOC_DIGEST_ANNOTATION, UNCOMPRESSED_SIZE_ANNOTATION, ZSTD_MANIFEST_CHECKSUM_ANNOTATION, ZSTD_MANIFEST_POSITION_ANNOTATION, type EstargzSummary, type Footer,
} from './types.ts';

export type { EstargzSummary } from './types.ts';
export { TOC_DIGEST_ANNOTATION, UNCOMPRESSED_SIZE_ANNOTATION, ZSTD_MANIFEST_CHECKSUM_ANNOTATION, ZSTD_MANIFEST_POSITION_ANNOTATION } from './types.ts';
export { openEstargz, EstargzReader, type EstargzChunk } from './reader.ts';
export { writeEstargz, GZIP_MEMBERS, ZSTD_MEMBERS, type EstargzWriteOptions, type EstargzWriteResult } from './writer.ts';

const KiB = 1024;
const MiB = 1024 * 1024;

/**
 * eStargz (../shared/spec/estargz.md): a tar+gzip layer whose files are gzip members of their own,
 * indexed by a TOC member and a footer at the end, so a file can be read by fetching only its
 * chunks. To every other consumer it is an ordinary tar+gzip layer. Its zstd variant
 * (stargz-snapshotter `estargz/zstdchunked`, spec §10) is the same with zstd frames, the TOC in a
 * skippable frame and zstd:chunked's 40-byte footer: an ordinary tar+zstd layer to others.
 */
export const estargzFormat: LayerFormat = {
  id: 'estargz',
  label: 'eStargz',
  hint: 'lazy pull: gzip members per file + a TOC',
  lazy: true,
  mediaTypes: [MediaType.ociLayerGzip, MediaType.dockerLayerGzip, MediaType.ociLayerZstd],
  annotations: [TOC_DIGEST_ANNOTATION, UNCOMPRESSED_SIZE_ANNOTATION, ZSTD_MANIFEST_CHECKSUM_ANNOTATION, ZSTD_MANIFEST_POSITION_ANNOTATION],
  // One gzip member per file and chunk: about 1.11 × gzip -6 of the same tar (estargz-ref BENCH.md).
  storedVsGzip6: 1.11,

  /**
   * From the tail only (spec §11 rules 2–3): the footer, then the TOC member it points at, which
   * must hold exactly `stargz.index.json`. Never by media type, never by walking the stream (a
   * lossless blob's TOC entry follows an end-of-archive). A zstd blob with the 40-byte footer is
   * ours when its TOC is eStargz's (zstd-chunked.md §9 rule 7, shape B); containers/storage's
   * (shape A) is left to zstd:chunked, registered after this format.
   */
  async detect(layer, ctx): Promise<DetectedLayer | undefined> {
    if (ctx.compression === 'none' || layer.openError) return undefined;
    // containers/storage refuses a descriptor naming both TOCs (zstd-chunked.md §5), whichever
    // format the bytes turn out to be: refused here too, as this format is asked first.
    checkAnnotationConflict(layer.descriptor.annotations, { file: layer.path, layer: layer.index });
    const found = await readEstargz(layer.source, { expectedTocDigest: layer.descriptor.annotations?.[TOC_DIGEST_ANNOTATION], signal: ctx.signal });
    if (!found || found.footer.compression !== ctx.compression) return undefined;
    const { footer, read, facts } = found;
    const keepAnnotations: Record<string, string> = { [TOC_DIGEST_ANNOTATION]: facts.tocDigest };
    if (footer.toc && read.compressedDigest) {
      keepAnnotations[ZSTD_MANIFEST_CHECKSUM_ANNOTATION] = read.compressedDigest;
      keepAnnotations[ZSTD_MANIFEST_POSITION_ANNOTATION] = `${footer.toc.offset}:${footer.toc.length}:${footer.toc.uncompressedLength}:1`;
    }
    return { format: 'estargz', compression: footer.compression, tarEnd: facts.tocOffset, keepAnnotations, facts };
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
    if (!layer || layer.openError || await blobCompression(layer.source, range.signal) === 'none') return undefined;
    const name = new TextDecoder().decode(byteStringBytes(c.member));
    try {
      return await readEstargzFile(layer, name, range);
    } catch (e) {
      throw toLayerlabError(e).withContext({ layer: c.layer, entry: node.path });
    }
  },

  target: {
    options: [
      { kind: 'choice', key: 'compression', flag: 'compression', label: 'Compression', default: 'gzip', help: 'what each member is (spec §10)',
        values: [
          { value: 'gzip', label: 'gzip (eStargz, tar+gzip)' },
          { value: 'zstd', label: 'zstd (stargz-snapshotter zstdchunked, tar+zstd, OCI only)' },
        ] },
      // One level for both codecs: checked per compression by memberLevel (./member-compressor.ts).
      { kind: 'int', key: 'level', flag: 'level', label: 'Level', min: 0, max: 22, default: MEMBER_COMPRESSORS.gzip.levels.default,
        defaultFor: { option: 'compression', values: { gzip: MEMBER_COMPRESSORS.gzip.levels.default, zstd: MEMBER_COMPRESSORS.zstd.levels.default } },
        help: 'gzip 0–9, default 9 (the library; BuildKit uses 6: twice as fast, < 0.5 % larger); zstd 1–22, default 3 (ctr-remote)' },
      { kind: 'bool', key: 'lossless', flag: 'lossless', label: 'Mode', default: false, help: 'eStargz mode',
        states: { off: 'Build (as ctr-remote: entries re-encoded, prioritized files first)', on: 'Lossless (as BuildKit: the tar kept byte for byte)' } },
      { kind: 'int', key: 'chunkSize', flag: 'chunk-size', label: 'Chunk size', min: 1, max: 1 << 30, default: 4 * MiB, unit: 'bytes',
        choices: [256 * KiB, 512 * KiB, MiB, 2 * MiB, 4 * MiB, 8 * MiB, 16 * MiB], help: 'uncompressed bytes per chunk (spec §3)' },
      { kind: 'int', key: 'minChunkSize', flag: 'min-chunk-size', label: 'Min chunk size', min: 0, max: 1 << 30, default: 0, unit: 'bytes',
        help: 'small files share one member (gzip member or zstd frame; 0 = off)' },
      { kind: 'list', key: 'prioritize', flag: 'prioritize', label: 'Prioritized files', example: 'path in the image, e.g. bin/sh', disabledBy: 'lossless',
        help: 'Build mode: files put first, then the prefetch landmark (spec §6)' },
    ],
    pooled: true,
    async createWriter(o, r) {
      const prioritize = o.prioritize as string[];
      if (o.lossless && prioritize.length) throw new LayerlabError('UNSUPPORTED', 'eStargz lossless mode keeps the tar\'s order, so it has no prioritized files');
      const { compression, level } = codecOf(o);
      return estargzLayerWriter({ lossless: o.lossless as boolean, compression, chunkSize: o.chunkSize as number, minChunkSize: o.minChunkSize as number,
        level, prioritize: prioritize.length ? prioritize : undefined, pool: r.pool });
    },
    estimate(l, o, g) {
      const { compression, level } = codecOf(o);
      const chunk = o.chunkSize as number;
      const chunky = chunk < MiB ? 1 + Math.min(0.15, (64 * KiB) / chunk * 0.01) : 1;
      const data = compression === 'zstd' ? zstdAt(g.bytes, level) : gzipAt(g.bytes, l.uncompressedSize, level);
      return { estimate: data * 1.11 * chunky + metadataGuess(l.entries), basis: `1.11 × ${compression} at level ${level} + TOC (${g.basis})` };
    },
  },
};

/** The target's compression and level (its default per compression: the option's defaultFor), checked in one place. */
function codecOf(o: Readonly<Record<string, unknown>>): { compression: EstargzCompression; level: number } {
  const compression = o.compression === 'zstd' ? 'zstd' : 'gzip';
  return { compression, level: memberLevel(MEMBER_COMPRESSORS[compression], o.level as number) };
}

/**
 * An eStargz blob's footer and TOC, from its tail only (spec §11 rules 2–3): undefined when it has
 * no eStargz footer, or the 40-byte zstd footer of a containers/storage blob; throws
 * (LayerlabError) when the footer is there but the TOC is broken. The TOC digest is checked
 * against `expectedTocDigest` (the layer's annotation) when given.
 */
export async function readEstargzSummary(src: ByteSource, o: { expectedTocDigest?: string; signal?: AbortSignal } = {}): Promise<EstargzSummary | undefined> {
  return (await readEstargz(src, o))?.facts;
}

async function readEstargz(src: ByteSource, o: { expectedTocDigest?: string; signal?: AbortSignal }): Promise<{ footer: Footer; read: TocRead; facts: EstargzSummary } | undefined> {
  const footer = await readFooter(src, o.signal);
  if (!footer) return undefined;
  let read: TocRead;
  try {
    read = await readToc(src, footer, { signal: o.signal, expectedDigest: o.expectedTocDigest });
  } catch (e) {
    if (toLayerlabError(e).code === 'UNKNOWN_FORMAT') return undefined; // zstd:chunked's (./toc.ts)
    throw e;
  }
  const reader = new EstargzReader(src, footer, read);
  return {
    footer, read,
    facts: {
      footer: footer.kind,
      tocDigest: reader.tocDigest,
      tocOffset: footer.tocOffset,
      entries: reader.entries.length,
      chunks: reader.chunks.length,
      prioritized: [...reader.prioritized],
      landmark: reader.landmark,
      tocDigestCheck: reader.tocDigestCheck,
    },
  };
}
