import type { ByteSink } from '../bytes/byte-sink.ts';
import type { ByteSource } from '../bytes/byte-source.ts';
import type { Digest } from '../digest/digest.ts';
import { blobPath } from '../image/json-blob.ts';
import { TarWriter } from '../tar/tar-writer.ts';
import { checkAborted } from '../errors.ts';
import { OCI_LAYOUT_FILE, blobChunks, blobSize, encodeJson, type ImageSink, type ImageTop } from './image-sink.ts';

/**
 * Writes an OCI archive (or a Docker ≥ 25 docker-archive) as one tar stream: `oci-layout`, then
 * each blob as `blobs/sha256/<hex>` as it is added, then `index.json` (and `manifest.json`).
 * A tar header needs the member's size before its data, which is why converted layers are
 * spooled first and only then copied here. Members are owned by root with mtime 0, so the same
 * image gives the same archive bytes.
 */
export function archiveSink(out: ByteSink, layout: 'oci-archive' | 'docker-archive'): ImageSink {
  let pending: Uint8Array[] = [];
  const tar = new TarWriter((chunk) => { pending.push(chunk); });
  const flush = async () => {
    const parts = pending;
    pending = [];
    for (const p of parts) await out.write(p);
  };
  const written = new Set<string>();
  let started = false;
  const start = async () => {
    if (started) return;
    started = true;
    await tar.addEntry(file('oci-layout'), OCI_LAYOUT_FILE);
    for (const d of ['blobs/', 'blobs/sha256/']) await tar.addEntry({ ...file(d), type: 'dir', mode: 0o755 });
    await flush();
  };
  return {
    layout,
    async addBlob(digest: Digest, content: ByteSource | Uint8Array, signal?: AbortSignal) {
      await start();
      if (written.has(digest)) return;
      written.add(digest);
      const sink = tar.beginEntry({ ...file(blobPath(digest)), size: blobSize(content) });
      await flush();
      for await (const chunk of blobChunks(content, signal)) {
        checkAborted(signal, { file: out.name });
        sink.data(chunk);
        await flush();
      }
      sink.end();
      await flush();
    },
    async finish(top: ImageTop) {
      await start();
      await tar.addEntry(file('index.json'), encodeJson(top.index));
      if (top.dockerManifest) await tar.addEntry(file('manifest.json'), encodeJson(top.dockerManifest));
      tar.finish();
      await flush();
      await out.close();
    },
    abort: () => out.abort(),
  };
}

function file(name: string) {
  return { name, type: 'file' as const, mode: 0o644, uid: 0, gid: 0, mtime: 0 };
}
