/**
 * The TOC JSON exactly as Go writes it: `json.MarshalIndent(toc, "", "\t")` over the library's
 * `JTOC` / `TOCEntry` structs (spec §4.2, §4.4). Byte-identical output matters because the TOC
 * digest is the sha256 of these bytes: the same TOC must give the same digest as the reference.
 *
 * Go rules reproduced: keys in struct order, every field but `name`/`type` omitted when zero,
 * tab indentation with `"key": value`, no trailing newline; strings escaped with HTML escaping
 * (`<` `>` `&` → \u003c \u003e \u0026), U+2028/U+2029 escaped, control characters as \u00xx
 * except \n \r \t, every invalid UTF-8 byte → the escape \ufffd; map keys (`xattrs`) sorted by
 * bytes; a nil `entries` slice → `null`.
 */
import type { TocEntry } from './types.ts';

/**
 * One TOC entry as the writer holds it. Strings may be given as raw UTF-8 bytes (`nameBytes`,
 * `linkNameBytes`) so that invalid UTF-8 is escaped per byte, as Go does; otherwise the JS string
 * is used. `xattrs` values are the raw bytes (JSON: standard base64).
 */
export interface TocJsonEntry extends Omit<TocEntry, 'xattrs'> {
  nameBytes?: Uint8Array;
  linkNameBytes?: Uint8Array;
  xattrs?: Map<string, Uint8Array>;
}

const utf8 = new TextEncoder();
const HEX = '0123456789abcdef';

/** Builds the output as bytes in growing buffers (TOCs can hold 100 000+ entries). */
class ByteOut {
  private buf = new Uint8Array(1 << 16);
  length = 0;

  private room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }

  ascii(s: string): void {
    this.room(s.length);
    for (let i = 0; i < s.length; i++) this.buf[this.length++] = s.charCodeAt(i);
  }

  byte(b: number): void {
    this.room(1);
    this.buf[this.length++] = b;
  }

  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }

  result(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

/** Go `encodeState.string(s, escapeHTML=true)` over UTF-8 bytes. */
function goString(out: ByteOut, b: Uint8Array): void {
  out.byte(0x22);
  let start = 0;
  let i = 0;
  const n = b.length;
  while (i < n) {
    const c = b[i];
    if (c < 0x80) {
      // htmlSafeSet: printable ASCII except " \ < > &
      if (c >= 0x20 && c !== 0x22 && c !== 0x5c && c !== 0x3c && c !== 0x3e && c !== 0x26) {
        i++;
        continue;
      }
      if (start < i) out.bytes(b.subarray(start, i));
      switch (c) {
        case 0x5c: out.ascii('\\\\'); break;
        case 0x22: out.ascii('\\"'); break;
        case 0x0a: out.ascii('\\n'); break;
        case 0x0d: out.ascii('\\r'); break;
        case 0x09: out.ascii('\\t'); break;
        default: out.ascii('\\u00' + HEX[c >> 4] + HEX[c & 15]);
      }
      i++;
      start = i;
      continue;
    }
    const size = utf8RuneLength(b, i);
    if (size === 0) {
      if (start < i) out.bytes(b.subarray(start, i));
      out.ascii('\\ufffd');
      i++;
      start = i;
      continue;
    }
    // U+2028 = e2 80 a8, U+2029 = e2 80 a9
    if (size === 3 && c === 0xe2 && b[i + 1] === 0x80 && (b[i + 2] === 0xa8 || b[i + 2] === 0xa9)) {
      if (start < i) out.bytes(b.subarray(start, i));
      out.ascii(b[i + 2] === 0xa8 ? '\\u2028' : '\\u2029');
      i += 3;
      start = i;
      continue;
    }
    i += size;
  }
  if (start < n) out.bytes(b.subarray(start, n));
  out.byte(0x22);
}

/**
 * Length of the valid UTF-8 sequence at `i` (2–4), or 0 where Go's `utf8.DecodeRune` returns
 * (RuneError, 1): bad lead byte, bad continuation, overlong form, surrogate, or beyond U+10FFFF.
 */
function utf8RuneLength(b: Uint8Array, i: number): number {
  const c = b[i];
  const n = b.length;
  const cont = (k: number) => k < n && (b[k] & 0xc0) === 0x80;
  if (c >= 0xc2 && c <= 0xdf) return cont(i + 1) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    if (!cont(i + 1) || !cont(i + 2)) return 0;
    const c1 = b[i + 1];
    if (c === 0xe0 && c1 < 0xa0) return 0; // overlong
    if (c === 0xed && c1 > 0x9f) return 0;  // surrogates
    return 3;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    if (!cont(i + 1) || !cont(i + 2) || !cont(i + 3)) return 0;
    const c1 = b[i + 1];
    if (c === 0xf0 && c1 < 0x90) return 0;
    if (c === 0xf4 && c1 > 0x8f) return 0;
    return 4;
  }
  return 0;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Standard base64 with padding: how Go's encoding/json writes a []byte. */
export function base64Std(b: Uint8Array): string {
  let s = '';
  let i = 0;
  for (; i + 2 < b.length; i += 3) {
    const v = (b[i] << 16) | (b[i + 1] << 8) | b[i + 2];
    s += B64[v >> 18] + B64[(v >> 12) & 63] + B64[(v >> 6) & 63] + B64[v & 63];
  }
  if (i + 1 === b.length) {
    const v = b[i] << 16;
    s += B64[v >> 18] + B64[(v >> 12) & 63] + '==';
  } else if (i + 2 === b.length) {
    const v = (b[i] << 16) | (b[i + 1] << 8);
    s += B64[v >> 18] + B64[(v >> 12) & 63] + B64[(v >> 6) & 63] + '=';
  }
  return s;
}

/** Byte-order comparison of two strings' UTF-8 forms (Go sorts map keys as strings = bytes). */
function compareUtf8(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

const IND2 = '\n\t\t';
const IND3 = '\n\t\t\t';
const IND4 = '\n\t\t\t\t';

/** `json.MarshalIndent(JTOC{Version: 1, Entries: entries}, "", "\t")`. */
export function encodeTocJson(entries: readonly TocJsonEntry[] | null): Uint8Array {
  const out = new ByteOut();
  out.ascii('{\n\t"version": 1,\n\t"entries": ');
  if (entries === null) {
    out.ascii('null');
  } else if (entries.length === 0) {
    out.ascii('[]');
  } else {
    out.byte(0x5b);
    entries.forEach((e, i) => {
      if (i > 0) out.byte(0x2c);
      out.ascii(IND2 + '{');
      writeEntry(out, e);
      out.ascii(IND2 + '}');
    });
    out.ascii('\n\t]');
  }
  out.ascii('\n}');
  return out.result();
}

function writeEntry(out: ByteOut, e: TocJsonEntry): void {
  let first = true;
  const key = (k: string) => {
    out.ascii(first ? IND3 : ',' + IND3);
    first = false;
    out.ascii(`"${k}": `);
  };
  const str = (k: string, v: string | undefined, raw?: Uint8Array) => {
    if (raw ? raw.length === 0 : !v) return;
    key(k);
    goString(out, raw ?? utf8.encode(v!));
  };
  const int = (k: string, v: number | undefined) => {
    if (!v) return;
    key(k);
    out.ascii(String(v));
  };
  key('name');
  goString(out, e.nameBytes ?? utf8.encode(e.name));
  key('type');
  goString(out, utf8.encode(e.type));
  int('size', e.size);
  str('modtime', e.modtime);
  str('linkName', e.linkName, e.linkNameBytes);
  int('mode', e.mode);
  int('uid', e.uid);
  int('gid', e.gid);
  str('userName', e.userName);
  str('groupName', e.groupName);
  int('offset', e.offset);
  int('innerOffset', e.innerOffset);
  int('devMajor', e.devMajor);
  int('devMinor', e.devMinor);
  if (e.xattrs && e.xattrs.size > 0) {
    key('xattrs');
    out.byte(0x7b);
    const keys = [...e.xattrs.keys()].map((k) => ({ k, b: utf8.encode(k) })).sort((x, y) => compareUtf8(x.b, y.b));
    keys.forEach(({ k, b }, i) => {
      out.ascii(i === 0 ? IND4 : ',' + IND4);
      goString(out, b);
      out.ascii(': "' + base64Std(e.xattrs!.get(k)!) + '"');
    });
    out.ascii(IND3 + '}');
  }
  str('digest', e.digest);
  int('chunkOffset', e.chunkOffset);
  int('chunkSize', e.chunkSize);
  str('chunkDigest', e.chunkDigest);
}

/**
 * `formatModtime` of the library: "" for the zero time or when the Unix seconds are 0, else
 * UTC RFC 3339 after rounding to the second (halves up). `mtime` is seconds since the epoch.
 */
export function formatModtime(mtime: number): string {
  if (Math.floor(mtime) === 0 || mtime === GO_ZERO_TIME) return '';
  const secs = Math.floor(mtime + 0.5);
  const d = new Date(secs * 1000);
  const y = d.getUTCFullYear();
  if (!Number.isFinite(y) || y < 0 || y > 9999) return '';
  const p2 = (n: number) => String(n).padStart(2, '0');
  return `${String(y).padStart(4, '0')}-${p2(d.getUTCMonth() + 1)}-${p2(d.getUTCDate())}T${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}Z`;
}

/** Go's zero `time.Time` (January 1, year 1, UTC) in Unix seconds. */
const GO_ZERO_TIME = -62135596800;
