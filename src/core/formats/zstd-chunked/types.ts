/**
 * zstd:chunked's byte layout as constants and its manifest as types (../shared/spec/zstd-chunked.md).
 * The blob is an ordinary tar+zstd stream whose metadata sits in zstd skippable frames
 * (RFC 8878 §3.1.2), so every zstd decoder skips it (spec §1).
 */

/** First bytes of a skippable frame with variant 0: LE32 0x184D2A50 (spec §1, §2). */
export const SKIPPABLE_MAGIC = [0x50, 0x2a, 0x4d, 0x18] as const;
/** A zstd data frame's magic, LE32 0xFD2FB528: the blob starts with one (spec §9 rule 1). */
export const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd] as const;

/** `GNUlInUx`: the current footer's magic, at its bytes 56..63 (spec §2). */
export const MAGIC_V2 = 'GNUlInUx';
/** `GnUlInUx`: the 40-byte and interim 56-byte footers' magic, at their bytes 32..39 (spec §2). */
export const MAGIC_V1 = 'GnUlInUx';

/** `ManifestTypeCRFS`, the only manifest type (spec §2, footer offset 24). */
export const MANIFEST_TYPE_CRFS = 1;

/**
 * The footer shapes in the wild (spec §9): `v1-40` (containers/storage ≤ 1.46, and
 * stargz-snapshotter's zstd eStargz — same bytes), `interim-56` (1.47–1.49), `v2-64` (≥ 1.50).
 * The value is the skippable frame's payload length.
 */
export const FOOTER_PAYLOAD = { 'v1-40': 40, 'interim-56': 56, 'v2-64': 64 } as const;
export type FooterKind = keyof typeof FOOTER_PAYLOAD;
/** The longest tail a detector reads: the v2 footer's 8-byte frame header + 64 bytes. */
export const FOOTER_TAIL = 8 + FOOTER_PAYLOAD['v2-64'];

/** A compressed range inside the blob: [offset, offset + length) is a skippable frame's payload. */
export interface BlobSpan {
  /** Offset of the compressed bytes (8 bytes after the skippable frame's start). */
  offset: number;
  length: number;
  uncompressedLength: number;
}

export interface ZstdChunkedFooter {
  kind: FooterKind;
  /** Bytes at the end of the blob the footer's frame takes (8 + payload). */
  size: number;
  manifest: BlobSpan;
  /** v2-64 only: the interim footer does not say where its tar-split is (spec §2). */
  tarSplit?: BlobSpan;
}

/** Layer descriptor annotations (spec §5); both key prefixes are read (`io.containers.` ≤ 1.43). */
export const ANNOTATION_PREFIXES = ['io.github.containers.zstd-chunked.', 'io.containers.zstd-chunked.'] as const;
export const MANIFEST_CHECKSUM = 'manifest-checksum';
export const MANIFEST_POSITION = 'manifest-position';
export const TARSPLIT_POSITION = 'tarsplit-position';
/** v1.47–v1.53: the tar-split digest as an annotation, before it moved into the manifest (spec §3). */
export const TARSPLIT_CHECKSUM = 'tarsplit-checksum';
/** Every annotation key of the format, both prefixes: dropped when a layer is re-encoded. */
export const ZSTD_CHUNKED_ANNOTATIONS: readonly string[] = ANNOTATION_PREFIXES.flatMap((p) =>
  [MANIFEST_CHECKSUM, MANIFEST_POSITION, TARSPLIT_POSITION, TARSPLIT_CHECKSUM].map((k) => p + k));

/** containers/storage's limit on the manifest, compressed or not (spec §7 step 2). */
export const MAX_MANIFEST_BYTES = 150 << 20;

/** Manifest entry types (spec §3, `minimal.FileMetadata.Type`). */
export type ManifestEntryType = 'reg' | 'hardlink' | 'symlink' | 'char' | 'block' | 'dir' | 'fifo' | 'chunk';

/**
 * One manifest entry, as parsed (spec §3). Times are kept as their JSON text (RFC 3339 with the
 * writer's zone), parsed where needed; a year-1 time means "absent" (1.43 writes them always).
 */
export interface ManifestEntry {
  type: ManifestEntryType;
  name: string;
  linkName?: string;
  mode?: number;
  size?: number;
  uid?: number;
  gid?: number;
  modtime?: string;
  accesstime?: string;
  changetime?: string;
  devMajor?: number;
  devMinor?: number;
  /** name → base64 of the value, as stored. */
  xattrs?: Record<string, string>;
  digest?: string;
  offset?: number;
  endOffset?: number;
  chunkSize?: number;
  chunkOffset?: number;
  chunkDigest?: string;
  /** `''` (data) or `'zeros'`: a run of zero bytes a reader can synthesise (spec §3). */
  chunkType?: string;
}

export interface Manifest {
  version: number;
  entries: ManifestEntry[];
  /** v1.54+: sha256 of the compressed tar-split bytes (spec §3). */
  tarSplitDigest?: string;
}

/** The rolling-sum chunker's parameters (spec §3, containers/storage compressor/rollsum.go). */
export const ROLLSUM = { window: 64, charOffset: 31, splitBits: 16 } as const;
/** A run of at least this many zero bytes in a file becomes its own `zeros` chunk (`holesThreshold`). */
export const HOLES_THRESHOLD = 1024;
/** containers/storage's default level (spec §1: `ZstdCompressor` with a nil level). */
export const DEFAULT_LEVEL = 10;

/** tar-split NDJSON entry types (vbatts/tar-split tar/storage: FileType 1, SegmentType 2). */
export const TAR_SPLIT_FILE = 1;
export const TAR_SPLIT_SEGMENT = 2;

// ─── reader ─────────────────────────────────────────────────────────────────────────────────────

/**
 * Who wrote a blob with a zstd:chunked footer (spec §9 rule 7): containers/storage (shapes A, C,
 * D) or stargz-snapshotter's eStargz zstd variant (B, whose manifest is an eStargz TOC: the
 * eStargz format reads it).
 */
export type ZstdChunkedFlavour = 'containers-storage' | 'stargz-snapshotter';

/** The stargz-snapshotter TOC digest annotation; with a zstd:chunked checksum it is refused (spec §5). */
export const STARGZ_TOC_DIGEST = 'containerd.io/snapshot/stargz/toc.digest';

/** What a zstd:chunked layer is, from its footer and manifest (the report's `zstdChunked`). */
export interface ZstdChunkedSummary {
  /** Footer shape (spec §2): `v1-40`, `interim-56` or `v2-64`. */
  variant: FooterKind;
  flavour: ZstdChunkedFlavour;
  /** sha256 of the compressed manifest bytes (the `manifest-checksum` value, spec §5). */
  manifestDigest: string;
  manifestOffset: number;
  /** Against the layer's `manifest-checksum` annotation (either prefix). */
  manifestDigestCheck: 'ok' | 'mismatch' | 'unchecked';
  /** The layer's `manifest-position` annotation against the footer (the footer is what is used). */
  positionCheck: 'ok' | 'mismatch' | 'unchecked';
  /** Manifest entries (`chunk` entries included). */
  entries: number;
  /** Data chunks (payload extents) of all files. */
  chunks: number;
  /**
   * `absent`: none (v1-40). `unauthenticated`: there is one but no digest in the manifest or the
   * annotations, so it is not used (spec §3). `present`: located and its digest known, not read yet.
   * `ok` / `mismatch`: its digest checked.
   */
  tarSplit: 'absent' | 'unauthenticated' | 'present' | 'ok' | 'mismatch';
  /** Where the tar-split's compressed bytes start, when there is one. */
  tarSplitOffset?: number;
}
