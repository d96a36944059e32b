import type { DirectoryTarget } from '../bytes/byte-sink.ts';
import type { ByteSource } from '../bytes/byte-source.ts';
import type { Digest } from '../digest/digest.ts';
import { blobPath } from '../image/json-blob.ts';
import { checkAborted } from '../errors.ts';
import { OCI_LAYOUT_FILE, blobChunks, encodeJson, type ImageSink, type ImageTop } from './image-sink.ts';

/**
 * Writes an OCI image layout into a folder: blobs first, `oci-layout` and `index.json` last, so
 * the folder becomes a layout only once every blob it names is there. `abort` removes every
 * file written.
 */
export function layoutSink(dir: DirectoryTarget, layout: 'oci-layout' | 'docker-archive' = 'oci-layout'): ImageSink {
  const written: string[] = [];
  const put = async (path: string, chunks: AsyncIterable<Uint8Array> | Uint8Array, signal?: AbortSignal) => {
    const f = await dir.createFile(path);
    try {
      if (chunks instanceof Uint8Array) await f.write(chunks);
      else for await (const c of chunks) { checkAborted(signal, { file: f.name }); await f.write(c); }
      await f.close();
      written.push(path);
    } catch (e) {
      await f.abort();
      throw e;
    }
  };
  const seen = new Set<string>();
  return {
    layout,
    async addBlob(digest: Digest, content: ByteSource | Uint8Array, signal?: AbortSignal) {
      if (seen.has(digest)) return;
      seen.add(digest);
      await put(blobPath(digest), blobChunks(content, signal), signal);
    },
    async finish(top: ImageTop) {
      await put('oci-layout', OCI_LAYOUT_FILE);
      if (top.dockerManifest) await put('manifest.json', encodeJson(top.dockerManifest));
      await put('index.json', encodeJson(top.index));
    },
    async abort() {
      for (const p of written.splice(0).reverse()) await dir.remove(p).catch(() => {});
    },
  };
}
