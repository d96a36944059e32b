import type { CompressionJob } from '../../compress/compression-pool.ts';
import { encodeSkippableFrame } from '../../compress/zstd-frames.ts';
import { sha256Digest } from '../../digest/sha256.ts';
import { LayerlabError, type ErrorContext } from '../../errors.ts';
import { zstdChunkedFooterBytes, type BlobSpan } from '../zstd-chunked/index.ts';
import { footerBytes, SKIPPABLE_HEADER } from './footer.ts';
import { tocTarBytes } from './toc-tar.ts';
import { ZSTD_MANIFEST_CHECKSUM_ANNOTATION, ZSTD_MANIFEST_POSITION_ANNOTATION } from './types.ts';

/** Where the TOC went and what follows it: the blob's tail (spec §2 steps 9–10, §10). */
export interface TocPlacement {
  /** The compressed TOC as it is stored (the gzip member; the zstd frame inside a skippable frame). */
  toc: Uint8Array;
  footer: Uint8Array;
  /** The compressed TOC bytes in the blob and the length of what they decompress to. */
  span: BlobSpan;
  /** Layer annotations this compressor adds (the zstd variant's position and checksum). */
  annotations: Record<string, string>;
}

/**
 * How the eStargz writer compresses its members (stargz-snapshotter's `Compressor` interface:
 * estargz.go's gzip one, and `zstdchunked`'s zstd one with its own TOC framing and footer). The
 * writer lays out members, chunks and the TOC JSON; the compressor says what one member is (a
 * pool job), what the TOC member holds, and how the TOC and the footer are written
 * (`WriteTOCAndFooter`).
 */
export interface MemberCompressor {
  /** The codec of every member, and so of the blob. */
  readonly compression: 'gzip' | 'zstd';
  /** Levels the codec takes, and the default of the tool we follow. */
  readonly levels: { min: number; max: number; default: number };
  /** The pool job that makes one complete member of some bytes. */
  job(level: number): CompressionJob;
  /**
   * What the TOC member compresses: gzip a one-entry tar (spec §2 step 9), zstd the bare JSON
   * (§10). `inStream`: whether those bytes are part of the decompressed stream (the diffID).
   */
  tocContent(json: Uint8Array): { data: Uint8Array; inStream: boolean };
  /** The stored TOC, the footer and the annotations, for a TOC starting at `tocOffset`. */
  place(tocOffset: number, compressedToc: Uint8Array, content: Uint8Array, json: Uint8Array): Promise<TocPlacement>;
}

/** gzip members, the TOC as a tar member and the 51-byte eStargz footer (spec §2, §5.1). */
export const GZIP_MEMBERS: MemberCompressor = {
  compression: 'gzip',
  levels: { min: 0, max: 9, default: 9 },
  job: (level) => ({ kind: 'gzip-member', level }),
  tocContent: (json) => ({ data: tocTarBytes(json), inStream: true }),
  place: async (tocOffset, toc, content) => ({
    toc, footer: footerBytes(tocOffset), span: { offset: tocOffset, length: toc.length, uncompressedLength: content.length }, annotations: {},
  }),
};

/**
 * stargz-snapshotter's zstd variant (`estargz/zstdchunked`, spec §10): every member a zstd frame;
 * the TOC JSON compressed on its own (same level) and wrapped in a skippable frame, so zstd
 * decoders pass over it and the diffID stream holds only the tar; then zstd:chunked's 40-byte
 * `v1-40` footer in a skippable frame (zstd-chunked.md §2, §9 shape B), pointing at the TOC's
 * payload. Levels are zstd's: ctr-remote's `--zstdchunked-compression-level` defaults to 3 (Go's
 * klauspost encoder maps it to `SpeedDefault`, its 4 levels to ranges of zstd's, <3, 3–5, 6–9,
 * ≥10); we hand the number to libzstd as it is.
 */
export const ZSTD_MEMBERS: MemberCompressor = {
  compression: 'zstd',
  levels: { min: 1, max: 22, default: 3 },
  job: (level) => ({ kind: 'zstd-frame', level }),
  tocContent: (json) => ({ data: json, inStream: false }),
  async place(tocOffset, compressed, _content, json) {
    const span: BlobSpan = { offset: tocOffset + SKIPPABLE_HEADER, length: compressed.length, uncompressedLength: json.length };
    return {
      toc: encodeSkippableFrame(compressed),
      footer: zstdChunkedFooterBytes('v1-40', span),
      span,
      // zstdchunked.go WriteTOCAndFooter: the digest of the compressed TOC, "offset:len:rawLen:1".
      annotations: {
        [ZSTD_MANIFEST_CHECKSUM_ANNOTATION]: await sha256Digest(compressed),
        [ZSTD_MANIFEST_POSITION_ANNOTATION]: `${span.offset}:${span.length}:${span.uncompressedLength}:1`,
      },
    };
  },
};

export const MEMBER_COMPRESSORS = { gzip: GZIP_MEMBERS, zstd: ZSTD_MEMBERS } as const;
export type EstargzCompression = keyof typeof MEMBER_COMPRESSORS;

/**
 * The level to write with: `level` when the codec takes it, the tool's default when undefined.
 * The one place levels are checked (the writer, the target's createWriter).
 */
export function memberLevel(c: MemberCompressor, level: number | undefined, ctx: ErrorContext = {}): number {
  const l = level ?? c.levels.default;
  if (!Number.isInteger(l) || l < c.levels.min || l > c.levels.max) {
    throw new LayerlabError('UNSUPPORTED', `eStargz ${c.compression} level ${level} is not a whole number from ${c.levels.min} to ${c.levels.max} (default ${c.levels.default})`, ctx);
  }
  return l;
}
