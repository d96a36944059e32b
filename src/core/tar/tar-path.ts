/**
 * Tar member names as the analysis compares them: raw bytes (corpus README: "Names are compared
 * as raw bytes"), held as a *byte string* — one UTF-16 unit per byte, 0–255 — so that Map keys,
 * equality and sort order are exactly those of the bytes, and non-UTF-8 names survive.
 */

import { byteStringBytes } from '../bytes/byte-string.ts';

export { byteString, byteStringBytes } from '../bytes/byte-string.ts';

/**
 * Normalises a member name (corpus README, "Paths"): split on '/', drop empty and '.'
 * components, keep '..' as a name. '' means the root directory.
 */
export function normalizeMemberPath(name: string): string {
  if (name.indexOf('/') < 0 && name !== '.') return name;
  let out = '';
  for (const c of name.split('/')) {
    if (c === '' || c === '.') continue;
    out = out ? out + '/' + c : c;
  }
  return out;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Byte string → text for people. Invalid UTF-8 bytes are shown as \xHH (the corpus TSV escape). */
export function displayPath(key: string): { text: string; valid: boolean } {
  if (!/[\x80-\xff]/.test(key)) return { text: key, valid: true };
  try {
    return { text: utf8.decode(byteStringBytes(key)), valid: true };
  } catch {
    let t = '';
    for (let i = 0; i < key.length; i++) {
      const c = key.charCodeAt(i);
      t += c < 0x80 ? key[i] : '\\x' + c.toString(16).padStart(2, '0');
    }
    return { text: t, valid: false };
  }
}

/** Splits 'a/b/c' into its parent 'a/b' and base 'c' ('' parent for top level). */
export function splitParent(key: string): [string, string] {
  const i = key.lastIndexOf('/');
  return i < 0 ? ['', key] : [key.slice(0, i), key.slice(i + 1)];
}

/** Components that escape the root ('..'): worth a warning, kept as names by the contract. */
export function escapesRoot(key: string): boolean {
  return key === '..' || key.startsWith('../') || key.includes('/../') || key.endsWith('/..');
}
