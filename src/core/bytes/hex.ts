const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Lower-case hex of bytes (digests, byte strings shown as text). */
export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += HEX[b];
  return s;
}

/**
 * `len` bytes from a hex string (a digest for a binary field): zeros where the string is
 * missing or short, as an empty field is written.
 */
export function fromHex(hex: string | undefined, len: number): Uint8Array {
  const out = new Uint8Array(len);
  if (!hex) return out;
  for (let i = 0; i < len && 2 * i + 1 < hex.length; i++) out[i] = parseInt(hex.substr(2 * i, 2), 16);
  return out;
}

/** An xattr value for display: the text when every byte is printable ASCII, else `0x` + hex. */
export function xattrValueText(v: Uint8Array): string {
  return v.every((b) => b >= 0x20 && b < 0x7f) ? String.fromCharCode(...v) : '0x' + toHex(v);
}
