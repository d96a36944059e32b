import { checkAborted, toLayerlabError } from '../../errors.ts';
import type { ByteSource } from '../../bytes/byte-source.ts';
import type { ContentHasher } from '../../digest/content-hasher.ts';
import type { LayerHasherFactory } from '../../digest/digest.ts';
import { sourceDigest } from '../../digest/source-digest.ts';
import { readFooter } from './footer.ts';
import { EstargzReader, cleanTocName, openEstargz } from './reader.ts';
import { readToc } from './toc.ts';
import { TOC_DIGEST_ANNOTATION, UNCOMPRESSED_SIZE_ANNOTATION, type TocEntry } from './types.ts';
import type { LayerBlob } from '../../layer/layer.ts';
import { emptyLayerScan, type LayerScan, type ScannedEntry } from '../../layer/layer-scan.ts';
import { addIndexEntry } from '../../layer/index-entry.ts';

export interface TocScanOptions {
  signal?: AbortSignal;
  /** Only `sha256` has a value the TOC can give (its `digest` of each file); other kinds get that too. */
  hasher?: ContentHasher;
  /** Check the stored digest by reading the blob as it is (no decompression). Default true. */
  digests?: boolean;
  digestHasher?: LayerHasherFactory;
  onBytes?(done: number): void;
}

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
  const scan = emptyLayerScan(footer.compression);
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
    // The 40-byte zstd footer of a containers/storage blob: not ours (./toc.ts).
    if (err.code === 'UNKNOWN_FORMAT') return undefined;
    scan.error = err;
  }
  return scan;
}

function scannedEntry(e: TocEntry, scan: LayerScan, ctx: { file: string; layer: number }): ScannedEntry | undefined {
  if (e.type === 'chunk') return undefined;
  const mtime = e.modtime ? Date.parse(e.modtime) / 1000 : 0;
  return addIndexEntry(scan, { ...e, uname: e.userName, gname: e.groupName, mtime }, { ...ctx, what: 'TOC entry' });
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
      try {
        return await openEstargz(layer.source, { tocDigest: layer.descriptor.annotations?.[TOC_DIGEST_ANNOTATION], signal: o.signal });
      } catch (e) {
        // A containers/storage zstd:chunked blob behind the shared 40-byte footer (./toc.ts).
        if (toLayerlabError(e).code === 'UNKNOWN_FORMAT') return undefined;
        throw e;
      }
    })();
    r.catch(() => readers.delete(layer.source));
    readers.set(layer.source, r);
  }
  const reader = await r;
  if (!reader || !reader.lookup(cleanTocName(path))) return undefined;
  return reader.readFile(path, { offset: o.offset, length: o.length, signal: o.signal });
}
