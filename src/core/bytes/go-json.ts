/**
 * JSON text exactly as Go's encoding/json writes it (and jsoniter's std-compatible config, which
 * containers/storage uses): for formats whose metadata is hashed, so the same data must give the
 * same bytes as the Go writer (zstd:chunked's manifest and tar-split, spec zstd-chunked.md §3–§4).
 *
 * Go rules reproduced (encoding/json `encodeState.string` with escapeHTML, `encodeByteSlice`):
 * strings are UTF-8 bytes; `"` `\` → `\"` `\\`; \n \r \t as such; other control characters as
 * \u00xx; `<` `>` `&` → \u003c \u003e \u0026; U+2028/U+2029 escaped; every byte that does not
 * start a valid UTF-8 sequence → the escape \ufffd (one per byte); []byte → standard base64 with
 * padding.
 */

const HEX = '0123456789abcdef';
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const utf8 = new TextEncoder();

/** Builds JSON text as bytes in a growing buffer (manifests of 100 000+ entries). */
export class GoJsonBuilder {
  private buf: Uint8Array;
  length = 0;

  constructor(initial = 1 << 16) {
    this.buf = new Uint8Array(initial);
  }

  private room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }

  /** Literal JSON text that is pure ASCII (punctuation, keys, numbers). */
  ascii(s: string): this {
    this.room(s.length);
    for (let i = 0; i < s.length; i++) this.buf[this.length++] = s.charCodeAt(i);
    return this;
  }

  private bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }

  /** A JSON string of a JS string (its UTF-8 form: lone surrogates become U+FFFD first). */
  string(s: string): this {
    return this.stringBytes(utf8.encode(s));
  }

  /** A JSON string of raw bytes, as Go encodes a `string` holding them (invalid UTF-8 → \ufffd). */
  stringBytes(b: Uint8Array): this {
    this.room(2);
    this.buf[this.length++] = 0x22;
    let start = 0;
    let i = 0;
    const n = b.length;
    while (i < n) {
      const c = b[i];
      if (c < 0x80) {
        // Go's htmlSafeSet: printable ASCII except " \ < > &
        if (c >= 0x20 && c !== 0x22 && c !== 0x5c && c !== 0x3c && c !== 0x3e && c !== 0x26) {
          i++;
          continue;
        }
        if (start < i) this.bytes(b.subarray(start, i));
        if (c === 0x5c) this.ascii('\\\\');
        else if (c === 0x22) this.ascii('\\"');
        else if (c === 0x0a) this.ascii('\\n');
        else if (c === 0x0d) this.ascii('\\r');
        else if (c === 0x09) this.ascii('\\t');
        else this.ascii('\\u00' + HEX[c >> 4] + HEX[c & 15]);
        start = ++i;
        continue;
      }
      const size = utf8SequenceLength(b, i);
      if (size === 0) {
        if (start < i) this.bytes(b.subarray(start, i));
        this.ascii('\\ufffd');
        start = ++i;
        continue;
      }
      // U+2028 = e2 80 a8, U+2029 = e2 80 a9: valid JSON, but not valid JavaScript string text.
      if (size === 3 && c === 0xe2 && b[i + 1] === 0x80 && (b[i + 2] === 0xa8 || b[i + 2] === 0xa9)) {
        if (start < i) this.bytes(b.subarray(start, i));
        this.ascii(b[i + 2] === 0xa8 ? '\\u2028' : '\\u2029');
        start = i += 3;
        continue;
      }
      i += size;
    }
    if (start < n) this.bytes(b.subarray(start, n));
    this.room(1);
    this.buf[this.length++] = 0x22;
    return this;
  }

  /** A Go `[]byte` value: a JSON string of its standard base64 (nil slices are the caller's `null`). */
  base64(b: Uint8Array): this {
    return this.ascii('"' + base64Std(b) + '"');
  }

  /** The text so far, as a buffer of its own. */
  result(): Uint8Array {
    return this.buf.slice(0, this.length);
  }

  /** The text so far, then empties the builder (keeps its buffer). */
  take(): Uint8Array {
    const out = this.result();
    this.length = 0;
    return out;
  }
}

/** Standard base64 with padding: Go's `base64.StdEncoding`, and how encoding/json writes a []byte. */
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

/** Go's `utf8.Valid`: every byte belongs to a valid sequence (no surrogates, no overlong forms). */
export function isValidUtf8(b: Uint8Array): boolean {
  for (let i = 0; i < b.length;) {
    if (b[i] < 0x80) {
      i++;
      continue;
    }
    const size = utf8SequenceLength(b, i);
    if (size === 0) return false;
    i += size;
  }
  return true;
}

/** Go's ordering of map keys: by their UTF-8 bytes. */
export function compareUtf8(a: string, b: string): number {
  const x = utf8.encode(a);
  const y = utf8.encode(b);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}

/**
 * Length (2–4) of the valid UTF-8 sequence whose lead byte (≥ 0x80) is at `i`, or 0 where Go's
 * `utf8.DecodeRune` gives (RuneError, 1): bad lead or continuation byte, overlong form,
 * surrogate, beyond U+10FFFF, or cut short by the end.
 */
function utf8SequenceLength(b: Uint8Array, i: number): number {
  const c = b[i];
  const n = b.length;
  const cont = (k: number) => k < n && (b[k] & 0xc0) === 0x80;
  if (c >= 0xc2 && c <= 0xdf) return cont(i + 1) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    if (!cont(i + 1) || !cont(i + 2)) return 0;
    if (c === 0xe0 && b[i + 1] < 0xa0) return 0;
    if (c === 0xed && b[i + 1] > 0x9f) return 0;
    return 3;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    if (!cont(i + 1) || !cont(i + 2) || !cont(i + 3)) return 0;
    if (c === 0xf0 && b[i + 1] < 0x90) return 0;
    if (c === 0xf4 && b[i + 1] > 0x8f) return 0;
    return 4;
  }
  return 0;
}
