/**
 * PAX extended header records (POSIX.1-2017 pax, "pax Extended Header"): `"%d %s=%s\n"`, the
 * length counting the whole record including its own digits. Keys are UTF-8 text; values are kept
 * as raw bytes, because `path` and friends may hold any bytes (`hdrcharset=BINARY`).
 */
import { decodeUtf8Lossy } from './header-fields.ts';

/** Why a PAX block was rejected, or undefined if it parsed. */
export type PaxParseProblem = string | undefined;

/**
 * Parses every record of `data` into `into`, in order (a later record replaces an earlier one).
 * An empty value is stored as an empty array: POSIX says it deletes the keyword, which the caller
 * applies when it merges global and local records. Values are views into `data`.
 */
export function parsePaxRecords(data: Uint8Array, into: Map<string, Uint8Array>): PaxParseProblem {
  let pos = 0;
  const n = data.length;
  while (pos < n) {
    // Some writers NUL-pad the block; Python stops at the first non-record, GNU tar too.
    if (data[pos] === 0) {
      for (let i = pos; i < n; i++) if (data[i] !== 0) return `junk after the records at byte ${pos}`;
      return undefined;
    }
    let len = 0;
    let i = pos;
    while (i < n && data[i] >= 0x30 && data[i] <= 0x39 && i - pos < 16) len = len * 10 + (data[i++] - 0x30);
    if (i === pos || i >= n || data[i] !== 0x20) return `bad record length at byte ${pos}`;
    const end = pos + len;
    if (len <= i - pos + 1 || end > n) return `record at byte ${pos} claims ${len} bytes, ${n - pos} are left`;
    if (data[end - 1] !== 0x0a) return `record at byte ${pos} does not end with a newline`;
    const keyStart = i + 1;
    let eq = keyStart;
    while (eq < end - 1 && data[eq] !== 0x3d) eq++;
    if (eq >= end - 1 || eq === keyStart) return `record at byte ${pos} has no "key="`;
    into.set(decodeUtf8Lossy(data.subarray(keyStart, eq)), data.subarray(eq + 1, end - 1));
    pos = end;
  }
  return undefined;
}

/** The records in effect for one member: globals overlaid with its own, empty values deleting. */
export function mergePax(global: Map<string, Uint8Array>, local: Map<string, Uint8Array> | undefined): Map<string, Uint8Array> {
  const out = new Map(global);
  if (local) {
    for (const [k, v] of local) {
      if (v.length === 0) out.delete(k);
      else out.set(k, v);
    }
  }
  return out;
}

/** ASCII text of a value (numbers, keywords). */
export function paxAscii(v: Uint8Array): string {
  let s = '';
  for (let i = 0; i < v.length; i++) s += String.fromCharCode(v[i]);
  return s;
}

/**
 * A decimal integer value (`size`, `uid`, `gid`, `GNU.sparse.*`). NaN if malformed, ±Infinity
 * beyond 2^53 - 1. `signed` allows a leading '-'.
 */
export function paxInteger(v: Uint8Array, signed: boolean): number {
  let i = 0;
  let neg = false;
  if (signed && v[0] === 0x2d) { neg = true; i = 1; }
  if (i >= v.length) return NaN;
  let x = 0;
  for (; i < v.length; i++) {
    const d = v[i] - 0x30;
    if (d < 0 || d > 9) return NaN;
    x = x * 10 + d;
  }
  if (x > Number.MAX_SAFE_INTEGER) return neg ? -Infinity : Infinity;
  return neg ? -x : x;
}

/**
 * A PAX time (`mtime`): decimal seconds with an optional fraction, possibly negative
 * (POSIX: "at least one digit before the radix point"). Sub-microsecond digits are rounded
 * to the nearest double, the same value Python's `float()` gives.
 */
export function paxTime(v: Uint8Array): number {
  let i = v[0] === 0x2d ? 1 : 0;
  const digitsStart = i;
  while (i < v.length && v[i] >= 0x30 && v[i] <= 0x39) i++;
  if (i === digitsStart) return NaN;
  if (i < v.length) {
    if (v[i] !== 0x2e) return NaN;
    for (i++; i < v.length; i++) if (v[i] < 0x30 || v[i] > 0x39) return NaN;
  }
  const x = Number(paxAscii(v));
  return Math.abs(x) > Number.MAX_SAFE_INTEGER ? x * Infinity : x;
}

const B64 = new Int8Array(256).fill(-1);
for (let i = 0; i < 64; i++) B64['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'.charCodeAt(i)] = i;

/**
 * Base64 as libarchive writes `LIBARCHIVE.xattr.*` values: standard alphabet, padding optional
 * (libarchive's pax writer omits it). Undefined if malformed.
 */
export function decodeBase64(v: Uint8Array): Uint8Array | undefined {
  let n = v.length;
  while (n > 0 && v[n - 1] === 0x3d) n--;
  if (n % 4 === 1) return undefined;
  const out = new Uint8Array(Math.floor((n * 3) / 4));
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < n; i++) {
    const d = B64[v[i]];
    if (d < 0) return undefined;
    acc = ((acc << 6) | d) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  return out;
}

/** libarchive %-escapes xattr names in `LIBARCHIVE.xattr.<name>` (archive_write_set_format_pax.c `url_encode`). */
export function percentDecode(s: string): string {
  if (s.indexOf('%') < 0) return s;
  const b = utf8.encode(s);
  const out = new Uint8Array(b.length);
  let o = 0;
  for (let i = 0; i < b.length; i++) {
    const hi = i + 2 < b.length ? hexDigit(b[i + 1]) : -1;
    const lo = hi >= 0 ? hexDigit(b[i + 2]) : -1;
    if (b[i] === 0x25 && lo >= 0) {
      out[o++] = hi * 16 + lo;
      i += 2;
    } else {
      out[o++] = b[i];
    }
  }
  return decodeUtf8Lossy(out.subarray(0, o));
}

function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  return l >= 0x61 && l <= 0x66 ? l - 0x61 + 10 : -1;
}

const utf8 = new TextEncoder();

/**
 * One record, `"%d %s=%s\n"`. The length field counts its own digits, so it is found by
 * growing the guess until it is stable (at most one extra step).
 */
export function formatPaxRecord(key: string, value: Uint8Array): Uint8Array {
  const k = utf8.encode(key);
  const base = 1 + k.length + 1 + value.length + 1; // ' ' key '=' value '\n'
  const digits = String(base).length;
  let len = base + digits;
  if (String(len).length > digits) len = base + String(len).length;
  const head = utf8.encode(`${len} `);
  const out = new Uint8Array(len);
  out.set(head, 0);
  out.set(k, head.length);
  out[head.length + k.length] = 0x3d;
  out.set(value, head.length + k.length + 1);
  out[len - 1] = 0x0a;
  return out;
}
