import type { ByteSource } from '../../src/core/bytes/byte-source.ts';
import { detectLayer } from '../../src/core/formats/registry.ts';
import { TOC_DIGEST_ANNOTATION, type EstargzSummary } from '../../src/core/formats/estargz/index.ts';

/**
 * What the format registry finds a lone blob to be, when that is eStargz: the format id and the
 * footer/TOC facts (what the analysis reports as `lazyFormat` and `estargz`). undefined for any
 * other format. Goes through detectLayer, as the analysis and the converter do.
 */
export async function detectLazyFormat(src: ByteSource, o: { expectedTocDigest?: string } = {}): Promise<({ format: string } & EstargzSummary) | undefined> {
  const annotations = o.expectedTocDigest ? { [TOC_DIGEST_ANNOTATION]: o.expectedTocDigest } : undefined;
  const d = await detectLayer({ index: 0, digestIsClaim: false, source: src, path: src.name, descriptor: { mediaType: '', digest: '', size: src.size, annotations } });
  return d.format === 'estargz' ? { format: d.format, ...(d.facts as EstargzSummary) } : undefined;
}
