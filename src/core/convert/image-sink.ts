import type { ByteSource } from '../bytes/byte-source.ts';
import type { Digest } from '../digest/digest.ts';
import type { ImageIndex } from '../image/types.ts';

/** How a converted image is laid out. */
export type OutputLayout =
  /** A tar of an OCI image layout (image-layout.md), as `skopeo copy … oci-archive:` writes. */
  | 'oci-archive'
  /** An OCI image layout folder. */
  | 'oci-layout'
  /**
   * `docker save` as Docker ≥ 25 writes it: an OCI layout plus `manifest.json` naming the config
   * and layers by their `blobs/sha256/…` paths, so both `docker load` and OCI tools read it.
   */
  | 'docker-archive';

/** One entry of docker-archive's `manifest.json` (moby image/tarexport). */
export interface DockerManifestEntry {
  Config: string;
  RepoTags: string[] | null;
  Layers: string[];
}

/** The files that are written last: they name the blobs, so they must not exist before them. */
export interface ImageTop {
  index: ImageIndex;
  dockerManifest?: DockerManifestEntry[];
}

/**
 * Receives an image's blobs, then its top-level files. Blobs are content-addressed: adding a
 * digest twice writes it once (layers shared between platforms). Nothing is visible to other
 * tools until `finish`; `abort` removes what was written.
 */
export interface ImageSink {
  readonly layout: OutputLayout;
  /** `content` must hash to `digest` (the converter computed it while writing the spool). */
  addBlob(digest: Digest, content: ByteSource | Uint8Array, signal?: AbortSignal): Promise<void>;
  finish(top: ImageTop, signal?: AbortSignal): Promise<void>;
  abort(): Promise<void>;
}

export const OCI_LAYOUT_FILE = new TextEncoder().encode('{"imageLayoutVersion":"1.0.0"}');

export function encodeJson(value: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value));
}

/** Streams a blob's bytes, whether it is held in memory or in a source. */
export async function* blobChunks(content: ByteSource | Uint8Array, signal?: AbortSignal): AsyncIterable<Uint8Array> {
  if (content instanceof Uint8Array) { yield content; return; }
  yield* content.stream({ signal, chunkSize: 4 << 20 });
}

export function blobSize(content: ByteSource | Uint8Array): number {
  return content instanceof Uint8Array ? content.length : content.size;
}
