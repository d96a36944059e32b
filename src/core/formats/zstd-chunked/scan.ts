import type { ByteSource } from '../../bytes/byte-source.ts';
import { sourceDigest } from '../../digest/source-digest.ts';
import { checkAborted, toLayerlabError } from '../../errors.ts';
import type { LayerBlob } from '../../layer/layer.ts';
import { addIndexEntry } from '../../layer/index-entry.ts';
import { emptyLayerScan, type LayerScan } from '../../layer/layer-scan.ts';
import type { TreeOptions } from '../layer-format.ts';
import { probeZstdChunked, type ZstdChunkedReader } from './reader.ts';

/** sha256 of nothing: the content hash of an empty file, which the manifest gives no `digest` (spec §3). */
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** One reader per blob, so the manifest is fetched once for detection, a tree and all its file reads. */
const readers = new WeakMap<ByteSource, Promise<ZstdChunkedReader | undefined>>();

/** The layer's reader (cached per source); undefined when it is not containers/storage zstd:chunked. */
export function zstdChunkedReaderOf(layer: LayerBlob, signal?: AbortSignal): Promise<ZstdChunkedReader | undefined> {
  let r = readers.get(layer.source);
  if (!r) {
    r = probeZstdChunked(layer.source, { annotations: layer.descriptor.annotations, signal });
    r.catch(() => readers.delete(layer.source));
    readers.set(layer.source, r);
  }
  return r;
}

/**
 * A layer's entries from its zstd:chunked manifest instead of its tar (spec §3): the footer and
 * the manifest are all that is read (plus one pass over the stored bytes for their digest), so
 * the tree shows without decompressing file data. As the tar scan reports them
 * (layer/layer-scan.ts): whiteouts as markers, modes without the type bits, hard-link targets
 * normalised. What a manifest cannot give: uname/gname (not stored), the diffID and the tar
 * offsets (left empty / compressed offsets of the payload).
 */
export async function scanZstdChunkedManifest(layer: LayerBlob, o: TreeOptions = {}): Promise<LayerScan | undefined> {
  if (layer.openError) return undefined;
  const ctx = { file: layer.path, layer: layer.index, layerDigest: layer.descriptor.digest || undefined };
  const scan = emptyLayerScan('zstd');
  let reader: ZstdChunkedReader | undefined;
  try {
    reader = await zstdChunkedReaderOf(layer, o.signal);
  } catch (e) {
    scan.error = toLayerlabError(e, ctx);
    if (scan.error.code === 'ABORTED') throw scan.error;
    return scan;
  }
  if (!reader) return undefined;
  try {
    for (const e of reader.manifest.entries) {
      checkAborted(o.signal, ctx);
      if (e.type === 'chunk') continue;
      const entry = addIndexEntry(scan, { ...e, mtime: e.modtime ? unixSeconds(e.modtime) : 0 }, { ...ctx, what: 'manifest entry' });
      if (!entry) continue;
      if (entry.kind === 'file' && o.hasher?.kind === 'sha256') entry.hash = e.digest ? e.digest.slice('sha256:'.length) : entry.size === 0 ? EMPTY_SHA256 : undefined;
      scan.entries.push(entry);
    }
    scan.digest = await sourceDigest(layer.source, { signal: o.signal, hasher: o.digestHasher, onBytes: o.onBytes });
  } catch (e) {
    const err = toLayerlabError(e, ctx);
    if (err.code === 'ABORTED') throw err;
    scan.error = err;
  }
  return scan;
}

/**
 * Seconds since the epoch of a Go `time.Time` JSON value (RFC 3339 with up to nanoseconds and the
 * writer's zone, spec §3), fraction kept as the tar scan keeps a PAX mtime's. Year 1 (1.43's
 * "absent") and anything unparsable give 0.
 */
export function unixSeconds(text: string): number {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$/.exec(text);
  if (!m || m[1].startsWith('0001-')) return 0;
  const whole = Date.parse(m[1] + m[3]) / 1000;
  return Number.isFinite(whole) ? whole + (m[2] ? Number('0' + m[2]) : 0) : 0;
}
