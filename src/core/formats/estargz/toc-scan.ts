import { LayerlabError, checkAborted, toLayerlabError } from '../../errors.ts';
import type { ByteSource } from '../../bytes/byte-source.ts';
import type { ContentHasher } from '../../digest/content-hasher.ts';
import type { LayerHasherFactory } from '../../digest/digest.ts';
import { sourceDigest } from '../../digest/source-digest.ts';
import { readFooter } from './footer.ts';
import { EstargzReader, cleanTocName, openEstargz } from './reader.ts';
import { readToc } from './toc.ts';
import { TOC_DIGEST_ANNOTATION, UNCOMPRESSED_SIZE_ANNOTATION, type TocEntry } from './types.ts';
import type { LayerBlob } from '../../layer/layer.ts';
import { emptyLayerScan, type LayerScan, type NodeKind, type ScannedEntry } from '../../layer/layer-scan.ts';
import { byteString, escapesRoot, normalizeMemberPath, splitParent } from '../../tar/tar-path.ts';

export interface TocScanOptions {
  signal?: AbortSignal;
  /** Only `sha256` has a value the TOC can give (its `digest` of each file); other kinds get that too. */
  hasher?: ContentHasher;
  /** Check the stored digest by reading the blob as it is (no decompression). Default true. */
  digests?: boolean;
  digestHasher?: LayerHasherFactory;
  onBytes?(done: number): void;
}

const KIND: Record<string, NodeKind | undefined> = { reg: 'file', dir: 'dir', symlink: 'symlink', hardlink: 'hardlink', char: 'char', block: 'block', fifo: 'fifo' };
const utf8 = new TextEncoder();

/**
 * A layer's entries from its eStargz TOC instead of its tar (../shared/spec/estargz.md §4): the
 * footer and the TOC member are all that is read, so an image's tree shows without inflating a
 * byte of file data. undefined when the blob has no eStargz footer.
 *
 * What a TOC cannot give: the diffID (it is a hash of the inflated stream: left empty, and the
 * caller reports it unchecked), the uncompressed size (taken from the
 * `io.containers.estargz.uncompressed-size` annotation when present), the tar entry offsets, and
 * the TOC entry itself (`stargz.index.json` lists everything but itself). File hashes are the
 * TOC's sha256 `digest` of each file, checked when chunks are verified.
 */
export async function scanEstargzToc(layer: LayerBlob, o: TocScanOptions = {}): Promise<LayerScan | undefined> {
  if (layer.openError) return undefined;
  const src = layer.source;
  const footer = await readFooter(src, o.signal);
  if (!footer) return undefined;
  const ctx = { file: layer.path, layer: layer.index, layerDigest: layer.descriptor.digest || undefined };
  const size = Number(layer.descriptor.annotations?.[UNCOMPRESSED_SIZE_ANNOTATION]);
  const scan = emptyLayerScan('gzip');
  if (Number.isSafeInteger(size)) scan.uncompressedSize = size;
  try {
    const read = await readToc(src, footer, { signal: o.signal, expectedDigest: layer.descriptor.annotations?.[TOC_DIGEST_ANNOTATION] });
    const reader = new EstargzReader(src, footer, read);
    readers.set(src, Promise.resolve(reader));
    for (const e of reader.entries) {
      checkAborted(o.signal, ctx);
      const entry = scannedEntry(e, scan, ctx);
      if (!entry) continue;
      if (entry.kind === 'file' && o.hasher && e.digest?.startsWith('sha256:')) entry.hash = e.digest.slice('sha256:'.length);
      scan.entries.push(entry);
    }
    if (o.digests !== false) scan.digest = await sourceDigest(src, { signal: o.signal, hasher: o.digestHasher, onBytes: o.onBytes });
  } catch (e) {
    const err = toLayerlabError(e, ctx);
    if (err.code === 'ABORTED') throw err;
    scan.error = err;
  }
  return scan;
}

function scannedEntry(e: TocEntry, scan: LayerScan, ctx: { file: string; layer: number }): ScannedEntry | undefined {
  if (e.type === 'chunk') return undefined;
  const key = normalizeMemberPath(byteString(utf8.encode(e.name)));
  if (!key) return undefined;
  const [parent, base] = splitParent(key);
  if (base.startsWith('.wh.')) {
    const opaque = base === '.wh..wh..opq';
    scan.markers.push({ target: opaque ? parent : (parent ? parent + '/' : '') + base.slice(4), opaque, key, headerOffset: e.offset ?? 0 });
    return undefined;
  }
  const kind = KIND[e.type];
  if (!kind) return undefined;
  if (escapesRoot(key)) {
    scan.warnings.push(new LayerlabError('UNSAFE_PATH', `TOC entry ${JSON.stringify(e.name)} climbs out of the root with '..'; kept as a plain name`, { ...ctx, entry: e.name }));
  }
  scan.counts[kind]++;
  const size = kind === 'file' ? e.size ?? 0 : 0;
  scan.fileBytes += size;
  const mtime = e.modtime ? Date.parse(e.modtime) / 1000 : 0;
  const se: ScannedEntry = {
    key, kind, mode: (e.mode ?? 0) & 0o7777, uid: e.uid ?? 0, gid: e.gid ?? 0, uname: e.userName ?? '', gname: e.groupName ?? '', size,
    mtime: Number.isFinite(mtime) ? mtime : 0, devmajor: e.devMajor ?? 0, devminor: e.devMinor ?? 0,
    // Compressed offset of the file's first member: what the layer view can point at.
    headerOffset: e.offset ?? 0, dataOffset: 0, sparse: false,
  };
  if (kind === 'symlink') se.link = byteString(utf8.encode(e.linkName ?? ''));
  else if (kind === 'hardlink') se.link = normalizeMemberPath(byteString(utf8.encode(e.linkName ?? '')));
  if (e.xattrs && Object.keys(e.xattrs).length) {
    se.xattrs = new Map(Object.entries(e.xattrs).map(([k, v]) => [k, Uint8Array.from(atob(v), (c) => c.charCodeAt(0))]));
  }
  return se;
}

/** One reader per eStargz blob, so the TOC is fetched once for a tree and all its file reads. */
const readers = new WeakMap<ByteSource, Promise<EstargzReader | undefined>>();

/**
 * Reads a file (or a range of it) from an eStargz layer by fetching only its chunks (spec §9).
 * undefined when the blob is not eStargz (then the caller inflates the tar instead).
 */
export async function readEstargzFile(layer: LayerBlob, path: string, o: { offset: number; length: number; signal?: AbortSignal }): Promise<Uint8Array | undefined> {
  let r = readers.get(layer.source);
  if (!r) {
    r = (async () => {
      if (!(await readFooter(layer.source, o.signal))) return undefined;
      return openEstargz(layer.source, { tocDigest: layer.descriptor.annotations?.[TOC_DIGEST_ANNOTATION], signal: o.signal });
    })();
    r.catch(() => readers.delete(layer.source));
    readers.set(layer.source, r);
  }
  const reader = await r;
  if (!reader || !reader.lookup(cleanTocName(path))) return undefined;
  return reader.readFile(path, { offset: o.offset, length: o.length, signal: o.signal });
}
