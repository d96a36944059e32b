/**
 * Byte strings: raw bytes held as a string of one UTF-16 unit per byte (0–255), so that Map keys,
 * equality and sort order are exactly those of the bytes and names that are not UTF-8 survive
 * (the analysis keys tar paths this way; Nydus keeps raw dirent names and symlink targets so).
 */

/** Raw bytes → byte string. */
export function byteString(bytes: Uint8Array): string {
  let ascii = true;
  for (let i = 0; i < bytes.length; i++) if (bytes[i] > 0x7f) { ascii = false; break; }
  if (ascii && bytes.length < 4096) return String.fromCharCode.apply(null, bytes as unknown as number[]);
  let s = '';
  for (let i = 0; i < bytes.length; i += 4096) s += String.fromCharCode.apply(null, bytes.subarray(i, i + 4096) as unknown as number[]);
  return s;
}

/** Byte string → raw bytes. */
export function byteStringBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

