import { LayerlabError, checkAborted } from '../errors.ts';
import { decompress } from '../compress/decompress.ts';
import { detectCompression } from '../compress/sniff.ts';
import type { OpenedImage } from '../image/opened-image.ts';
import type { TreeNode } from './report.ts';
import { readNydusFile } from './nydus-image.ts';
import { byteString, byteStringBytes } from './tar-path.ts';
import { readEstargzFile } from './estargz-scan.ts';

/** Largest file the viewer reads whole; beyond this the caller asks for a range. */
export const MAX_WHOLE_READ = 256 << 20;

/**
 * Reads the content of a file node (or a range of it) from its layer. A plain tar+gzip/zstd layer
 * has no index, so the layer is decompressed from the start up to the file and then stopped;
 * uncompressed layers are read at the offset directly.
 */
export async function readLayerFile(img: OpenedImage, node: Pick<TreeNode, 'content' | 'path'> & { rawPath?: Uint8Array },
  o: { offset?: number; length?: number; signal?: AbortSignal } = {}): Promise<Uint8Array> {
  const c = node.content;
  if (!c) throw new LayerlabError('NOT_FOUND', `${node.path} has no content to read`, { entry: node.path });
  if (c.bootstrap !== undefined) {
    // Nydus: only the file's chunks are fetched, through the bootstrap that lists it.
    const from = Math.min(o.offset ?? 0, c.size);
    const length = Math.min(o.length ?? c.size - from, c.size - from);
    if (length > MAX_WHOLE_READ) throw new LayerlabError('TOO_LARGE', `${length} bytes is more than one read returns (${MAX_WHOLE_READ}); ask for a range`, { entry: node.path, layer: c.layer });
    const key = byteString(node.rawPath ?? new TextEncoder().encode(node.path));
    return readNydusFile(img, c.bootstrap, key, { offset: from, length, signal: o.signal });
  }
  const layer = img.layers[c.layer];
  if (!layer) throw new LayerlabError('NOT_FOUND', `layer ${c.layer} does not exist`, { entry: node.path });
  const from = Math.min(o.offset ?? 0, c.size);
  const length = Math.min(o.length ?? c.size - from, c.size - from);
  if (length > MAX_WHOLE_READ) {
    throw new LayerlabError('TOO_LARGE', `${length} bytes is more than one read returns (${MAX_WHOLE_READ}); ask for a range`, { entry: node.path, layer: c.layer });
  }
  const start = c.dataOffset + from;
  const end = start + length;
  const src = layer.source;
  const head = await src.read(0, Math.min(8, src.size), o.signal);
  const format = detectCompression(head);
  if (format === 'none') return src.read(start, length, o.signal);
  if (format === 'gzip' && c.member !== undefined) {
    // An eStargz layer: only the file's chunks are fetched and inflated (spec §9).
    const name = new TextDecoder().decode(byteStringBytes(c.member));
    const bytes = await readEstargzFile(layer, name, { offset: from, length, signal: o.signal });
    if (bytes) return bytes;
  }

  const out = new Uint8Array(length);
  let pos = 0; // position in the uncompressed stream
  const ac = new AbortController();
  const signal = o.signal ? AbortSignal.any([o.signal, ac.signal]) : ac.signal;
  try {
    for await (const chunk of decompress(src.stream({ signal }), format, { signal, file: layer.path, reopen: () => src.stream({ signal }) })) {
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
