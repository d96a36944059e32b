import type { LeView } from './le-view.ts';
import { CHUNK_FLAG, CHUNK_INFO, RAFS_FLAG, RAFS_KNOWN_FLAGS, type ChunkInfo, type Compressor, type Digester, type NodeType } from './types.ts';

/**
 * Pieces RAFS v5 and v6 share: the super flags (§4.3, §9), the 80-byte chunk info (§4.11, §9)
 * and st_mode file types.
 */

/** The filesystem compressor and digester from the RAFS super flags; exactly one of each (§4.13). */
export function flagsAlgorithms(v: LeView, at: number, flags: number, problems?: string[]): { compressor: Compressor; digester: Digester } {
  // Bitwise ops are 32-bit: a flags value beyond that has unknown bits anyway.
  if (flags > 0xffff_ffff || ((flags & ~RAFS_KNOWN_FLAGS) >>> 0) !== 0) throw v.error('BAD_LAZY_FORMAT', `RAFS flags 0x${flags.toString(16)} have unknown bits`, at);
  const comp: [number, Compressor][] = [[RAFS_FLAG.compressionNone, 'none'], [RAFS_FLAG.compressionLz4, 'lz4_block'], [RAFS_FLAG.compressionGzip, 'gzip'], [RAFS_FLAG.compressionZstd, 'zstd']];
  const dig: [number, Digester][] = [[RAFS_FLAG.hashBlake3, 'blake3'], [RAFS_FLAG.hashSha256, 'sha256']];
  const c = comp.filter(([f]) => flags & f);
  const d = dig.filter(([f]) => flags & f);
  if (c.length !== 1) throw v.error('BAD_LAZY_FORMAT', `RAFS flags 0x${flags.toString(16)} name ${c.length} compressors (want exactly one of 0x1, 0x2, 0x40, 0x80)`, at);
  // Legacy v5 bootstraps (2020, flags 0x1) name no digester; nydus then used blake3. `problems` = accept that.
  if (d.length === 0 && problems) {
    problems.push(`RAFS flags 0x${flags.toString(16)} name no digester: assuming blake3 (legacy v5)`);
    return { compressor: c[0][1], digester: 'blake3' };
  }
  if (d.length !== 1) throw v.error('BAD_LAZY_FORMAT', `RAFS flags 0x${flags.toString(16)} name ${d.length} digesters (want exactly one of 0x4 blake3, 0x8 sha256)`, at);
  return { compressor: c[0][1], digester: d[0][1] };
}

/** The 80-byte chunk info at `at` (§4.11). */
export function parseChunkInfo(v: LeView, at: number): ChunkInfo {
  const C = CHUNK_INFO;
  const flags = v.u32(at + C.flagsAt);
  return {
    digest: v.hex(at + C.digestAt, 32),
    blobIndex: v.u32(at + C.blobIndexAt),
    flags,
    compressedSize: v.u32(at + C.compressedSizeAt),
    uncompressedSize: v.u32(at + C.uncompressedSizeAt),
    compressedOffset: v.u64(at + C.compressedOffsetAt, 'compressed_offset'),
    uncompressedOffset: v.u64(at + C.uncompressedOffsetAt, 'uncompressed_offset'),
    fileOffset: v.u64(at + C.fileOffsetAt, 'file_offset'),
    ciIndex: v.u32(at + C.indexAt),
    compressed: (flags & CHUNK_FLAG.compressed) !== 0,
  };
}

/** st_mode type bits → node type; undefined for a mode without a valid type. */
export function nodeTypeOf(mode: number): NodeType | undefined {
  switch (mode & 0o170000) {
    case 0o040000: return 'dir';
    case 0o100000: return 'file';
    case 0o120000: return 'symlink';
    case 0o020000: return 'char';
    case 0o060000: return 'block';
    case 0o010000: return 'fifo';
    case 0o140000: return 'socket';
    default: return undefined;
  }
}

/** Linux rdev (new_encode_dev, §5) → major/minor. */
export function rdevParts(rdev: number): { major: number; minor: number } {
  return { major: (rdev >>> 8) & 0xfff, minor: (rdev & 0xff) | ((rdev >>> 12) & 0xfff00) };
}
