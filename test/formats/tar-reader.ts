/**
 * A small tar reader for the format suite's entry-list comparisons: ustar, GNU 'L'/'K' long
 * names, PAX 'x'/'g' records, base-256 numbers. Deliberately independent of src/core/tar (as
 * test/helpers/tar-builder.ts is), so that a round trip is not judged by the parser the engine
 * used to make it. Names and link targets are *byte strings* (one char per byte, latin1), so
 * names that are not UTF-8 compare exactly.
 */
import { createHash } from 'node:crypto';

export interface ReadEntry {
  /** Normalised: no leading './' or '/', no trailing '/'; '' is the root directory. */
  name: string;
  typeflag: string;
  mode: number;
  uid: number;
  gid: number;
  uname: string;
  gname: string;
  size: number;
  /** As stored: the PAX record text when there is one (it may have a fraction), else the octal field in decimal. */
  mtime: string;
  /** Symlink target verbatim; hard-link target normalised like `name`. */
  linkname: string;
  devmajor: number;
  devminor: number;
  /** SCHILY.xattr.* records, values as byte strings. */
  xattrs: Record<string, string>;
  /** Other PAX records of the member (comment, atime, …), values as byte strings. */
  pax: Record<string, string>;
  /** sha256 hex of the data (regular files; '' for the rest). */
  sha256: string;
  data: Uint8Array;
}

export const latin1 = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
export const latin1Bytes = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));
export const sha256hex = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

export function normalizeName(n: string): string {
  return n.split('/').filter((c) => c !== '' && c !== '.').join('/');
}

function cstr(b: Uint8Array): Uint8Array {
  const z = b.indexOf(0);
  return z < 0 ? b : b.subarray(0, z);
}

function num(b: Uint8Array): number {
  if (b[0] & 0x80) {
    // GNU base-256 (positive values only: what the suite's cases use)
    let v = BigInt(b[0] & 0x3f);
    for (let i = 1; i < b.length; i++) v = (v << 8n) | BigInt(b[i]);
    return Number(v);
  }
  const t = latin1(cstr(b)).trim();
  return t ? parseInt(t, 8) : 0;
}

function paxRecords(data: Uint8Array): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  let p = 0;
  while (p < data.length) {
    const sp = data.indexOf(0x20, p);
    if (sp < 0) throw new Error(`bad PAX record at ${p}`);
    const len = parseInt(latin1(data.subarray(p, sp)), 10);
    const rec = data.subarray(sp + 1, p + len - 1); // without the trailing '\n'
    const eq = rec.indexOf(0x3d);
    out.set(latin1(rec.subarray(0, eq)), rec.subarray(eq + 1));
    p += len;
  }
  return out;
}

/** Every member of a tar, in stored order. Stops at the first zero block (or at the end of the bytes). */
export function readTar(tar: Uint8Array): ReadEntry[] {
  const out: ReadEntry[] = [];
  let global = new Map<string, Uint8Array>();
  let local = new Map<string, Uint8Array>();
  let longName: Uint8Array | undefined;
  let longLink: Uint8Array | undefined;
  for (let o = 0; o + 512 <= tar.length;) {
    const h = tar.subarray(o, o + 512);
    if (h.every((x) => x === 0)) break;
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i];
    if (sum !== num(h.subarray(148, 156))) throw new Error(`bad header checksum at ${o}`);
    const typeflag = String.fromCharCode(h[156] || 0x30);
    const pax = new Map([...global, ...local]);
    const meta = 'xgLK'.includes(typeflag);
    // A PAX size record overrides the field (and says how much data follows) for the member it describes.
    const paxSize = meta ? undefined : pax.get('size');
    const size = paxSize ? Number(latin1(paxSize)) : num(h.subarray(124, 136));
    const data = tar.subarray(o + 512, o + 512 + size);
    o += 512 + Math.ceil(size / 512) * 512;
    if (typeflag === 'x') { local = paxRecords(data); continue; }
    if (typeflag === 'g') { global = new Map([...global, ...paxRecords(data)]); continue; }
    if (typeflag === 'L') { longName = cstr(data); continue; }
    if (typeflag === 'K') { longLink = cstr(data); continue; }
    const ustar = latin1(h.subarray(257, 263)) === 'ustar\0';
    const prefix = ustar ? cstr(h.subarray(345, 500)) : new Uint8Array(0);
    let name = latin1(longName ?? cstr(h.subarray(0, 100)));
    if (!longName && prefix.length) name = `${latin1(prefix)}/${name}`;
    let linkname = latin1(longLink ?? cstr(h.subarray(157, 257)));
    const e: ReadEntry = {
      name, typeflag, mode: num(h.subarray(100, 108)), uid: num(h.subarray(108, 116)), gid: num(h.subarray(116, 124)),
      uname: latin1(cstr(h.subarray(265, 297))), gname: latin1(cstr(h.subarray(297, 329))), size,
      mtime: String(num(h.subarray(136, 148))), linkname, devmajor: num(h.subarray(329, 337)), devminor: num(h.subarray(337, 345)),
      xattrs: {}, pax: {}, sha256: '', data,
    };
    for (const [k, v] of pax) {
      const s = latin1(v);
      if (k === 'path') name = s;
      else if (k === 'linkpath') linkname = s;
      else if (k === 'uid') e.uid = Number(s);
      else if (k === 'gid') e.gid = Number(s);
      else if (k === 'uname') e.uname = s;
      else if (k === 'gname') e.gname = s;
      else if (k === 'size') continue; // taken above
      else if (k === 'mtime') e.mtime = s;
      else if (k.startsWith('SCHILY.xattr.')) e.xattrs[k.slice('SCHILY.xattr.'.length)] = s;
      else e.pax[k] = s;
    }
    e.name = normalizeName(name);
    e.linkname = typeflag === '1' ? normalizeName(linkname) : linkname;
    if (typeflag === '0' || typeflag === '\0' || typeflag === '7') e.sha256 = sha256hex(data);
    out.push(e);
    local = new Map();
    longName = longLink = undefined;
  }
  return out;
}
