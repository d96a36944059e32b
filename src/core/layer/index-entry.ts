import { LayerlabError, type ErrorContext } from '../errors.ts';
import { decodeBase64 } from '../tar/pax-records.ts';
import { byteString, escapesRoot, normalizeMemberPath, splitParent } from '../tar/tar-path.ts';
import type { LayerScan, NodeKind, ScannedEntry } from './layer-scan.ts';

/**
 * One entry of a format's JSON index (an eStargz TOC, a zstd:chunked manifest), in the terms
 * those indexes share: the tar header's fields, the name and link as JSON text, xattr values in
 * base64, times already in seconds.
 */
export interface IndexEntry {
  /** `reg`, `dir`, `symlink`, `hardlink`, `char`, `block`, `fifo` (others are skipped). */
  type: string;
  name: string;
  linkName?: string;
  mode?: number;
  uid?: number;
  gid?: number;
  uname?: string;
  gname?: string;
  size?: number;
  /** Seconds since the epoch (0: none). */
  mtime: number;
  devMajor?: number;
  devMinor?: number;
  xattrs?: Record<string, string>;
  /** Compressed offset of the entry's data: what the layer view can point at. */
  offset?: number;
}

const KIND: Record<string, NodeKind | undefined> = { reg: 'file', dir: 'dir', symlink: 'symlink', hardlink: 'hardlink', char: 'char', block: 'block', fifo: 'fifo' };
const utf8 = new TextEncoder();

/** The key an index name has in the analysis' trees (tree-node `content.member`): its UTF-8 bytes, normalised. */
export function indexEntryKey(name: string): string {
  return normalizeMemberPath(byteString(utf8.encode(name)));
}

/**
 * Adds an index entry to a scan as the tar scan (./layer-scan.ts) would have added the tar member:
 * whiteouts and opaque markers as markers, counts and file bytes, modes without the type bits,
 * hard-link targets normalised, a warning for names that climb out of the root. Returns the
 * entry (undefined for markers, the root and unknown types); the caller adds it to `scan.entries`
 * after setting what only it knows (the content hash).
 */
export function addIndexEntry(scan: LayerScan, e: IndexEntry, ctx: ErrorContext & { what: string }): ScannedEntry | undefined {
  const key = indexEntryKey(e.name);
  if (!key) return undefined;
  const [parent, base] = splitParent(key);
  if (base.startsWith('.wh.')) {
    const opaque = base === '.wh..wh..opq';
    scan.markers.push({ target: opaque ? parent : (parent ? parent + '/' : '') + base.slice(4), opaque, key, headerOffset: e.offset ?? 0 });
    return undefined;
  }
  const kind = KIND[e.type];
  if (!kind) return undefined;
  const { what, ...where } = ctx;
  if (escapesRoot(key)) {
    scan.warnings.push(new LayerlabError('UNSAFE_PATH', `${what} ${JSON.stringify(e.name)} climbs out of the root with '..'; kept as a plain name`, { ...where, entry: e.name }));
  }
  scan.counts[kind]++;
  const size = kind === 'file' ? e.size ?? 0 : 0;
  scan.fileBytes += size;
  const se: ScannedEntry = {
    key, kind, mode: (e.mode ?? 0) & 0o7777, uid: e.uid ?? 0, gid: e.gid ?? 0, uname: e.uname ?? '', gname: e.gname ?? '', size,
    mtime: Number.isFinite(e.mtime) ? e.mtime : 0, devmajor: e.devMajor ?? 0, devminor: e.devMinor ?? 0,
    headerOffset: e.offset ?? 0, dataOffset: 0, sparse: false,
  };
  if (kind === 'symlink') se.link = byteString(utf8.encode(e.linkName ?? ''));
  else if (kind === 'hardlink') se.link = normalizeMemberPath(byteString(utf8.encode(e.linkName ?? '')));
  if (e.xattrs && Object.keys(e.xattrs).length) {
    se.xattrs = new Map(Object.entries(e.xattrs).map(([k, v]) => [k, decodeBase64(utf8.encode(v)) ?? new Uint8Array(0)]));
  }
  return se;
}
