import { LayerlabError, checkAborted } from '../errors.ts';
import type { OpenedImage } from '../image/opened-image.ts';
import { blobCompression, uncompressed } from '../layer/layer.ts';
import { readFileLazily } from '../formats/registry.ts';
import type { FileNodeRef } from '../formats/layer-format.ts';

/** Largest file the viewer reads whole; beyond this the caller asks for a range. */
export const MAX_WHOLE_READ = 256 << 20;

/**
 * Reads the content of a file node (or a range of it) from its layer. A layer in a lazy format is
 * read through its index (formats/registry.ts readFileLazily). A plain tar+gzip/zstd layer has no
 * index, so the layer is decompressed from the start up to the file and then stopped; uncompressed
 * layers are read at the offset directly.
 */
export async function readLayerFile(img: OpenedImage, node: FileNodeRef, o: { offset?: number; length?: number; signal?: AbortSignal } = {}): Promise<Uint8Array> {
  const c = node.content;
  if (!c) throw new LayerlabError('NOT_FOUND', `${node.path} has no content to read`, { entry: node.path });
  const from = Math.min(o.offset ?? 0, c.size);
  const length = Math.min(o.length ?? c.size - from, c.size - from);
  if (length > MAX_WHOLE_READ) {
    throw new LayerlabError('TOO_LARGE', `${length} bytes is more than one read returns (${MAX_WHOLE_READ}); ask for a range`, { entry: node.path, layer: c.layer });
  }
  // A lazy format's index (an eStargz TOC, a Nydus bootstrap): only the file's chunks are fetched.
  const lazy = await readFileLazily(img, node, { offset: from, length, signal: o.signal });
  if (lazy) return lazy;
  const layer = img.layers[c.layer];
  if (!layer) throw new LayerlabError('NOT_FOUND', `layer ${c.layer} does not exist`, { entry: node.path });
  const start = c.dataOffset + from;
  const end = start + length;
  const src = layer.source;
  if (await blobCompression(src, o.signal) === 'none') return src.read(start, length, o.signal);

  const out = new Uint8Array(length);
  let pos = 0; // position in the uncompressed stream
  const ac = new AbortController();
  const signal = o.signal ? AbortSignal.any([o.signal, ac.signal]) : ac.signal;
  try {
    for await (const chunk of (await uncompressed(layer, { signal })).chunks) {
      checkAborted(o.signal, { layer: c.layer, entry: node.path });
      const cEnd = pos + chunk.length;
      if (cEnd > start && pos < end) {
        const a = Math.max(start, pos), b = Math.min(end, cEnd);
        out.set(chunk.subarray(a - pos, b - pos), a - start);
      }
      pos = cEnd;
      if (pos >= end) break;
    }
  } finally {
    ac.abort(); // stop the source and decoder once we have our bytes
  }
  if (pos < end) throw new LayerlabError('TRUNCATED', `layer ended before ${node.path} did`, { layer: c.layer, entry: node.path, offset: pos, offsetSpace: 'uncompressed' });
  return out;
}
