import type { ByteSource } from '../core/bytes/byte-source.ts';
import type { OpenedImage } from '../core/image/opened-image.ts';

/**
 * The image with one layer's source counting the bytes read from it, so a file read (which
 * decompresses the layer from its start) can show progress without the engine knowing.
 */
export function countingImage(img: OpenedImage, layer: number, onBytes: (done: number, total: number) => void): OpenedImage {
  return {
    ...img,
    layers: img.layers.map((l) => (l.index === layer ? { ...l, source: countingSource(l.source, onBytes) } : l)),
  };
}

function countingSource(src: ByteSource, onBytes: (done: number, total: number) => void): ByteSource {
  let done = 0;
  const add = (n: number) => { done += n; onBytes(done, src.size); };
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
