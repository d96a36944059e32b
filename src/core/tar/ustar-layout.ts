/**
 * The byte layout of a tar header block, shared by the reader and the writer.
 *
 * Sources: POSIX.1-2017 pax "ustar Interchange Format" (field table), GNU tar manual
 * "Basic Tar Format" (the old GNU header: atime/ctime/sparse fields where ustar has `prefix`),
 * and star's header (a 131-byte prefix and a "tar\0" trailer at 508), as Go's archive/tar reads it.
 */
import type { TarEntryType } from './tar-types.ts';

export const BLOCK = 512;

/** [offset, length] of each field of the POSIX ustar header. */
export const F_NAME = 0, L_NAME = 100;
export const F_MODE = 100, L_MODE = 8;
export const F_UID = 108, L_UID = 8;
export const F_GID = 116, L_GID = 8;
export const F_SIZE = 124, L_SIZE = 12;
export const F_MTIME = 136, L_MTIME = 12;
export const F_CHKSUM = 148, L_CHKSUM = 8;
export const F_TYPEFLAG = 156;
export const F_LINKNAME = 157, L_LINKNAME = 100;
export const F_MAGIC = 257; // 6 bytes magic + 2 bytes version
export const F_UNAME = 265, L_UNAME = 32;
export const F_GNAME = 297, L_GNAME = 32;
export const F_DEVMAJOR = 329, L_DEVMAJOR = 8;
export const F_DEVMINOR = 337, L_DEVMINOR = 8;
export const F_PREFIX = 345, L_PREFIX = 155;
/** star keeps atime/ctime after a shorter prefix and marks itself with "tar\0" at 508. */
export const L_STAR_PREFIX = 131, F_STAR_TRAILER = 508;

/** Old GNU header (GNU tar manual, "GNU tar and POSIX tar"): where ustar has `prefix`. */
export const F_GNU_SPARSE_ISEXTENDED = 482;
export const F_GNU_REALSIZE = 483, L_GNU_REALSIZE = 12;
/** A sparse extension block holds 21 (offset, numbytes) pairs, then its own isextended flag. */
export const F_GNU_EXT_ISEXTENDED = 504;

/** Largest value of an octal field of `len` bytes: len-1 digits and a terminating NUL. */
export function octalMax(len: number): number {
  return 8 ** (len - 1) - 1;
}

/** Typeflags that only carry a header. */
export const TF_REG = 0x30, TF_AREG = 0x00, TF_LINK = 0x31, TF_SYMLINK = 0x32, TF_CHAR = 0x33,
  TF_BLOCK = 0x34, TF_DIR = 0x35, TF_FIFO = 0x36, TF_CONT = 0x37;
/** Extension headers: PAX local ('x'; Solaris 'X' is the same format), PAX global ('g'), GNU long name/link. */
export const TF_PAX = 0x78, TF_PAX_SOLARIS = 0x58, TF_PAX_GLOBAL = 0x67, TF_GNU_LONGNAME = 0x4c, TF_GNU_LONGLINK = 0x4b;
/** Old GNU sparse file. */
export const TF_GNU_SPARSE = 0x53;

/**
 * The entry type of a typeflag. '\0' (pre-POSIX "regular file") names a directory when the name
 * ends in '/': that is how v7 tar stored directories (POSIX rationale; Go and Python do the same).
 */
export function entryTypeOf(typeflag: number, nameEndsWithSlash: boolean): TarEntryType {
  switch (typeflag) {
    case TF_REG: case TF_CONT: return 'file';
    case TF_AREG: return nameEndsWithSlash ? 'dir' : 'file';
    case TF_LINK: return 'hardlink';
    case TF_SYMLINK: return 'symlink';
    case TF_CHAR: return 'char';
    case TF_BLOCK: return 'block';
    case TF_DIR: return 'dir';
    case TF_FIFO: return 'fifo';
    case TF_GNU_SPARSE: return 'sparse';
    default: return 'other';
  }
}

/**
 * Types whose size field never announces data. POSIX: links "shall" have size zero and no data is
 * stored for devices, FIFOs and directories; Go (`isHeaderOnlyType`) and Python skip no data for
 * them whatever the field says, so neither do we.
 */
export function isHeaderOnly(typeflag: number): boolean {
  return typeflag >= TF_LINK && typeflag <= TF_FIFO;
}

/** The typeflag the writer uses for a type (POSIX values; '0' for regular files). */
export const TYPEFLAG_OF: Record<Exclude<TarEntryType, 'sparse' | 'other'>, number> = {
  file: TF_REG, hardlink: TF_LINK, symlink: TF_SYMLINK, char: TF_CHAR, block: TF_BLOCK, dir: TF_DIR, fifo: TF_FIFO,
};

/**
 * The header checksum: the sum of the header bytes with the checksum field counted as eight
 * spaces. POSIX defines the unsigned sum; some historic tars summed signed chars, and GNU tar and
 * Python accept either, so the reader asks for both (`signed = unsigned - 256 * highBytes`).
 */
export function headerChecksum(buf: Uint8Array, at: number): { unsigned: number; signed: number } {
  let sum = 8 * 0x20;
  let high = 0;
  for (let i = at, end = at + F_CHKSUM; i < end; i++) { const b = buf[i]; sum += b; high += b >> 7; }
  for (let i = at + F_CHKSUM + L_CHKSUM, end = at + BLOCK; i < end; i++) { const b = buf[i]; sum += b; high += b >> 7; }
  return { unsigned: sum, signed: sum - 256 * high };
}
