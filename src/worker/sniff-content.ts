import type { FileChunk } from './protocol.ts';

/** Image formats a browser shows in an <img>, by their first bytes. */
const IMAGE_MAGIC: [string, number[]][] = [
  ['image/png', [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]],
  ['image/jpeg', [0xff, 0xd8, 0xff]],
  ['image/gif', [0x47, 0x49, 0x46, 0x38]],
  ['image/bmp', [0x42, 0x4d]],
  ['image/x-icon', [0x00, 0x00, 0x01, 0x00]],
];

/**
 * What the file viewer should do with these bytes (the start of a file): show text, an image, or
 * a hex dump. Decided from the content, like everything in layerlab; the name only breaks ties
 * for SVG (text that is also an image).
 */
export function sniffContent(bytes: Uint8Array, path: string): Pick<FileChunk, 'kind' | 'mime'> {
  if (bytes.length === 0) return { kind: 'empty' };
  for (const [mime, magic] of IMAGE_MAGIC) {
    if (magic.every((b, i) => bytes[i] === b)) {
      if (mime === 'image/bmp' && bytes.length < 26) continue;
      return { kind: 'image', mime };
    }
  }
  if (ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 4) === 'WEBP') return { kind: 'image', mime: 'image/webp' };
  if (ascii(bytes, 4, 4) === 'ftyp' && /^(avif|avis)$/.test(ascii(bytes, 8, 4))) return { kind: 'image', mime: 'image/avif' };
  if (!looksLikeText(bytes)) return { kind: 'binary' };
  const head = new TextDecoder().decode(bytes.subarray(0, 1024)).trimStart();
  if (/\.svg$/i.test(path) && /^(<\?xml[^>]*>\s*)?(<!--[\s\S]*?-->\s*)*(<!DOCTYPE svg[^>]*>\s*)?<svg[\s>]/i.test(head)) {
    return { kind: 'image', mime: 'image/svg+xml' };
  }
  return { kind: 'text' };
}

/** UTF-8 without NULs in the first 8 KiB (a cut multi-byte sequence at the end is fine). */
function looksLikeText(bytes: Uint8Array): boolean {
  const probe = bytes.subarray(0, 8192);
  if (probe.includes(0)) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(probe, { stream: true });
  } catch {
    return false;
  }
  // Mostly control characters is binary even when it decodes.
  let control = 0;
  for (const b of probe) if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0x0c && b !== 0x1b) control++;
  return control <= probe.length / 20;
}

function ascii(b: Uint8Array, at: number, n: number): string {
  return b.length < at + n ? '' : String.fromCharCode(...b.subarray(at, at + n));
}
