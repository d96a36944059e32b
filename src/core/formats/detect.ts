import type { ByteSource } from '../bytes/byte-source.ts';
import type { EstargzSummary } from '../analysis/report.ts';
import { readFooter } from './estargz/footer.ts';
import { EstargzReader } from './estargz/reader.ts';
import { readToc } from './estargz/toc.ts';

/** What a lazy-pull layer's tail says about it. Only eStargz (and legacy stargz) so far. */
export interface LazyFormatInfo extends EstargzSummary {
  format: 'estargz';
}

export interface DetectOptions {
  /** The layer's `containerd.io/snapshot/stargz/toc.digest` annotation, when it has one. */
  expectedTocDigest?: string;
  signal?: AbortSignal;
}

/**
 * Tells whether a layer blob is in a lazy-pull format, reading only its tail: the footer, then
 * the TOC it points at (spec §11 rules 2–3: footer, then a TOC member holding exactly
 * `stargz.index.json`). Never by media type, never by walking the whole stream (a lossless
 * blob's TOC entry follows an end-of-archive).
 *
 * undefined: no footer, not a lazy format. Throws (LayerlabError) when the footer is there but
 * the rest is broken: a damaged eStargz blob is a finding, not "some other format".
 * The zstd variant (40-byte skippable-frame footer, spec §10) is not recognised yet.
 */
export async function detectLazyFormat(src: ByteSource, o: DetectOptions = {}): Promise<LazyFormatInfo | undefined> {
  const footer = await readFooter(src, o.signal);
  if (!footer) return undefined;
  const reader = new EstargzReader(src, footer, await readToc(src, footer, { signal: o.signal, expectedDigest: o.expectedTocDigest }));
  return {
    format: 'estargz',
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
