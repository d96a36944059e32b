import { LayerlabError, checkAborted, toLayerlabError } from '../errors.ts';
import type { Compression } from '../compress/sniff.ts';
import { localHasher } from '../digest/source-digest.ts';
import type { LayerHasherFactory, OffloadedHasher } from '../digest/digest.ts';
import { TarParser } from '../tar/tar-parser.ts';
import type { TarEntry } from '../tar/tar-types.ts';
import { uncompressed, type LayerBlob } from './layer.ts';
import type { ContentHasher } from '../digest/content-hasher.ts';
import { byteString, escapesRoot, normalizeMemberPath, splitParent } from '../tar/tar-path.ts';

/** Entries of a layer by kind (corpus README `entries`). */
export interface EntryCounts {
  file: number;
  dir: number;
  symlink: number;
  hardlink: number;
  char: number;
  block: number;
  fifo: number;
}

export type NodeKind = 'file' | 'dir' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo';

/** One member of a layer as the merge needs it. Paths are normalised byte strings (./tar-path.ts). */
export interface ScannedEntry {
  key: string;
  kind: NodeKind;
  mode: number;
  uid: number;
  gid: number;
  uname: string;
  gname: string;
  /** Content size (logical size for sparse files); 0 for non-files. */
  size: number;
  mtime: number;
  /** Symlink target verbatim (byte string); hard link target normalised (byte string). */
  link?: string;
  devmajor: number;
  devminor: number;
  hash?: string;
  headerOffset: number;
  dataOffset: number;
  xattrs?: Map<string, Uint8Array>;
  sparse: boolean;
  /** Hard links: the file content the link resolved to when its layer was applied (./merged-tree.ts). */
  linkCopy?: { layer: number; entry: ScannedEntry };
}

/** A whiteout (`.wh.NAME`) or opaque (`.wh..wh..opq`) marker (OCI image-spec layer.md "Whiteouts"). */
export interface Marker {
  /** Whiteout: the path removed. Opaque: the directory whose lower children are hidden. */
  target: string;
  opaque: boolean;
  /** The marker's own path and where it sits, for the layer view. */
  key: string;
  headerOffset: number;
}

export interface LayerScan {
  format: Compression;
  /** sha256 of the stored bytes. */
  digest: string;
  /** sha256 of the decompressed stream, end-of-archive padding included (corpus README `diffID`). */
  diffID: string;
  uncompressedSize: number;
  entries: ScannedEntry[];
  markers: Marker[];
  counts: EntryCounts;
  fileBytes: number;
  sparseEntries: number;
  /** Warnings about single members (paths escaping the root). */
  warnings: LayerlabError[];
  /** Set when the layer could not be read to the end; everything above covers what was read. */
  error?: LayerlabError;
}

export interface ScanOptions {
  signal?: AbortSignal;
  /** Compressed bytes read so far in this layer. */
  onBytes?(done: number): void;
  hasher?: ContentHasher;
  /**
   * Where the stored-digest and diffID hashing runs. Default: here, with the one SHA-256 helper.
   * The worker passes a factory that hashes on the other core (src/worker/hash-offload/), which
   * is what lets a gzip layer be analysed at the speed of the decompressor.
   */
  digestHasher?: LayerHasherFactory;
  /** Sees every tar member first (open-image uses it to learn the top-level names). */
  onMember?(entry: TarEntry): void;
}

const WH_PREFIX = '.wh.';
const WH_OPAQUE = '.wh..wh..opq';

/**
 * Reads one layer front to back exactly once: stored bytes → sha256 (digest) → decompress →
 * sha256 (diffID) → tar parser → entries (and per-file content hashes). Memory is bounded by
 * the chunk size plus the entry list. A failure part way keeps what was read and is returned
 * as `error`, so the image analysis goes on with the other layers.
 */
export async function scanLayer(layer: LayerBlob, o: ScanOptions = {}): Promise<LayerScan> {
  const ctx = { file: layer.path, layer: layer.index, layerDigest: layer.descriptor.digest || undefined };
  const scan = emptyLayerScan('none');
  const counts = scan.counts;
  const makeHasher = o.digestHasher ?? localHasher;
  const storedHash = await makeHasher();
  const diffHash = await makeHasher();
  const hasher = o.hasher;
  let stored = 0;

  const parser = new TarParser({
    entry(e: TarEntry) {
      o.onMember?.(e);
      const key = normalizeMemberPath(byteString(e.nameBytes));
      if (!key) return; // the root directory entry: skipped everywhere
      const [parent, base] = splitParent(key);
      if (base.startsWith(WH_PREFIX)) {
        const opaque = base === WH_OPAQUE;
        const target = opaque ? parent : (parent ? parent + '/' : '') + base.slice(WH_PREFIX.length);
        scan.markers.push({ target, opaque, key, headerOffset: e.headerOffset });
        return;
      }
      const kind = nodeKind(e);
      if (!kind) return; // unknown types are ignored entirely (corpus README, `entries`)
      if (escapesRoot(key)) {
        scan.warnings.push(new LayerlabError('UNSAFE_PATH', `member name ${JSON.stringify(e.name)} climbs out of the root with '..'; kept as a plain name`,
          { ...ctx, entry: e.name, offset: e.headerOffset, offsetSpace: 'uncompressed' }));
      }
      counts[kind]++;
      const sparse = e.type === 'sparse';
      if (sparse) scan.sparseEntries++;
      const size = kind === 'file' ? e.realSize : 0;
      scan.fileBytes += size;
      const se: ScannedEntry = {
        key, kind, mode: e.mode & 0o7777, uid: e.uid, gid: e.gid, uname: e.uname, gname: e.gname, size, mtime: e.mtime,
        devmajor: e.devmajor, devminor: e.devminor, headerOffset: e.headerOffset, dataOffset: e.dataOffset, sparse,
      };
      if (kind === 'symlink') se.link = byteString(e.linknameBytes);
      else if (kind === 'hardlink') se.link = normalizeMemberPath(byteString(e.linknameBytes));
      if (e.xattrs.size) se.xattrs = e.xattrs;
      scan.entries.push(se);
      if (kind !== 'file' || !hasher || sparse) return;
      hasher.begin();
      return { data: (c) => hasher.update(c), end: () => { se.hash = hasher.end(); } };
    },
  }, { file: layer.path });

  try {
    if (layer.openError) throw layer.openError;
    const opened = await uncompressed(layer, {
      signal: o.signal,
      onStored: (c, done) => { storedHash.update(c); stored = done; o.onBytes?.(done); },
    });
    scan.format = opened.compression;
    for await (const c of opened.chunks) {
      checkAborted(o.signal, ctx);
      scan.uncompressedSize += c.length;
      parser.push(c);
      // After the parser: nothing keeps decompressed chunks (decoders never reuse them, the
      // content hasher copies), so an offloaded hasher may take this one over.
      diffHash.update(c, scan.format !== 'none');
    }
    parser.finish();
    [scan.digest, scan.diffID] = await Promise.all([storedHash.digest(), diffHash.digest()]);
  } catch (e) {
    const err = toLayerlabError(e, ctx);
    if (err.code === 'ABORTED') throw err;
    scan.error = err;
    // The stored digest does not depend on the content being readable: finishing it tells a
    // blob that was damaged before it was digested (digest ok, content broken) from one damaged
    // since (digest mismatch). Not for I/O failures, where the rest may not be readable either.
    if (!layer.openError && err.code !== 'IO') scan.digest = await finishStoredDigest(layer, storedHash, stored, o.signal);
  }
  return scan;
}

async function finishStoredDigest(layer: LayerBlob, h: OffloadedHasher, from: number, signal?: AbortSignal): Promise<string> {
  try {
    for await (const c of layer.source.stream({ start: from, signal })) h.update(c);
    return await h.digest();
  } catch (e) {
    if (toLayerlabError(e).code === 'ABORTED') throw e;
    return '';
  }
}

/** A scan with nothing in it yet: what each way of listing a layer (tar, TOC, bootstrap) fills. */
export function emptyLayerScan(format: Compression): LayerScan {
  const counts: EntryCounts = { file: 0, dir: 0, symlink: 0, hardlink: 0, char: 0, block: 0, fifo: 0 };
  return { format, digest: '', diffID: '', uncompressedSize: 0, entries: [], markers: [], counts, fileBytes: 0, sparseEntries: 0, warnings: [] };
}

function nodeKind(e: TarEntry): NodeKind | undefined {
  switch (e.type) {
    case 'file': case 'sparse': return 'file';
    case 'dir': case 'symlink': case 'hardlink': case 'char': case 'block': case 'fifo': return e.type;
    default: return undefined;
  }
}
