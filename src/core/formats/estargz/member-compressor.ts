import type { CompressionJob } from '../../compress/compression-pool.ts';
import type { Compression } from '../../compress/sniff.ts';
import { footerBytes } from './footer.ts';

/**
 * How the eStargz writer compresses its members (stargz-snapshotter's `Compressor` interface:
 * estargz.go's gzip one, and `zstdchunked`'s zstd one with its own footer). The writer lays out
 * members, chunks and the TOC; the compressor says what one member is (a pool job) and what the
 * footer after the TOC is (spec estargz.md §5; the zstd variant's is §10, issue 12).
 */
export interface MemberCompressor {
  /** The codec of every member, and so of the blob. */
  readonly compression: Compression;
  /** Levels the codec takes, and the library's default. */
  readonly levels: { min: number; max: number; default: number };
  /** The pool job that makes one complete member of some bytes. */
  job(level: number): CompressionJob;
  /** The bytes after the TOC member, pointing at its compressed offset. */
  footer(tocOffset: number): Uint8Array;
}

/** gzip members and the 51-byte eStargz footer (spec §2, §5.1). */
export const GZIP_MEMBERS: MemberCompressor = {
  compression: 'gzip',
  levels: { min: 0, max: 9, default: 9 },
  job: (level) => ({ kind: 'gzip-member', level }),
  footer: footerBytes,
};
