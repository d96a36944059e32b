import { TAR_HEADER_SIZE } from '../types.ts';

/**
 * The 512-byte tar header that follows each record of a nydus layer (spec §2.4), as Rust's
 * `tar::Header::new_gnu()` + path + type + size + checksum leaves it: mode/uid/gid NUL-filled,
 * size 11 octal digits + NUL, mtime zeros, checksum 7 octal digits + NUL, typeflag '0', GNU magic.
 */
export function nydusRecordHeader(name: string, size: number): Uint8Array {
  const h = new Uint8Array(TAR_HEADER_SIZE);
  const put = (at: number, s: string) => { for (let i = 0; i < s.length; i++) h[at + i] = s.charCodeAt(i); };
  put(0, name);
  put(124, size.toString(8).padStart(11, '0'));
  put(136, '00000000000');
  h[156] = 0x30;
  put(257, 'ustar ');
  put(263, ' ');
  put(148, '        ');
  let sum = 0;
  for (let i = 0; i < TAR_HEADER_SIZE; i++) sum += h[i];
  h.fill(0, 148, 156);
  put(148, sum.toString(8).padStart(7, '0'));
  return h;
}
