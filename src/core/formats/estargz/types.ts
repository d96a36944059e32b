import type { Verification } from '../../digest/digest.ts';
import type { BlobSpan } from '../zstd-chunked/index.ts';
/**
 * eStargz as data: the footer layouts and the TOC JSON, as ../shared/spec/estargz.md states them
 * (stargz-snapshotter `estargz/types.go` is the model: the spec in code). Offsets are in the
 * compressed blob unless a name says otherwise.
 */

/** Name of the tar entry in the TOC member (spec §2 step 9, §4). */
export const TOC_TAR_NAME = 'stargz.index.json';

/** Layer descriptor annotation holding `sha256:` of the TOC JSON bytes (spec §7). */
export const TOC_DIGEST_ANNOTATION = 'containerd.io/snapshot/stargz/toc.digest';
/** Size of the whole gunzipped stream, TOC entry included (spec §7). */
export const UNCOMPRESSED_SIZE_ANNOTATION = 'io.containers.estargz.uncompressed-size';

/**
 * stargz-snapshotter's zstd variant (spec §10) also publishes where its TOC is, under
 * containers/storage's pre-1.44 keys (`zstdchunked.ManifestChecksumAnnotation` /
 * `ManifestPositionAnnotation`): sha256 of the *compressed* TOC, and
 * `offset:compressedLen:uncompressedLen:1` (zstd-chunked.md §5).
 */
export const ZSTD_MANIFEST_CHECKSUM_ANNOTATION = 'io.containers.zstd-chunked.manifest-checksum';
export const ZSTD_MANIFEST_POSITION_ANNOTATION = 'io.containers.zstd-chunked.manifest-position';

/** Landmark files at the archive root (spec §6): one byte 0x0f each. */
export const PREFETCH_LANDMARK = '.prefetch.landmark';
export const NO_PREFETCH_LANDMARK = '.no.prefetch.landmark';

/**
 * The eStargz footer (spec §5.1): an empty gzip member whose FEXTRA field carries the TOC offset.
 *
 *   off len
 *     0  10  1f 8b 08 04 00000000 00 ff   gzip header, FLG = FEXTRA, MTIME 0, XFL 0, OS 255
 *    10   2  1a 00                        XLEN = 26
 *    12   2  'S' 'G'                      subfield id
 *    14   2  16 00                        subfield LEN = 22
 *    16  16  "%016x" tocOffset            lowercase hex
 *    32   6  "STARGZ"
 *    38   5  01 00 00 ff ff               final stored block of length 0
 *    43   8  00 × 8                       CRC32 0, ISIZE 0
 */
export const ESTARGZ_FOOTER = {
  size: 51,
  xlen: 26,
  subfieldId: 'SG',
  subfieldLen: 22,
  /** Where the 16 hex digits start inside the whole footer. */
  hexAt: 16,
  magicAt: 32,
  trailerAt: 38,
} as const;

/**
 * The legacy stargz (CRFS) footer (spec §5.2): the same, but XLEN = 22 and the extra field is
 * directly "%016xSTARGZ" — no RFC 1952 subfield id or length.
 */
export const LEGACY_FOOTER = {
  size: 47,
  xlen: 22,
  hexAt: 12,
  magicAt: 28,
  trailerAt: 34,
} as const;

export const FOOTER_MAGIC = 'STARGZ';
/** Final stored deflate block of length 0, then CRC32 = 0 and ISIZE = 0 (spec §5.1, bytes 38–50). */
export const FOOTER_TRAILER = [0x01, 0x00, 0x00, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0] as const;

/**
 * `estargz-zstd`: stargz-snapshotter's zstd variant (spec §10), whose footer is the 40-byte
 * `GnUlInUx` one of zstd:chunked in a skippable frame (zstd-chunked.md §2, §9 shape B).
 */
export type FooterKind = 'estargz' | 'stargz-legacy' | 'estargz-zstd';

export interface Footer {
  kind: FooterKind;
  /** The codec of the members (and of the blob): gzip for the two gzip footers, zstd for the 40-byte one. */
  compression: 'gzip' | 'zstd';
  /** Bytes of the footer at the blob's end: 51, 47, or 48 (the 40-byte footer and its frame header). */
  size: number;
  /**
   * Where the TOC starts — the gzip TOC member, or the zstd TOC's skippable frame — so where the
   * data members end (`Unpack`'s end). It ends where the footer starts.
   */
  tocOffset: number;
  /**
   * zstd only: the compressed TOC, as the footer states it (spec §10: the frame's payload, 8 bytes
   * after `tocOffset`, its compressed and JSON lengths).
   */
  toc?: BlobSpan;
}

/** `type` of a TOC entry (spec §4.2, §4.3). */
export type TocEntryType = 'dir' | 'reg' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo' | 'chunk';

/**
 * One TOC entry (spec §4.2). All fields but `name` and `type` are omitted when zero/empty, so
 * all are optional here; readers must ignore keys they do not know (e.g. an old `NumLink`).
 */
export interface TocEntry {
  /** The tar path as stored (`./bin/`, trailing '/' of dirs kept); readers clean it (§4.6). */
  name: string;
  type: TocEntryType;
  /** Logical file size, `reg` with data only. */
  size?: number;
  /** RFC 3339 UTC, rounded to whole seconds. */
  modtime?: string;
  linkName?: string;
  /** The tar header's mode field verbatim (may carry file-type bits). */
  mode?: number;
  uid?: number;
  gid?: number;
  userName?: string;
  groupName?: string;
  /** Compressed offset of the gzip member holding this chunk's first byte (non-empty `reg`, `chunk`). */
  offset?: number;
  /** v0.13+: uncompressed distance from the member start to the chunk (spec §3). */
  innerOffset?: number;
  devMajor?: number;
  devMinor?: number;
  /** xattr name → standard base64 of the raw value. */
  xattrs?: Record<string, string>;
  /** `sha256:` of the whole file, `reg` only (also on empty files). */
  digest?: string;
  /** Offset of the chunk inside the file; absent on the `reg` entry (0). */
  chunkOffset?: number;
  /** Uncompressed chunk length; 0/absent means "to the end of the file" (spec §3). */
  chunkSize?: number;
  /** `sha256:` of the chunk's uncompressed bytes. */
  chunkDigest?: string;
}

/** The TOC JSON document `stargz.index.json` (spec §4.1). */
export interface Toc {
  version: number;
  entries: TocEntry[];
}

/** Which landmark the TOC has (spec §6): it decides what a snapshotter prefetches. */
export type Landmark = 'prefetch' | 'no-prefetch' | 'none';

/** What the analysis reports of an eStargz layer (LayerReport.estargz): its footer and TOC, read from the tail. */
export interface EstargzSummary {
  /** 51-byte eStargz footer, the 47-byte legacy stargz one (no chunk digests), or the zstd variant's 40-byte one. */
  footer: FooterKind;
  /** sha256 of the TOC JSON as stored. */
  tocDigest: string;
  /** Compressed offset of the TOC member (zstd: of its skippable frame; the footer's offset is 8 more). */
  tocOffset: number;
  /** TOC entries, `chunk` entries included. */
  entries: number;
  /** Data chunks, each in its own gzip member (zstd frame) with its own digest. */
  chunks: number;
  /** Entries before `.prefetch.landmark`, names as stored. */
  prioritized: string[];
  landmark: Landmark;
  /** Against the layer's `containerd.io/snapshot/stargz/toc.digest` annotation. */
  tocDigestCheck: Verification;
}
