/**
 * What the tar reader reports for each member. Offsets are positions in the *uncompressed* tar
 * stream, so later stages (eStargz, Nydus) can point back at exact bytes.
 */
export type TarEntryType =
  | 'file'      // '0', '\0' (not ending in '/'), '7' (contiguous)
  | 'hardlink'  // '1'
  | 'symlink'   // '2'
  | 'char'      // '3'
  | 'block'     // '4'
  | 'dir'       // '5', or '\0' whose name ends in '/'
  | 'fifo'      // '6'
  | 'sparse'    // GNU 'S' or PAX GNU.sparse.*: reported, contents not expanded
  | 'other';    // anything else (e.g. 'V' volume label); skipped by analysis

export interface TarEntry {
  type: TarEntryType;
  /** The raw type flag character ('0', '5', 'S', ...). */
  typeflag: string;
  /** Member name after PAX `path` / GNU 'L' / ustar prefix are applied, decoded as UTF-8 (lossy). */
  name: string;
  /** The same name as raw bytes (non-UTF-8 names are kept exactly). */
  nameBytes: Uint8Array;
  linkname: string;
  linknameBytes: Uint8Array;
  mode: number;
  uid: number;
  gid: number;
  /**
   * Size of the member's data in the archive (for 'sparse', the logical size is `realSize`).
   * Always 0 for hardlink, symlink, char, block, dir and fifo: they carry no data whatever their
   * size field says (POSIX; Go and Python's tarfile read them so too).
   */
  size: number;
  /** Logical file size for GNU sparse members; equals `size` otherwise. */
  realSize: number;
  /** Seconds since the epoch; fractional when PAX gives one. */
  mtime: number;
  uname: string;
  gname: string;
  devmajor: number;
  devminor: number;
  /** From PAX `SCHILY.xattr.*` and `LIBARCHIVE.xattr.*` (base64-decoded) records. */
  xattrs: Map<string, Uint8Array>;
  /**
   * Every PAX record that applied to this member (global ones included), raw values. A record
   * with an empty value deletes the keyword (POSIX), so it never appears here.
   */
  pax: Map<string, Uint8Array>;
  /**
   * Offset of the first header block of this member (PAX / GNU long-name headers included). A PAX
   * global header ('g') belongs to no member and is not counted, as in Python's tarfile `offset`.
   */
  headerOffset: number;
  /** Bytes of all header blocks of this member (extension headers and their data included). */
  headerLength: number;
  /**
   * Offset of the member's data; `dataOffset + size` rounded up to 512 is the next header. For GNU
   * sparse 1.0 members the data starts with the sparse map, which is passed on as stored.
   */
  dataOffset: number;
}

/**
 * Receives one member's data, in order, in pieces. The TarParser hands out views of the chunks
 * pushed into it (no copy): a sink that keeps a piece beyond the call relies on the pusher not
 * reusing that buffer.
 */
export interface TarBodySink {
  data(chunk: Uint8Array): void;
  end(): void;
}

export interface TarVisitor {
  /** Called once per member; return a sink to receive its data, or nothing to skip it. */
  entry(entry: TarEntry): TarBodySink | void;
  /**
   * End-of-archive seen (two zero blocks) at `offset`; bytes after it are padding. Not called when
   * the input simply stops after a member, or after a single zero block (both accepted).
   */
  endOfArchive?(offset: number): void;
}
