/**
 * Decoding single header fields, straight from the bytes: no strings are made for numbers.
 */

/**
 * A numeric header field: octal text (POSIX ustar) or GNU base-256 (first byte 0x80 for positive,
 * 0xff for negative two's complement; GNU tar manual "Extensions to Archive Format", Go's
 * `parseNumeric`). Returns NaN for a field that is neither, and ±Infinity for a value beyond
 * 2^53 - 1, which a JS number cannot hold exactly; callers turn both into errors.
 */
export function parseNumericField(buf: Uint8Array, at: number, len: number): number {
  const first = buf[at];
  if (first & 0x80) return parseBase256(buf, at, len);
  return parseOctalField(buf, at, len);
}

/**
 * Octal as GNU tar's `from_header` reads it: one leading NUL (left by old tars whose previous
 * field overflowed) and leading spaces are skipped; digits end at the field end, a NUL or a space.
 * An empty or blank field is 0, as in Go and Python.
 */
function parseOctalField(buf: Uint8Array, at: number, len: number): number {
  const end = at + len;
  let i = at;
  if (buf[i] === 0) i++;
  while (i < end && buf[i] === 0x20) i++;
  let v = 0;
  let digits = 0;
  for (; i < end; i++) {
    const d = buf[i] - 0x30;
    if (d < 0 || d > 7) break;
    v = v * 8 + d;
    digits++;
  }
  if (i < end && buf[i] !== 0 && buf[i] !== 0x20) return NaN;
  if (digits === 0) {
    // Nothing but spaces and NULs is "no value"; anything else was garbage.
    for (let j = at; j < end; j++) if (buf[j] !== 0 && buf[j] !== 0x20) return NaN;
    return 0;
  }
  return v > Number.MAX_SAFE_INTEGER ? Infinity : v;
}

function parseBase256(buf: Uint8Array, at: number, len: number): number {
  const negative = (buf[at] & 0x40) !== 0;
  // Two's complement: for a negative value, the inverted bytes are the magnitude minus one.
  const inv = negative ? 0xff : 0;
  let v = (buf[at] ^ inv) & 0x7f;
  for (let i = at + 1, end = at + len; i < end; i++) {
    v = v * 256 + (buf[i] ^ inv);
    if (v > Number.MAX_SAFE_INTEGER) return negative ? -Infinity : Infinity;
  }
  return negative ? -v - 1 : v;
}

/** Bytes of a NUL-terminated (or full-length) string field, copied out of `buf`. */
export function cString(buf: Uint8Array, at: number, len: number): Uint8Array {
  let end = at;
  const lim = at + len;
  while (end < lim && buf[end] !== 0) end++;
  return buf.slice(at, end);
}

const utf8Lossy = new TextDecoder('utf-8', { fatal: false });

/**
 * Bytes → text for display and for the `name` fields: invalid UTF-8 becomes U+FFFD (the raw
 * bytes stay in `nameBytes`). ASCII, by far the common case in images, skips the decoder.
 */
export function decodeUtf8Lossy(bytes: Uint8Array): string {
  const n = bytes.length;
  if (n > 256) return utf8Lossy.decode(bytes);
  let s = '';
  for (let i = 0; i < n; i++) {
    const b = bytes[i];
    if (b > 0x7f) return utf8Lossy.decode(bytes);
    s += String.fromCharCode(b);
  }
  return s;
}

/** True if the block is all zeros (the end-of-archive marker, POSIX: two such blocks). */
export function isZeroBlock(buf: Uint8Array, at: number, len: number): boolean {
  for (let i = at, end = at + len; i < end; i++) if (buf[i] !== 0) return false;
  return true;
}

/** Compares `buf[at..]` with ASCII `text` byte by byte. */
export function bytesEqualAscii(buf: Uint8Array, at: number, text: string): boolean {
  for (let i = 0; i < text.length; i++) if (buf[at + i] !== text.charCodeAt(i)) return false;
  return true;
}
