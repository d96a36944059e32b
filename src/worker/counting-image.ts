import type { ByteSource } from '../core/bytes/byte-source.ts';
import type { OpenedImage } from '../core/image/opened-image.ts';

/**
 * The image with one layer's source counting the bytes read from it, so a file read (which
 * decompresses the layer from its start) can show progress without the engine knowing.
 */
export function countingImage(img: OpenedImage, layer: number | 'all', onBytes: (done: number, total: number) => void): OpenedImage {
  // Copies share the format readers' state (decoded bootstraps, opened TOCs) of the image they copy.
  img.readerState ??= new Map();
  const counted = img.layers.filter((l) => layer === 'all' || l.index === layer);
  const total = counted.reduce((s, l) => s + l.source.size, 0);
  const tally = { done: 0 };
  return {
    ...img,
    layers: img.layers.map((l) => (counted.includes(l) ? { ...l, source: countingSource(l.source, total, tally, onBytes) } : l)),
  };
}

function countingSource(src: ByteSource, total: number, tally: { done: number }, onBytes: (done: number, total: number) => void): ByteSource {
  const add = (n: number) => { tally.done += n; onBytes(tally.done, total); };
  return {
    name: src.name,
    size: src.size,
    async read(offset, length, signal) {
      const b = await src.read(offset, length, signal);
      add(b.length);
      return b;
    },
    async *stream(o) {
      for await (const chunk of src.stream(o)) {
        add(chunk.length);
        yield chunk;
      }
    },
  };
}
