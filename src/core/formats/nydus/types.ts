/**
 * Nydus as data: the byte layouts of the per-layer nydus tar stream, the blob's compression-info
 * table (blob.meta), and the RAFS v6 / v5 bootstraps, as ../shared/spec/nydus.md states them
 * (section numbers below are that spec's). All integers are little-endian.
 *
 * Offsets named `*_AT` are byte offsets inside the structure; `*_SIZE` are structure sizes.
 */

// ─── §2 the per-layer nydus tar stream ────────────────────────────────────────────────────────

/**
 * The stream is `[data][512-byte tar header]` records, header *after* its data, no padding and no
 * end-of-archive blocks (§2.2). Record names (§2.3), in the order current nydus-image writes them.
 */
export const RECORD = {
  blob: 'image.blob',
  meta: 'blob.meta',
  /** TOC-only name: the 4096-byte CI header at the end of the `blob.meta` record (no tar header of its own). */
  metaHeader: 'blob.meta.header',
  digest: 'blob.digest',
  boot: 'image.boot',
  toc: 'rafs.blob.toc',
} as const;

/** Media type of a per-layer nydus blob (nydus-snapshotter `MediaTypeNydusBlob`, §6.5). */
export const NYDUS_BLOB_MEDIA_TYPE = 'application/vnd.oci.image.layer.nydus.blob.v1';

/** Magic numbers a lone bootstrap is recognised by: EROFS at 1024 (§4.2), RAFS v5 at 0 (§4.6). */
export const BOOTSTRAP_MAGIC = { erofsAt: 1024, erofs: 0xe0f5e1e2, rafsV5At: 0, rafsV5: 0x52414653 } as const;

export const TAR_HEADER_SIZE = 512;
/** The converter refuses larger TOCs (§2.6 step 1). */
export const MAX_TOC_SIZE = 1 << 20;

/**
 * TOC entry, 128 bytes (§2.5); the TOC is a bare array of them (count = size / 128).
 *
 *   off len
 *     0   4  flags              compression of the entry data: 0x1 none, 0x2 zstd, 0x4 lz4_block (mask 0xF)
 *     4   4  reserved1
 *     8  16  name               ASCII, NUL padded
 *    24  32  uncompressed_digest SHA-256 of the uncompressed entry data (quirks: §2.5 table)
 *    56   8  compressed_offset  absolute, in the stream (wrong for `image.blob` before 2023-02-21)
 *    64   8  compressed_size
 *    72   8  uncompressed_size
 *    80  48  reserved2          ignored: 2022–2023 layers carry junk at 124..127
 */
export const TOC_ENTRY = { size: 128, flagsAt: 0, nameAt: 8, nameLen: 16, digestAt: 24, offsetAt: 56, compressedSizeAt: 64, uncompressedSizeAt: 72 } as const;
export const TOC_FLAG = { none: 0x1, zstd: 0x2, lz4Block: 0x4, mask: 0xf } as const;

export interface TocEntry {
  name: string;
  compressor: Compressor;
  /** hex SHA-256 of the uncompressed data. */
  digest: string;
  compressedOffset: number;
  compressedSize: number;
  uncompressedSize: number;
}

/** One record found by walking the tar headers from the tail (§2.6 method B). */
export interface TarRecord {
  name: string;
  /** Where its data starts in the stream. */
  offset: number;
  size: number;
  /** Where its 512-byte header starts (= offset + size). */
  headerOffset: number;
}

// ─── §3.3, §4.3, §4.5 algorithms ──────────────────────────────────────────────────────────────

export type Compressor = 'none' | 'lz4_block' | 'gzip' | 'zstd';
export type Digester = 'blake3' | 'sha256';

/** Compression codes of blob-table entries and CI headers (§3.3). */
export const COMPRESSOR_CODES: readonly Compressor[] = ['none', 'lz4_block', 'gzip', 'zstd'];
/** Digest codes of blob-table entries (§4.5): NOT the superblock flag bits. */
export const DIGESTER_CODES: readonly Digester[] = ['blake3', 'sha256'];

/** RAFS super flags (§4.3; v5 uses the same bits, §9). */
export const RAFS_FLAG = {
  compressionNone: 0x1,
  compressionLz4: 0x2,
  hashBlake3: 0x4,
  hashSha256: 0x8,
  explicitUidGid: 0x10,
  hasXattr: 0x20,
  compressionGzip: 0x40,
  compressionZstd: 0x80,
  inlinedChunkDigest: 0x100,
  tarfsMode: 0x200,
  encryptionNone: 0x0100_0000,
  encryptionAes128Xts: 0x0200_0000,
  /** 0x0400_0000 … 0x8000_0000: reserved compat bits, accepted. */
  reservedCompat: 0xfc00_0000,
} as const;
export const RAFS_KNOWN_FLAGS = 0x1 | 0x2 | 0x4 | 0x8 | 0x10 | 0x20 | 0x40 | 0x80 | 0x100 | 0x200 | 0x0100_0000 | 0x0200_0000 | 0xfc00_0000;

/** Blob feature bits (§3.10). */
export const BLOB_FEATURE = {
  aligned: 0x1,
  inlinedFsMeta: 0x2,
  chunkInfoV2: 0x4,
  zran: 0x8,
  separate: 0x10,
  inlinedChunkDigest: 0x20,
  tarfs: 0x40,
  batch: 0x80,
  encrypted: 0x100,
  isChunkdictGenerated: 0x200,
  separatedWithPrefetchFiles: 0x400,
  external: 0x800,
  hasTarHeader: 0x1000_0000,
  hasToc: 0x2000_0000,
  capTarToc: 0x4000_0000,
} as const;
/** Bits that make nydus reject a blob entry (§3.10 "Validity"). */
export const BLOB_FEATURE_INVALID = 0x0000_f000 | 0x8000_0000;

// ─── §3.7 compression-info table ("blob.meta") ────────────────────────────────────────────────

/**
 * CI header (`BlobCompressionContextHeader`), 4096 bytes, never compressed (§3.7.2).
 *
 *   off len
 *     0   4  magic                0xB10BB10B
 *     4   4  features             blob feature bits
 *     8   4  ci_compressor        0 none / 1 lz4_block / 2 gzip / 3 zstd
 *    12   4  ci_entries           = chunk count
 *    16   8  ci_offset            absolute offset of the CI array in the blob
 *    24   8  ci_compressed_size
 *    32   8  ci_uncompressed_size
 *    40   8  ci_zran_offset       batch/zran context table inside the uncompressed CI data
 *    48   8  ci_zran_size
 *    56   4  ci_zran_count
 *    60 4032 reserved
 *  4092   4  magic2               0xB10BB10B
 */
export const CI_HEADER = { size: 4096, magic: 0xb10bb10b, magic2At: 4092 } as const;

export interface CiHeader {
  features: number;
  compressor: Compressor;
  entries: number;
  offset: number;
  compressedSize: number;
  uncompressedSize: number;
  zranOffset: number;
  zranSize: number;
  zranCount: number;
}

/** CI entry sizes (§3.7.3): v1 packs sizes minus one in 20+4 bits; v2 has flags and a data word. */
export const CI_V1_SIZE = 16;
export const CI_V2_SIZE = 24;
export const CI_V2_FLAG = { compressed: 0x1, zran: 0x2, batch: 0x4, encrypted: 0x8, hasCrc32: 0x10 } as const;

/** One chunk as the CI array describes it. */
export interface CiEntry {
  compressedOffset: number;
  compressedSize: number;
  uncompressedOffset: number;
  uncompressedSize: number;
  compressed: boolean;
  /** v2 flags (0 for v1). */
  flags: number;
}

// ─── §4 RAFS v6 bootstrap (an EROFS image) ────────────────────────────────────────────────────

export const EROFS_BLOCK = 4096;

/**
 * EROFS superblock at 1024, 128 bytes (§4.2).
 *
 *   off len
 *     0   4  magic            0xE0F5E1E2
 *     4   4  checksum         0
 *     8   4  feature_compat   0x4000_0000 = RAFS_V6
 *    12   1  blkszbits        12 (9 tarfs)
 *    13   1  sb_extslots      0
 *    14   2  root_nid         128
 *    16   8  inos
 *    24   8  build_time       mtime of compact inodes
 *    32   4  build_time_nsec
 *    36   4  blocks
 *    40   4  meta_blkaddr
 *    44   4  xattr_blkaddr    0
 *    48  16  uuid
 *    64  16  volume_name
 *    80   4  feature_incompat 0xC = CHUNKED_FILE | DEVICE_TABLE
 *    84   2  u1               0
 *    86   2  extra_devices    number of blobs
 *    88   2  devt_slotoff     11 (× 128 = 1408)
 */
export const EROFS_SB = {
  at: 1024, size: 128, magic: 0xe0f5e1e2, rafsV6Compat: 0x4000_0000, incompat: 0xc,
  magicAt: 0, checksumAt: 4, compatAt: 8, blkszbitsAt: 12, extslotsAt: 13, rootNidAt: 14, inosAt: 16,
  buildTimeAt: 24, buildTimeNsecAt: 32, blocksAt: 36, metaBlkaddrAt: 40, xattrBlkaddrAt: 44,
  incompatAt: 80, u1At: 84, extraDevicesAt: 86, devtSlotoffAt: 88,
} as const;

/**
 * RAFS extended superblock at 1152, 256 bytes (§4.3).
 *
 *   off len
 *     0   8  flags                 RAFS_FLAG
 *     8   8  blob_table_offset
 *    16   4  blob_table_size       256 × blobs
 *    20   4  chunk_size
 *    24   8  chunk_table_offset
 *    32   8  chunk_table_size      80 × entries (0: absent)
 *    40   8  prefetch_table_offset
 *    48   4  prefetch_table_size   4 × entries
 */
export const RAFS_EXT_SB = {
  at: 1152, size: 256,
  flagsAt: 0, blobTableOffsetAt: 8, blobTableSizeAt: 16, chunkSizeAt: 20, chunkTableOffsetAt: 24,
  chunkTableSizeAt: 32, prefetchTableOffsetAt: 40, prefetchTableSizeAt: 48,
} as const;

/**
 * Device slot, 128 bytes each from 1408 = devt_slotoff × 128 (§4.4).
 *
 *   off len
 *     0  64  blob_id         ASCII hex, NUL padded
 *    64   4  blocks          uncompressed_size / 4096, ≠ 0
 *    68   4  mapped_blkaddr  informational
 */
export const DEVICE_SLOT = { size: 128, idLen: 64, blocksAt: 64, mappedBlkaddrAt: 68 } as const;

/**
 * Blob table entry (`RafsV6Blob`), 256 bytes (§4.5).
 *
 *   off len                          off len
 *     0  64  blob_id                 108   4  ci_compressor
 *    64   4  blob_index (= position) 112   8  ci_offset
 *    68   4  chunk_size              120   8  ci_compressed_size
 *    72   4  chunk_count             128   8  ci_uncompressed_size
 *    76   4  compression_algo        136  32  blob_toc_digest
 *    80   4  digest_algo (0 b3,1 sha)168  32  blob_meta_digest
 *    84   4  features                200   8  blob_meta_size
 *    88   8  compressed_size         208   8  cipher_iv
 *    96   8  uncompressed_size       216   4  cipher_algo
 *   104   4  blob_toc_size
 */
export const BLOB_ENTRY = {
  size: 256, idLen: 64, indexAt: 64, chunkSizeAt: 68, chunkCountAt: 72, compressorAt: 76, digesterAt: 80,
  featuresAt: 84, compressedSizeAt: 88, uncompressedSizeAt: 96, tocSizeAt: 104, ciCompressorAt: 108,
  ciOffsetAt: 112, ciCompressedSizeAt: 120, ciUncompressedSizeAt: 128, tocDigestAt: 136, metaDigestAt: 168,
  metaSizeAt: 200, cipherIvAt: 208, cipherAlgoAt: 216,
} as const;

/** Max chunks per blob (24-bit CI index, §3.1) and blobs per bootstrap (§4.10). */
export const MAX_CHUNKS_PER_BLOB = 1 << 24;
export const MAX_BLOBS = 254;

/**
 * Inodes, 32-byte slots: offset = meta_blkaddr·4096 + nid·32 (§4.7). `i_format` bit 0: 0 compact
 * (32 B), 1 extended (64 B); bits 1–3 data layout.
 *
 * Extended (64 B):                        Compact (32 B):
 *   0 2 i_format    20 4 i_ino               0 2 i_format    16 4 i_u
 *   2 2 xattr_icount 24 4 i_uid              2 2 xattr_icount 20 4 i_ino
 *   4 2 i_mode      28 4 i_gid               4 2 i_mode      24 2 i_uid
 *   8 8 i_size      32 8 i_mtime             6 2 i_nlink     26 2 i_gid
 *  16 4 i_u         40 4 i_mtime_nsec        8 4 i_size
 *                   44 4 i_nlink
 * `i_u`: reg = chunk-info format (§4.10); dir/symlink = first data block; chr/blk/fifo = rdev.
 */
export const INODE = {
  compactSize: 32, extendedSize: 64, slot: 32,
  formatAt: 0, xattrCountAt: 2, modeAt: 4,
  ext: { sizeAt: 8, uAt: 16, inoAt: 20, uidAt: 24, gidAt: 28, mtimeAt: 32, mtimeNsecAt: 40, nlinkAt: 44 },
  compact: { nlinkAt: 6, sizeAt: 8, uAt: 16, inoAt: 20, uidAt: 24, gidAt: 26 },
} as const;

/** Data layouts (i_format bits 1–3, §4.7): 1 and 3 are EROFS compression, never used by nydus. */
export const DATA_LAYOUT = { flatPlain: 0, flatInline: 2, chunkBased: 4 } as const;

/**
 * Inline xattrs after the inode (§4.8): a 12-byte ibody header (`h_shared_count` at 4), then
 * entries `u8 name_len, u8 name_index, u16 value_size, name suffix, value`, each padded to 4.
 * Total = 12 + 4·(icount − 1).
 */
export const XATTR = { headerSize: 12, sharedCountAt: 4, entryHeader: 4 } as const;
export const XATTR_PREFIXES: Readonly<Record<number, string>> = {
  1: 'user.',
  2: 'system.posix_acl_access',
  3: 'system.posix_acl_default',
  4: 'trusted.',
  6: 'security.',
};

/**
 * Dirent, 12 bytes (§4.9): `u64 nid, u16 nameoff (within the 4 KiB block), u8 file_type, u8 0`.
 * A block's entry count = dirent[0].nameoff / 12; names are not NUL terminated.
 */
export const DIRENT = { size: 12, nidAt: 0, nameoffAt: 8, typeAt: 10 } as const;
/** file_type codes (§4.9). */
export const FILE_TYPE = { unknown: 0, reg: 1, dir: 2, chr: 3, blk: 4, fifo: 5, sock: 6, symlink: 7 } as const;

/**
 * Chunk-based files (§4.10): `i_u` low u16 = 0x20 (INDEXES) | (chunkbits − 12). The index array
 * (8 B per filesystem chunk) starts at rup(inode + xattrs, 8):
 *
 *   0 2 c_blob_addr_lo   CI index bits 0–15
 *   2 2 c_blob_addr_hi   low byte = blob_index + 1 (1-based device id); high byte = CI index bits 16–23
 *   4 4 c_blk_addr       uncompressed_offset / 4096 in that blob's cache
 */
export const CHUNK_INDEX = { size: 8, loAt: 0, hiAt: 2, blkaddrAt: 4, formatIndexes: 0x20, bitsMask: 0x1f } as const;

/**
 * Chunk table entry (`RafsV5ChunkInfo`), 80 bytes (§4.11; also the v5 inode's chunk infos, §9).
 *
 *   off len                         off len
 *     0  32  digest                   48   8  compressed_offset
 *    32   4  blob_index (0-based)     56   8  uncompressed_offset
 *    36   4  flags (0x1 compressed)   64   8  file_offset
 *    40   4  compressed_size          72   4  index (CI index)
 *    44   4  uncompressed_size        76   4  crc32
 */
export const CHUNK_INFO = {
  size: 80, digestAt: 0, blobIndexAt: 32, flagsAt: 36, compressedSizeAt: 40, uncompressedSizeAt: 44,
  compressedOffsetAt: 48, uncompressedOffsetAt: 56, fileOffsetAt: 64, indexAt: 72, crc32At: 76,
} as const;
export const CHUNK_FLAG = { compressed: 0x1, hole: 0x2, encrypted: 0x4, batch: 0x8, hasCrc32: 0x10 } as const;

// ─── §9 RAFS v5 ───────────────────────────────────────────────────────────────────────────────

/**
 * RAFS v5 superblock, 8192 bytes at 0 (§9).
 *
 *   off len                            off len
 *     0   4  magic 0x52414653 ("SFAR")  48   8  blob_table_offset
 *     4   4  fs_version 0x500           56   4  inode_table_entries
 *     8   4  sb_size 0x2000             60   4  prefetch_table_entries
 *    12   4  block_size (chunk size)    64   4  blob_table_size
 *    16   8  flags (RAFS_FLAG)          68   4  extended_blob_table_entries
 *    24   8  inodes_count               72   8  extended_blob_table_offset
 *    32   8  inode_table_offset
 *    40   8  prefetch_table_offset
 */
export const RAFS_V5_SB = {
  magic: 0x52414653, version: 0x500, size: 0x2000,
  versionAt: 4, sbSizeAt: 8, blockSizeAt: 12, flagsAt: 16, inodesCountAt: 24, inodeTableOffsetAt: 32,
  prefetchTableOffsetAt: 40, blobTableOffsetAt: 48, inodeTableEntriesAt: 56, prefetchTableEntriesAt: 60,
  blobTableSizeAt: 64, extBlobTableEntriesAt: 68, extBlobTableOffsetAt: 72,
} as const;

/**
 * v5 inode, 128 bytes, then name (pad 8), symlink (pad 8), xattrs (`u64 size` + pairs, pad 8) and,
 * for files, `child_count` 80-byte chunk infos (§9).
 *
 *   0 32 digest       64 8 size        100 2 name_size
 *  32  8 parent       72 8 blocks      102 2 symlink_size
 *  40  8 ino          80 8 flags       104 4 rdev
 *  48  4 uid          88 4 nlink       108 4 mtime_nsec
 *  52  4 gid          92 4 child_index 112 8 mtime
 *  56  4 projid       96 4 child_count (dir: children; file: chunks)
 *  60  4 mode
 */
export const V5_INODE = {
  size: 128, parentAt: 32, inoAt: 40, uidAt: 48, gidAt: 52, modeAt: 60, sizeAt: 64, flagsAt: 80,
  nlinkAt: 88, childIndexAt: 92, childCountAt: 96, nameSizeAt: 100, symlinkSizeAt: 102, rdevAt: 104,
  mtimeNsecAt: 108, mtimeAt: 112,
} as const;
export const V5_INODE_FLAG = { symlink: 0x1, hardlink: 0x2, xattr: 0x4, hasHole: 0x8 } as const;
/** Extended blob table entry, 64 bytes: `u32 chunk_count, u32 features, u64 uncompressed_size, u64 compressed_size`. */
export const V5_EXT_BLOB = { size: 64, chunkCountAt: 0, featuresAt: 4, uncompressedSizeAt: 8, compressedSizeAt: 16 } as const;

// ─── decoded forms shared by v5 and v6 ────────────────────────────────────────────────────────

export interface BlobInfo {
  index: number;
  /** As stored (NULs trimmed); `"x"×64` in per-layer inlined bootstraps (§3.11). */
  id: string;
  chunkSize: number;
  chunkCount: number;
  compressor: Compressor;
  digester: Digester;
  features: number;
  compressedSize: number;
  uncompressedSize: number;
  /** v6 only (zero in v5). */
  tocSize: number;
  tocDigest: string;
  ciCompressor: Compressor;
  ciOffset: number;
  ciCompressedSize: number;
  ciUncompressedSize: number;
  /** v6 device slot (undefined in v5). */
  deviceBlocks?: number;
  mappedBlkaddr?: number;
  /** v5: readahead range from the blob table. */
  readahead?: { offset: number; size: number };
}

/** One chunk of a file: where it is in its blob (compressed) and in the blob cache. */
export interface ChunkRef {
  blobIndex: number;
  /** Index into the blob's CI array. */
  ciIndex: number;
  /** v6: uncompressed_offset / 4096 as the chunk index states it. */
  blkaddr: number;
  /** Position in the file. */
  fileOffset: number;
  /** From the chunk table / CI array / v5 chunk info; undefined when neither is available. */
  info?: ChunkInfo;
}

export interface ChunkInfo {
  /** hex digest of the uncompressed chunk (blake3 or sha256 per blob); '' when unknown (CI only). */
  digest: string;
  blobIndex: number;
  flags: number;
  compressedOffset: number;
  compressedSize: number;
  uncompressedOffset: number;
  uncompressedSize: number;
  fileOffset: number;
  ciIndex: number;
  compressed: boolean;
}

export type NodeType = 'dir' | 'file' | 'symlink' | 'char' | 'block' | 'fifo' | 'socket';

/** One name in the tree. Hardlinks: several nodes with the same `nid` (v6) / `ino` (v5). */
export interface RafsNode {
  /** Absolute, `/` for the root; names decoded as UTF-8 (invalid bytes become U+FFFD). */
  path: string;
  /** v6: the path's exact bytes as a byte string (one UTF-16 unit per byte), set only when some name is not UTF-8. */
  rawPath?: string;
  type: NodeType;
  /** Full st_mode. */
  mode: number;
  uid: number;
  gid: number;
  /** Regular file size, symlink target length, dirent bytes for directories. */
  size: number;
  mtime: number;
  mtimeNsec: number;
  nlink: number;
  /** v6 nid; for v5 the inode number. */
  nid: number;
  ino: number;
  rdev: number;
  symlink?: string;
  /** v6: the symlink target's bytes as a byte string, set only when it is not UTF-8. */
  rawSymlink?: string;
  xattrs: Map<string, Uint8Array>;
  chunks: ChunkRef[];
  /** Byte offset of the inode in the bootstrap (errors, `inspect`). */
  inodeOffset: number;
}

/** What both bootstrap decoders produce: enough for inspect, check and the reader. */
export interface Bootstrap {
  version: 5 | 6;
  /** Legacy-layout v5 (2020) and other partial decodes say why the tree is missing. */
  treeError?: string;
  flags: number;
  compressor: Compressor;
  digester: Digester;
  chunkSize: number;
  inodeCount: number;
  blobs: BlobInfo[];
  /** v6 nids (v5: inode numbers). */
  prefetch: number[];
  /** Depth-first, children in stored (byte-sorted) order; root first. */
  nodes: RafsNode[];
  chunkTable: ChunkInfo[];
  size: number;
  v6?: {
    sb: { rootNid: number; inos: number; blocks: number; metaBlkaddr: number; blkszbits: number; extraDevices: number; buildTime: number; featureCompat: number; featureIncompat: number };
    ext: { blobTableOffset: number; blobTableSize: number; chunkTableOffset: number; chunkTableSize: number; prefetchTableOffset: number; prefetchTableSize: number };
  };
  v5?: { inodeTableOffset: number; inodeTableEntries: number; blobTableOffset: number; blobTableSize: number; prefetchTableOffset: number; extBlobTableOffset: number; extBlobTableEntries: number };
}
