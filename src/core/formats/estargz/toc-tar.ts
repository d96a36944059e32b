import { encodeEntryHeader } from '../../tar/tar-header-encoder.ts';
import { TOC_TAR_NAME } from './types.ts';

/** Zero bytes after `n` bytes of tar entry data, up to the next 512-byte block. */
export const pad512 = (n: number) => (512 - (n % 512)) % 512;

/** The gzip TOC member's tar (spec §2 step 9): USTAR header, JSON, padding, end-of-archive. */
export function tocTarBytes(json: Uint8Array): Uint8Array {
  const { bytes: header } = encodeEntryHeader({ name: TOC_TAR_NAME, type: 'file', size: json.length, mode: 0, uid: 0, gid: 0, mtime: 0 });
  const out = new Uint8Array(header.length + json.length + pad512(json.length) + 1024);
  out.set(header, 0);
  out.set(json, header.length);
  return out;
}
