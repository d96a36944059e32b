/**
 * Encodes one member's header blocks the way Go's archive/tar and GNU tar (`--format=posix`)
 * do: a plain POSIX ustar header when every value fits its field, otherwise a PAX 'x' header
 * first whose records carry what does not fit (POSIX.1-2017 pax, "pax Extended Header").
 */
import { LayerlabError } from '../errors.ts';
import type { TarEntry, TarEntryType } from './tar-types.ts';
import {
  BLOCK, F_CHKSUM, F_DEVMAJOR, F_DEVMINOR, F_GID, F_GNAME, F_LINKNAME, F_MAGIC, F_MODE, F_MTIME, F_NAME,
  F_PREFIX, F_SIZE, F_TYPEFLAG, F_UID, F_UNAME, L_DEVMAJOR, L_DEVMINOR, L_GID, L_GNAME, L_LINKNAME, L_MODE,
  L_MTIME, L_NAME, L_PREFIX, L_SIZE, L_UID, L_UNAME, TF_GNU_LONGLINK, TF_GNU_LONGNAME, TF_GNU_SPARSE,
  TF_PAX, TF_PAX_GLOBAL, TF_PAX_SOLARIS, TYPEFLAG_OF, entryTypeOf, isHeaderOnly, octalMax,
} from './ustar-layout.ts';
import { decodeUtf8Lossy } from './header-fields.ts';
import { formatPaxRecord, paxTime } from './pax-records.ts';

/**
 * What the writer needs: a name and a type; everything else defaults (mode 0644 for files,
 * 0755 for directories, 0777 for symlinks; owner 0; mtime 0). A parsed `TarEntry` can be passed
 * as is: `nameBytes` / `linknameBytes` are used (keeping non-UTF-8 names exactly) as long as they
 * still decode to `name` / `linkname`, i.e. unless the caller changed the text.
 */
export type TarWriterEntry = Partial<TarEntry> & { name: string; type: TarEntryType };

export interface EncodedHeader {
  /** The PAX header and its records (if any), then the ustar header: whole blocks. */
  bytes: Uint8Array;
  /** Data bytes that must follow. */
  size: number;
}

/** PAX records the encoder derives from entry fields; others in `entry.pax` are copied through. */
function isDerivedPaxKey(k: string): boolean {
  switch (k) {
    case 'path': case 'linkpath': case 'size': case 'uid': case 'gid': case 'uname': case 'gname':
    case 'mtime': case 'hdrcharset':
      return true;
    default:
      return k.startsWith('SCHILY.xattr.') || k.startsWith('LIBARCHIVE.xattr.') || k.startsWith('GNU.sparse.');
  }
}

const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder('utf-8', { fatal: true });
const ASCII_NUMERIC = (n: number) => utf8.encode(String(n));

function fail(message: string, entry: string, code: 'UNSUPPORTED' | 'TOO_LARGE' = 'UNSUPPORTED'): never {
  throw new LayerlabError(code, `tar writer: ${message}`, { entry });
}

/** Text → bytes, preferring the raw bytes a reader gave us when they still say the same thing. */
function textBytes(text: string, raw: Uint8Array | undefined): Uint8Array {
  if (raw && decodeUtf8Lossy(raw) === text) return raw;
  return utf8.encode(text);
}

function isAscii(b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] > 0x7f) return false;
  return true;
}

function isUtf8(b: Uint8Array): boolean {
  try {
    utf8Strict.decode(b);
    return true;
  } catch {
    return false;
  }
}

/** What a reader that ignores PAX should see: the ASCII bytes, cut to the field (as Go does). */
function asciiFallback(b: Uint8Array, len: number): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < b.length && out.length < len; i++) if (b[i] < 0x80) out.push(b[i]);
  return Uint8Array.from(out);
}

/**
 * Splits a long ASCII name into ustar prefix and name at a '/', the longest prefix that fits
 * (Go's `splitUSTARPath`). A trailing '/' never becomes the split point: the name part must not
 * be empty.
 */
function splitUstarName(name: Uint8Array): [prefix: Uint8Array, name: Uint8Array] | undefined {
  let length = name.length;
  if (length <= L_NAME) return undefined;
  if (length > L_PREFIX + 1) length = L_PREFIX + 1;
  else if (name[length - 1] === 0x2f) length--;
  let i = length - 1;
  while (i >= 0 && name[i] !== 0x2f) i--;
  const nameLen = name.length - i - 1;
  if (i <= 0 || nameLen > L_NAME || nameLen === 0 || i > L_PREFIX) return undefined;
  return [name.subarray(0, i), name.subarray(i + 1)];
}

function writeBytes(out: Uint8Array, at: number, len: number, b: Uint8Array): void {
  out.set(b.length > len ? b.subarray(0, len) : b, at);
}

/** `len - 1` zero-padded octal digits and a NUL, as GNU tar and Go write numbers. */
function writeOctal(out: Uint8Array, at: number, len: number, v: number): void {
  const s = v.toString(8).padStart(len - 1, '0');
  for (let i = 0; i < len - 1; i++) out[at + i] = s.charCodeAt(i);
  out[at + len - 1] = 0;
}

/** GNU base-256: 0x80, then the value big-endian (GNU tar manual, "Extensions to Archive Format"). */
function writeBase256(out: Uint8Array, at: number, len: number, v: number): void {
  out[at] = 0x80;
  for (let i = at + len - 1; i > at; i--) {
    out[i] = v % 256;
    v = Math.floor(v / 256);
  }
}

/** A number that must be a non-negative integer below 2^53. */
function checkCount(v: number, what: string, entry: string): number {
  if (!Number.isSafeInteger(v) || v < 0) fail(`${what} ${v} is not a non-negative integer below 2^53`, entry, Number.isFinite(v) && v >= 0 ? 'TOO_LARGE' : 'UNSUPPORTED');
  return v;
}

/** PAX time: decimal seconds, fraction if any, never exponent notation. */
function formatPaxTime(t: number): string {
  const s = String(t);
  if (!/e/i.test(s)) return s;
  return t.toFixed(9).replace(/\.?0+$/, '');
}

/**
 * The `mtime` a reader saw, kept exact. A float64 holds only ~7 fractional digits at today's
 * epoch, so re-encoding `TarEntry.mtime` would turn `1700000000.123456789` into
 * `1700000000.1234567`; Go's tar.Writer (which stargz-snapshotter's Build uses) keeps
 * nanoseconds for a PAX-format header. So when the parsed record still says `mtime` (the
 * caller did not change the time), its text is used in Go's form: at most 9 fractional digits
 * (archive/tar parsePAXTime truncates), trailing zeros and leading zeros of the seconds dropped
 * (formatPAXTime). `seconds` is the ustar field's value: Go's ts.Unix(), the floor.
 */
function exactPaxTime(raw: Uint8Array | undefined, mtime: number): { text: string; seconds: number } | undefined {
  if (!raw || paxTime(raw) !== mtime) return undefined;
  const m = /^(-?)(\d+)(?:\.(\d*))?$/.exec(String.fromCharCode(...raw));
  if (!m) return undefined;
  const [, sign, whole, fraction = ''] = m;
  const secs = whole.replace(/^0+(?=\d)/, '');
  const nanos = fraction.slice(0, 9).replace(/0+$/, '');
  const magnitude = Number(secs);
  if (!Number.isSafeInteger(magnitude)) return undefined;
  if (!nanos) return { text: magnitude === 0 ? '0' : sign + secs, seconds: sign ? -magnitude : magnitude };
  return { text: `${sign}${secs}.${nanos}`, seconds: sign ? -magnitude - 1 : magnitude };
}

function typeflagFor(e: TarWriterEntry): number {
  if (e.type === 'sparse') fail('GNU sparse members cannot be written (their map is not kept)', e.name);
  if (e.type !== 'other') return TYPEFLAG_OF[e.type];
  const tf = e.typeflag ?? '';
  const c = tf.charCodeAt(0);
  const extension = c === TF_PAX || c === TF_PAX_SOLARIS || c === TF_PAX_GLOBAL || c === TF_GNU_LONGNAME || c === TF_GNU_LONGLINK || c === TF_GNU_SPARSE;
  if (tf.length !== 1 || c > 0x7f || extension || entryTypeOf(c, false) !== 'other') {
    fail(`type 'other' needs a one-character typeflag that is not a known type or an extension header, got ${JSON.stringify(tf)}`, e.name);
  }
  return c;
}

const DEFAULT_MODE: Partial<Record<TarEntryType, number>> = { dir: 0o755, symlink: 0o777 };

/** Builds the header blocks for `e`. Throws UNSUPPORTED / TOO_LARGE for what tar cannot hold. */
export function encodeEntryHeader(e: TarWriterEntry): EncodedHeader {
  const entryName = e.name;
  const typeflag = typeflagFor(e);
  const name = textBytes(e.name, e.nameBytes);
  const linkname = textBytes(e.linkname ?? '', e.linknameBytes);
  if (name.length === 0) fail('a member needs a name', entryName);
  if (name.includes(0) || linkname.includes(0)) fail('names cannot contain NUL bytes', entryName);

  const size = checkCount(e.size ?? 0, 'size', entryName);
  if (size > 0 && isHeaderOnly(typeflag)) {
    fail(`a ${e.type} carries no data, but size is ${size} (readers would lose their place)`, entryName);
  }
  const mode = checkCount(e.mode ?? DEFAULT_MODE[e.type] ?? 0o644, 'mode', entryName);
  if (mode > octalMax(L_MODE)) fail(`mode ${mode.toString(8)} does not fit the 7-digit octal field`, entryName, 'TOO_LARGE');
  const uid = checkCount(e.uid ?? 0, 'uid', entryName);
  const gid = checkCount(e.gid ?? 0, 'gid', entryName);
  const mtime = e.mtime ?? 0;
  if (!Number.isFinite(mtime) || Math.abs(mtime) > Number.MAX_SAFE_INTEGER) fail(`mtime ${mtime} is not a time`, entryName);
  const devmajor = checkCount(e.devmajor ?? 0, 'devmajor', entryName);
  const devminor = checkCount(e.devminor ?? 0, 'devminor', entryName);
  const uname = utf8.encode(e.uname ?? '');
  const gname = utf8.encode(e.gname ?? '');

  const records: Uint8Array[] = [];
  let binary = false;
  const textRecord = (key: string, v: Uint8Array) => {
    if (!isUtf8(v)) binary = true;
    records.push(formatPaxRecord(key, v));
  };

  // Name: ustar name, or prefix/name split at a '/', else a PAX path record (also for any
  // non-ASCII name, as Go does: the ustar fields are only portable for ASCII).
  let nameField = name;
  let prefixField: Uint8Array | undefined;
  if (!isAscii(name) || name.length > L_NAME) {
    const split = isAscii(name) ? splitUstarName(name) : undefined;
    if (split) [prefixField, nameField] = split;
    else {
      textRecord('path', name);
      nameField = asciiFallback(name, L_NAME);
    }
  }
  let linkField = linkname;
  if (!isAscii(linkname) || linkname.length > L_LINKNAME) {
    textRecord('linkpath', linkname);
    linkField = asciiFallback(linkname, L_LINKNAME);
  }

  // Numbers beyond their octal field go to PAX; the field then holds 0 (Go's last resort).
  if (size > octalMax(L_SIZE)) records.push(formatPaxRecord('size', ASCII_NUMERIC(size)));
  if (uid > octalMax(L_UID)) records.push(formatPaxRecord('uid', ASCII_NUMERIC(uid)));
  if (gid > octalMax(L_GID)) records.push(formatPaxRecord('gid', ASCII_NUMERIC(gid)));
  let unameField: Uint8Array = uname;
  if (!isAscii(uname) || uname.length > L_UNAME) {
    textRecord('uname', uname);
    unameField = asciiFallback(uname, L_UNAME);
  }
  let gnameField: Uint8Array = gname;
  if (!isAscii(gname) || gname.length > L_GNAME) {
    textRecord('gname', gname);
    gnameField = asciiFallback(gname, L_GNAME);
  }
  const exact = exactPaxTime(e.pax?.get('mtime'), mtime);
  const seconds = exact?.seconds ?? Math.floor(mtime);
  const secondsFit = seconds >= 0 && seconds <= octalMax(L_MTIME);
  if (exact ? !secondsFit || exact.text.includes('.') : !(Number.isInteger(mtime) && secondsFit)) {
    records.push(formatPaxRecord('mtime', utf8.encode(exact?.text ?? formatPaxTime(mtime))));
  }
  const mtimeField = secondsFit ? seconds : 0;

  if (e.pax) {
    for (const [k, v] of e.pax) {
      if (isDerivedPaxKey(k) || v.length === 0) continue;
      checkPaxKey(k, entryName);
      records.push(formatPaxRecord(k, v));
    }
  }
  if (e.xattrs) {
    for (const k of [...e.xattrs.keys()].sort()) {
      checkPaxKey(k, entryName);
      records.push(formatPaxRecord(`SCHILY.xattr.${k}`, e.xattrs.get(k)!));
    }
  }
  // POSIX: hdrcharset=BINARY says path/linkpath/uname/gname values are not UTF-8.
  if (binary) records.unshift(formatPaxRecord('hdrcharset', utf8.encode('BINARY')));

  let paxBytes = 0;
  for (const r of records) paxBytes += r.length;
  const paxBlocks = records.length ? BLOCK + Math.ceil(paxBytes / BLOCK) * BLOCK : 0;
  const out = new Uint8Array(paxBlocks + BLOCK);
  if (records.length) {
    writeUstar(out, 0, {
      name: paxHeaderName(name), mode: 0o644, uid: 0, gid: 0, size: paxBytes, mtime: mtimeField,
      typeflag: TF_PAX, linkname: new Uint8Array(0), uname: new Uint8Array(0), gname: new Uint8Array(0), devmajor: 0, devminor: 0,
    });
    let at = BLOCK;
    for (const r of records) {
      out.set(r, at);
      at += r.length;
    }
  }
  writeUstar(out, paxBlocks, {
    name: nameField, prefix: prefixField, mode,
    uid: uid > octalMax(L_UID) ? 0 : uid, gid: gid > octalMax(L_GID) ? 0 : gid,
    size: size > octalMax(L_SIZE) ? 0 : size, mtime: mtimeField, typeflag,
    linkname: linkField, uname: unameField, gname: gnameField, devmajor, devminor,
  });
  return { bytes: out, size };
}

function checkPaxKey(k: string, entry: string): void {
  if (k.length === 0 || k.includes('=') || k.includes('\0')) fail(`${JSON.stringify(k)} cannot be a PAX keyword or xattr name ('=' and NUL are not allowed)`, entry);
}

/** Go's choice for the 'x' header's own name: PaxHeaders.0/<base name>, ASCII, cut to 100 bytes. */
function paxHeaderName(name: Uint8Array): Uint8Array {
  let end = name.length;
  while (end > 0 && name[end - 1] === 0x2f) end--;
  let start = end;
  while (start > 0 && name[start - 1] !== 0x2f) start--;
  const base = asciiFallback(name.subarray(start, end), L_NAME);
  const out = new Uint8Array(Math.min(L_NAME, 13 + base.length));
  out.set(utf8.encode('PaxHeaders.0/'), 0);
  out.set(base.subarray(0, out.length - 13), 13);
  return out;
}

interface UstarFields {
  name: Uint8Array;
  prefix?: Uint8Array;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  typeflag: number;
  linkname: Uint8Array;
  uname: Uint8Array;
  gname: Uint8Array;
  devmajor: number;
  devminor: number;
}

function writeUstar(out: Uint8Array, at: number, f: UstarFields): void {
  writeBytes(out, at + F_NAME, L_NAME, f.name);
  writeOctal(out, at + F_MODE, L_MODE, f.mode);
  writeOctal(out, at + F_UID, L_UID, f.uid);
  writeOctal(out, at + F_GID, L_GID, f.gid);
  writeOctal(out, at + F_SIZE, L_SIZE, f.size);
  writeOctal(out, at + F_MTIME, L_MTIME, f.mtime);
  out[at + F_TYPEFLAG] = f.typeflag;
  writeBytes(out, at + F_LINKNAME, L_LINKNAME, f.linkname);
  out.set(utf8.encode('ustar\u000000'), at + F_MAGIC);
  writeBytes(out, at + F_UNAME, L_UNAME, f.uname);
  writeBytes(out, at + F_GNAME, L_GNAME, f.gname);
  // Device numbers have no PAX keyword; GNU base-256 is what GNU tar, Go and Python all read.
  if (f.devmajor <= octalMax(L_DEVMAJOR)) writeOctal(out, at + F_DEVMAJOR, L_DEVMAJOR, f.devmajor);
  else writeBase256(out, at + F_DEVMAJOR, L_DEVMAJOR, f.devmajor);
  if (f.devminor <= octalMax(L_DEVMINOR)) writeOctal(out, at + F_DEVMINOR, L_DEVMINOR, f.devminor);
  else writeBase256(out, at + F_DEVMINOR, L_DEVMINOR, f.devminor);
  if (f.prefix) writeBytes(out, at + F_PREFIX, L_PREFIX, f.prefix);
  // POSIX: the checksum is computed with the checksum field as eight spaces, then stored as
  // six octal digits, NUL, space (the historic layout GNU tar and Go write).
  for (let i = 0; i < 8; i++) out[at + F_CHKSUM + i] = 0x20;
  let sum = 0;
  for (let i = at; i < at + BLOCK; i++) sum += out[i];
  writeOctal(out, at + F_CHKSUM, 7, sum);
}
