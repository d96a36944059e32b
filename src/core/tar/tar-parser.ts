/**
 * A push-based streaming tar reader (the fflate shape: synchronous `push`, results through a
 * visitor). Bytes go through once, front to back; member data is handed to the visitor's sink as
 * views into the pushed chunks, so memory is bounded by one 512-byte carry block plus extension
 * headers (at most `maxHeaderBytes`), never by a member's size.
 *
 * Formats: POSIX ustar and pax (POSIX.1-2017 "pax" utility, sections "ustar Interchange Format"
 * and "pax Interchange Format"), v7, GNU (long names 'L'/'K', base-256 numbers, old sparse 'S')
 * as described in the GNU tar manual, chapter "Tar Internals".
 */
import { LayerlabError, type ErrorCode } from '../errors.ts';
import type { TarBodySink, TarEntry, TarVisitor } from './tar-types.ts';
import {
  BLOCK, F_CHKSUM, F_DEVMAJOR, F_DEVMINOR, F_GID, F_GNAME, F_GNU_EXT_ISEXTENDED, F_GNU_REALSIZE,
  F_GNU_SPARSE_ISEXTENDED, F_LINKNAME, F_MAGIC, F_MODE, F_MTIME, F_NAME, F_PREFIX, F_SIZE, F_STAR_TRAILER,
  F_TYPEFLAG, F_UID, F_UNAME, L_CHKSUM, L_DEVMAJOR, L_DEVMINOR, L_GID, L_GNAME, L_GNU_REALSIZE, L_LINKNAME,
  L_MODE, L_MTIME, L_NAME, L_PREFIX, L_SIZE, L_STAR_PREFIX, L_UID, L_UNAME, TF_BLOCK, TF_CHAR,
  TF_GNU_LONGLINK, TF_GNU_LONGNAME, TF_GNU_SPARSE, TF_PAX, TF_PAX_GLOBAL, TF_PAX_SOLARIS,
  entryTypeOf, headerChecksum, isHeaderOnly,
} from './ustar-layout.ts';
import { bytesEqualAscii, cString, decodeUtf8Lossy, isZeroBlock, parseNumericField } from './header-fields.ts';
import { decodeBase64, mergePax, paxInteger, paxTime, parsePaxRecords, percentDecode } from './pax-records.ts';

export interface TarParserOptions {
  /** The input as the user named it; put into every error. */
  file?: string;
  /**
   * Most bytes of extension data (PAX records, GNU long names) accepted for one member, and for
   * all global PAX records together. A hostile size field must not make us allocate.
   */
  maxHeaderBytes?: number;
}

export const TAR_PARSER_DEFAULTS = { maxHeaderBytes: 1 << 20 } as const;

// Parser states. The first three read whole 512-byte blocks (through the carry block when a
// block straddles chunks); the others count bytes down.
const S_HEADER = 0;      // the next block is a header
const S_SPARSE_EXT = 1;  // the next block extends an old GNU sparse map
const S_AFTER_ZERO = 2;  // one zero block seen; the next one completes the end-of-archive marker
const S_DATA = 3;        // a member's data
const S_EXT_DATA = 4;    // an extension header's data (PAX records, GNU long name)
const S_SKIP = 5;        // padding up to the next block
const S_TRAILER = 6;     // after the end of the archive: anything is accepted and ignored
const S_FINISHED = 7;

function padding(size: number): number {
  const r = size % BLOCK;
  return r === 0 ? 0 : BLOCK - r;
}

export class TarParser {
  private readonly visitor: TarVisitor;
  private readonly file: string | undefined;
  private readonly maxHeaderBytes: number;

  private pos = 0;
  private state = S_HEADER;
  /** Carry for a block split across pushes; the only copy made of header bytes. */
  private readonly block = new Uint8Array(BLOCK);
  private blockFill = 0;

  private dataLeft = 0;
  private skipLeft = 0;
  private sink: TarBodySink | void = undefined;
  /** The member whose data or padding is being read, for error messages. */
  private current: TarEntry | undefined;

  private ext: Uint8Array | undefined;
  private extFill = 0;
  private extType = 0;
  private extOffset = 0;

  // Extension headers seen since the last member; they describe the next one.
  private pendingStart = -1;
  private pendingBytes = 0;
  private localPax: Map<string, Uint8Array> | undefined;
  private longName: Uint8Array | undefined;
  private longLink: Uint8Array | undefined;

  private readonly globalPax = new Map<string, Uint8Array>();
  private sparseEntry: TarEntry | undefined;
  private zeroOffset = -1;
  private failure: unknown = undefined;

  constructor(visitor: TarVisitor, options: TarParserOptions = {}) {
    this.visitor = visitor;
    this.file = options.file;
    this.maxHeaderBytes = options.maxHeaderBytes ?? TAR_PARSER_DEFAULTS.maxHeaderBytes;
  }

  /** Bytes consumed so far (everything pushed, trailing padding included). */
  get offset(): number {
    return this.pos;
  }

  /**
   * Feeds the next bytes of the archive, any length. Member data reaches the sinks as views of
   * `chunk`: a sink that keeps data past its call must not expect the caller to leave `chunk`
   * untouched unless the caller promises so. Throws LayerlabError (or what the visitor threw);
   * after a throw the parser stays failed and rethrows it.
   */
  push(chunk: Uint8Array): void {
    if (this.failure !== undefined) throw this.failure;
    if (this.state === S_FINISHED) throw this.error('INTERNAL', 'tar parser: push() after finish()', this.pos);
    try {
      this.consume(chunk);
    } catch (e) {
      this.failure = e;
      throw e;
    }
  }

  /**
   * Says the input has ended. Throws TRUNCATED if it ended inside a header, an extension header
   * or a member's data or padding. Ending right after a member (no end-of-archive blocks) is
   * accepted, as GNU tar and Go accept it; the visitor then never hears `endOfArchive`.
   */
  finish(): void {
    if (this.failure !== undefined) throw this.failure;
    if (this.state === S_FINISHED) return;
    try {
      this.checkComplete();
    } catch (e) {
      this.failure = e;
      throw e;
    }
    this.state = S_FINISHED;
  }

  private checkComplete(): void {
    const end = this.pos;
    const cur = this.current;
    switch (this.state) {
      case S_HEADER:
        if (this.blockFill > 0) {
          throw this.error('TRUNCATED', `the archive ends ${this.blockFill} bytes into the header block at ${end - this.blockFill}`, end);
        }
        if (this.pendingStart >= 0) {
          throw this.error('TRUNCATED', `the archive ends after the extension headers at ${this.pendingStart}, before the member they describe`, end);
        }
        return;
      case S_SPARSE_EXT: {
        const e = this.sparseEntry!;
        throw this.error('TRUNCATED', `the archive ends inside the sparse map blocks of the header at ${e.headerOffset}`, end, e.name);
      }
      case S_DATA:
        throw this.error('TRUNCATED', `the archive ends ${this.dataLeft} bytes before the end of the data of ${JSON.stringify(cur!.name)} (${cur!.size} bytes from offset ${cur!.dataOffset})`, end, cur!.name);
      case S_EXT_DATA:
        throw this.error('TRUNCATED', `the archive ends inside the data of the extension header at ${this.extOffset} (${this.ext!.length - this.extFill} bytes missing)`, end);
      case S_SKIP:
        throw this.error('TRUNCATED', `the archive ends inside block padding, ${this.skipLeft} bytes before the next header at ${end + this.skipLeft}`, end, cur?.name);
      default:
        return; // after a zero block: the archive is over, whatever follows
    }
  }

  private consume(chunk: Uint8Array): void {
    const n = chunk.length;
    let i = 0;
    while (i < n) {
      const state = this.state;
      if (state === S_DATA) {
        const take = Math.min(n - i, this.dataLeft);
        if (this.sink) this.sink.data(chunk.subarray(i, i + take));
        i += take;
        this.pos += take;
        this.dataLeft -= take;
        if (this.dataLeft === 0) this.endData();
      } else if (state <= S_AFTER_ZERO) {
        if (this.blockFill === 0 && n - i >= BLOCK) {
          // The common case: the whole block is in this chunk, read it in place.
          this.pos += BLOCK;
          this.onBlock(chunk, i);
          i += BLOCK;
        } else {
          const take = Math.min(n - i, BLOCK - this.blockFill);
          this.block.set(chunk.subarray(i, i + take), this.blockFill);
          this.blockFill += take;
          this.pos += take;
          i += take;
          if (this.blockFill === BLOCK) {
            this.blockFill = 0;
            this.onBlock(this.block, 0);
          }
        }
      } else if (state === S_SKIP) {
        const take = Math.min(n - i, this.skipLeft);
        i += take;
        this.pos += take;
        this.skipLeft -= take;
        if (this.skipLeft === 0) {
          this.current = undefined;
          this.state = S_HEADER;
        }
      } else if (state === S_EXT_DATA) {
        const ext = this.ext!;
        const take = Math.min(n - i, ext.length - this.extFill);
        ext.set(chunk.subarray(i, i + take), this.extFill);
        this.extFill += take;
        this.pos += take;
        i += take;
        if (this.extFill === ext.length) this.onExtData();
      } else {
        // S_TRAILER: bytes after the end-of-archive marker are record padding (GNU tar ignores them).
        this.pos += n - i;
        i = n;
      }
    }
  }

  /**
   * For readers with random access: when the parser is waiting for data (or padding) that no sink
   * wants, counts it as consumed and returns how many bytes that was, so the caller can seek past
   * it instead of reading it. The caller must check that the input really is that long (a size
   * field may lie); returns 0 when nothing can be skipped.
   */
  skipUnwantedData(): number {
    if (this.failure !== undefined) throw this.failure;
    let n = 0;
    if (this.state === S_DATA && !this.sink) {
      n = this.dataLeft + this.skipLeft;
    } else if (this.state === S_SKIP) {
      n = this.skipLeft;
    } else {
      return 0;
    }
    this.pos += n;
    this.dataLeft = 0;
    this.skipLeft = 0;
    this.state = S_HEADER;
    this.current = undefined;
    return n;
  }

  private endData(): void {
    const sink = this.sink;
    this.sink = undefined;
    if (this.skipLeft > 0) {
      this.state = S_SKIP;
    } else {
      this.state = S_HEADER;
      this.current = undefined;
    }
    if (sink) sink.end();
  }

  /** A complete block at `buf[at..at+512]`; `this.pos` is already past it. */
  private onBlock(buf: Uint8Array, at: number): void {
    const off = this.pos - BLOCK;
    if (this.state === S_HEADER) {
      this.onHeader(buf, at, off);
    } else if (this.state === S_SPARSE_EXT) {
      this.onSparseExtension(buf, at, off);
    } else {
      // POSIX ends an archive with two zero blocks. GNU tar and Python stop at the first one
      // (GNU tar warns "A lone zero block" if the second is missing); so do we, and only the
      // full marker is reported.
      if (isZeroBlock(buf, at, BLOCK)) this.visitor.endOfArchive?.(this.zeroOffset);
      this.state = S_TRAILER;
    }
  }

  private onHeader(buf: Uint8Array, at: number, off: number): void {
    // A real header's checksum field is never all zeros, so only then is the block scanned.
    if (isZeroBlock(buf, at + F_CHKSUM, L_CHKSUM) && isZeroBlock(buf, at, BLOCK)) {
      if (this.pendingStart >= 0) {
        throw this.error('BAD_TAR', `the extension headers at ${this.pendingStart} are followed by the end of the archive, not by a member`, off);
      }
      this.zeroOffset = off;
      this.state = S_AFTER_ZERO;
      return;
    }
    this.verifyChecksum(buf, at, off);
    const typeflag = buf[at + F_TYPEFLAG];
    const size = this.headerNumber(buf, at, F_SIZE, L_SIZE, 'size', off);
    if (size < 0) throw this.error('BAD_TAR', `the header at ${off} has a negative size (${size})`, off, this.rawName(buf, at));
    switch (typeflag) {
      case TF_PAX: case TF_PAX_SOLARIS: case TF_PAX_GLOBAL: case TF_GNU_LONGNAME: case TF_GNU_LONGLINK:
        this.beginExtension(typeflag, size, off);
        return;
      default:
        this.onMemberHeader(buf, at, off, typeflag, size);
    }
  }

  private verifyChecksum(buf: Uint8Array, at: number, off: number): void {
    const stored = parseNumericField(buf, at + F_CHKSUM, L_CHKSUM);
    const sums = headerChecksum(buf, at);
    if (stored !== sums.unsigned && stored !== sums.signed) {
      throw this.error('BAD_TAR', `bad tar header checksum at ${off}: stored ${fieldText(buf, at + F_CHKSUM, L_CHKSUM)}, computed ${sums.unsigned.toString(8)} (not a tar, or corrupt)`, off);
    }
  }

  // ---- extension headers ----

  private beginExtension(typeflag: number, size: number, off: number): void {
    const global = typeflag === TF_PAX_GLOBAL;
    const room = this.maxHeaderBytes - (global ? 0 : this.pendingBytes);
    if (size > room) {
      throw this.error('TOO_LARGE', `the ${extensionName(typeflag)} at ${off} holds ${size} bytes; at most ${this.maxHeaderBytes} bytes of extension headers are accepted per member (maxHeaderBytes)`, off);
    }
    if (!global) {
      if (this.pendingStart < 0) this.pendingStart = off;
      this.pendingBytes += size;
    }
    this.extType = typeflag;
    this.extOffset = off;
    this.ext = new Uint8Array(size);
    this.extFill = 0;
    this.skipLeft = padding(size);
    if (size === 0) this.onExtData();
    else this.state = S_EXT_DATA;
  }

  private onExtData(): void {
    const data = this.ext!;
    this.ext = undefined;
    const off = this.extOffset;
    switch (this.extType) {
      case TF_GNU_LONGNAME:
        // NUL-terminated, like the field it replaces (GNU tar manual, "Long file names").
        this.longName = cString(data, 0, data.length);
        break;
      case TF_GNU_LONGLINK:
        this.longLink = cString(data, 0, data.length);
        break;
      case TF_PAX_GLOBAL: {
        const records = new Map<string, Uint8Array>();
        this.checkPax(parsePaxRecords(data, records), off);
        for (const [k, v] of records) {
          if (v.length === 0) this.globalPax.delete(k);
          else this.globalPax.set(k, v);
        }
        let bytes = 0;
        for (const [k, v] of this.globalPax) bytes += k.length + v.length;
        if (bytes > this.maxHeaderBytes) {
          throw this.error('TOO_LARGE', `global PAX records reach ${bytes} bytes at the header at ${off}; at most ${this.maxHeaderBytes} are accepted (maxHeaderBytes)`, off);
        }
        break;
      }
      default:
        this.localPax ??= new Map();
        this.checkPax(parsePaxRecords(data, this.localPax), off);
    }
    this.state = this.skipLeft > 0 ? S_SKIP : S_HEADER;
  }

  private checkPax(problem: string | undefined, off: number): void {
    if (problem) throw this.error('BAD_TAR', `malformed PAX extended header at ${off}: ${problem}`, off);
  }

  // ---- members ----

  private onMemberHeader(buf: Uint8Array, at: number, off: number, typeflag: number, headerSize: number): void {
    // POSIX magic "ustar\0" enables `prefix`; old GNU "ustar  \0" uses those bytes for other
    // fields; v7 has neither magic nor owner names nor device numbers.
    const posix = bytesEqualAscii(buf, at + F_MAGIC, 'ustar\0');
    const ustarFields = posix || bytesEqualAscii(buf, at + F_MAGIC, 'ustar ');
    const pax = this.localPax || this.globalPax.size > 0 ? mergePax(this.globalPax, this.localPax) : new Map<string, Uint8Array>();
    const hasPax = pax.size > 0;

    // Precedence as GNU tar applies it: PAX records (decoded last) over GNU long names over the header.
    let nameBytes = hasPax ? pax.get('GNU.sparse.name') ?? pax.get('path') : undefined;
    if (!nameBytes) nameBytes = this.longName ?? this.ustarName(buf, at, posix);
    let linknameBytes = hasPax ? pax.get('linkpath') : undefined;
    if (!linknameBytes) linknameBytes = this.longLink ?? cString(buf, at + F_LINKNAME, L_LINKNAME);
    const name = decodeUtf8Lossy(nameBytes);

    let type = entryTypeOf(typeflag, nameBytes.length > 0 && nameBytes[nameBytes.length - 1] === 0x2f);
    const mode = this.headerNumber(buf, at, F_MODE, L_MODE, 'mode', off, name);
    let uid = this.headerNumber(buf, at, F_UID, L_UID, 'uid', off, name);
    let gid = this.headerNumber(buf, at, F_GID, L_GID, 'gid', off, name);
    let mtime = this.headerNumber(buf, at, F_MTIME, L_MTIME, 'mtime', off, name);
    let size = headerSize;
    let uname = '';
    let gname = '';
    let devmajor = 0;
    let devminor = 0;
    if (ustarFields) {
      uname = decodeUtf8Lossy(cString(buf, at + F_UNAME, L_UNAME));
      gname = decodeUtf8Lossy(cString(buf, at + F_GNAME, L_GNAME));
      // Device numbers mean nothing for other types, and some writers leave junk there.
      const device = typeflag === TF_CHAR || typeflag === TF_BLOCK;
      devmajor = device ? this.headerNumber(buf, at, F_DEVMAJOR, L_DEVMAJOR, 'devmajor', off, name) : lenient(parseNumericField(buf, at + F_DEVMAJOR, L_DEVMAJOR));
      devminor = device ? this.headerNumber(buf, at, F_DEVMINOR, L_DEVMINOR, 'devminor', off, name) : lenient(parseNumericField(buf, at + F_DEVMINOR, L_DEVMINOR));
    }

    let paxSparse = false;
    let sparseSize: number | undefined;
    let sparseRealSize: number | undefined;
    const xattrs = new Map<string, Uint8Array>();
    if (hasPax) {
      // Errors in records point at the member's first header block (its extended header).
      const recordsAt = this.pendingStart >= 0 ? this.pendingStart : off;
      for (const [key, v] of pax) {
        switch (key) {
          case 'size': size = this.paxNumber(paxInteger(v, false), key, v, recordsAt, name); break;
          case 'uid': uid = this.paxNumber(paxInteger(v, true), key, v, recordsAt, name); break;
          case 'gid': gid = this.paxNumber(paxInteger(v, true), key, v, recordsAt, name); break;
          case 'mtime': mtime = this.paxNumber(paxTime(v), key, v, recordsAt, name); break;
          case 'uname': uname = decodeUtf8Lossy(v); break;
          case 'gname': gname = decodeUtf8Lossy(v); break;
          // GNU tar manual, "Storing Sparse Files": format 0.0/0.1 give the logical size in
          // GNU.sparse.size, 1.0 in GNU.sparse.realsize (its map is in the data, which we pass on).
          case 'GNU.sparse.size':
            sparseSize = this.paxNumber(paxInteger(v, false), key, v, recordsAt, name);
            paxSparse = true;
            break;
          case 'GNU.sparse.realsize':
            sparseRealSize = this.paxNumber(paxInteger(v, false), key, v, recordsAt, name);
            paxSparse = true;
            break;
          case 'GNU.sparse.major': case 'GNU.sparse.map': case 'GNU.sparse.numblocks': case 'GNU.sparse.offset':
            paxSparse = true;
            break;
          default:
            if (key.startsWith('SCHILY.xattr.')) {
              xattrs.set(key.slice(13), v);
            } else if (key.startsWith('LIBARCHIVE.xattr.')) {
              const value = decodeBase64(v);
              if (!value) throw this.error('BAD_TAR', `PAX record ${key} for the member at ${recordsAt} is not base64`, recordsAt, name);
              xattrs.set(percentDecode(key.slice(17)), value);
            }
        }
      }
    }

    if (isHeaderOnly(typeflag)) size = 0;
    let realSize = size;
    if (typeflag === TF_GNU_SPARSE) {
      realSize = this.headerNumber(buf, at, F_GNU_REALSIZE, L_GNU_REALSIZE, 'realsize', off, name);
    } else if (paxSparse && type === 'file') {
      type = 'sparse';
      const logical = sparseRealSize ?? sparseSize;
      if (logical === undefined) throw this.error('BAD_TAR', `the PAX sparse member with the header at ${off} gives neither GNU.sparse.size nor GNU.sparse.realsize`, off, name);
      realSize = logical;
    }

    const headerOffset = this.pendingStart >= 0 ? this.pendingStart : off;
    const dataOffset = off + BLOCK;
    const entry: TarEntry = {
      type,
      typeflag: String.fromCharCode(typeflag),
      name,
      nameBytes,
      linkname: linknameBytes.length ? decodeUtf8Lossy(linknameBytes) : '',
      linknameBytes,
      mode, uid, gid, size, realSize, mtime, uname, gname, devmajor, devminor,
      xattrs,
      pax,
      headerOffset,
      headerLength: dataOffset - headerOffset,
      dataOffset,
    };
    this.pendingStart = -1;
    this.pendingBytes = 0;
    this.localPax = undefined;
    this.longName = undefined;
    this.longLink = undefined;

    if (typeflag === TF_GNU_SPARSE && buf[at + F_GNU_SPARSE_ISEXTENDED] !== 0) {
      // More of the sparse map follows in extension blocks, before the data.
      this.sparseEntry = entry;
      this.state = S_SPARSE_EXT;
      return;
    }
    this.emit(entry);
  }

  /** An old GNU sparse extension block: 21 map entries and a flag saying whether another follows. */
  private onSparseExtension(buf: Uint8Array, at: number, off: number): void {
    const entry = this.sparseEntry!;
    entry.dataOffset = off + BLOCK;
    entry.headerLength = entry.dataOffset - entry.headerOffset;
    if (buf[at + F_GNU_EXT_ISEXTENDED] !== 0) return;
    this.sparseEntry = undefined;
    this.state = S_HEADER;
    this.emit(entry);
  }

  private emit(entry: TarEntry): void {
    this.state = S_HEADER;
    const sink = this.visitor.entry(entry);
    if (entry.size === 0) {
      if (sink) sink.end();
      return;
    }
    this.sink = sink;
    this.current = entry;
    this.dataLeft = entry.size;
    this.skipLeft = padding(entry.size);
    this.state = S_DATA;
  }

  /** `name`, with `prefix + '/'` in front when POSIX ustar (or star) gives one. */
  private ustarName(buf: Uint8Array, at: number, posix: boolean): Uint8Array {
    const name = cString(buf, at + F_NAME, L_NAME);
    if (!posix || buf[at + F_PREFIX] === 0) return name;
    const star = bytesEqualAscii(buf, at + F_STAR_TRAILER, 'tar\0');
    const prefix = cString(buf, at + F_PREFIX, star ? L_STAR_PREFIX : L_PREFIX);
    const full = new Uint8Array(prefix.length + 1 + name.length);
    full.set(prefix, 0);
    full[prefix.length] = 0x2f;
    full.set(name, prefix.length + 1);
    return full;
  }

  // ---- numbers and errors ----

  private headerNumber(buf: Uint8Array, at: number, field: number, len: number, what: string, off: number, name?: string): number {
    const v = parseNumericField(buf, at + field, len);
    if (Number.isFinite(v)) return v;
    const entry = name ?? this.rawName(buf, at);
    if (Number.isNaN(v)) throw this.error('BAD_TAR', `the ${what} field of the tar header at ${off} is not a number: ${fieldText(buf, at + field, len)}`, off, entry);
    throw this.error('TOO_LARGE', `the ${what} field of the tar header at ${off} is beyond 2^53`, off, entry);
  }

  private paxNumber(v: number, key: string, raw: Uint8Array, off: number, name: string): number {
    if (Number.isFinite(v)) return v;
    const text = JSON.stringify(decodeUtf8Lossy(raw.subarray(0, 64)));
    if (Number.isNaN(v)) throw this.error('BAD_TAR', `PAX record ${key}=${text} for the member at ${off} is not a number`, off, name);
    throw this.error('TOO_LARGE', `PAX record ${key}=${text} for the member at ${off} is beyond 2^53`, off, name);
  }

  private rawName(buf: Uint8Array, at: number): string {
    return decodeUtf8Lossy(cString(buf, at + F_NAME, L_NAME));
  }

  private error(code: ErrorCode, message: string, offset: number, entry?: string): LayerlabError {
    return new LayerlabError(code, message, { file: this.file, entry, offset, offsetSpace: 'uncompressed' });
  }
}

function lenient(v: number): number {
  return Number.isFinite(v) ? v : 0;
}

function extensionName(typeflag: number): string {
  switch (typeflag) {
    case TF_GNU_LONGNAME: return 'GNU long name header';
    case TF_GNU_LONGLINK: return 'GNU long link header';
    case TF_PAX_GLOBAL: return 'PAX global header';
    default: return 'PAX extended header';
  }
}

/** A header field for an error message: printable ASCII as is, the rest as \xHH. */
function fieldText(buf: Uint8Array, at: number, len: number): string {
  let s = '';
  for (let i = at; i < at + len; i++) {
    const b = buf[i];
    s += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`;
  }
  return JSON.stringify(s);
}
