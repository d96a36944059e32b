import type { ByteSource } from '../bytes/byte-source.ts';
import { decompress } from '../compress/decompress.ts';
import { detectCompression, type Compression } from '../compress/sniff.ts';
import type { Digest } from '../digest/digest.ts';
import { checkAborted, type LayerlabError } from '../errors.ts';
import type { Descriptor } from '../image/types.ts';

/**
 * One layer of an opened image: the minimal core an image source gives (go-containerregistry's
 * `partial`: descriptor + stored bytes). Everything else — its compression, its tar, its
 * format — is derived from the bytes by the functions below and by the format registry
 * (../formats/registry.ts), never by the source.
 */
export interface LayerBlob {
  index: number;
  /** As the manifest describes it; for docker-archive and lone blobs, derived from the bytes. */
  descriptor: Descriptor;
  /**
   * True when `descriptor.digest` is a claim to check while streaming (OCI). False when it was
   * computed from these very bytes and so cannot disagree (docker-archive, lone blob): it is then
   * filled in during analysis.
   */
  digestIsClaim: boolean;
  /** diffID the config claims for this layer. */
  expectedDiffId?: Digest;
  source: ByteSource;
  /** Where the blob lives, for messages ("blobs/sha256/ab…" or "abc/layer.tar"). */
  path: string;
  /** Set when the blob could not be opened (missing, wrong size): the layer is reported, not read. */
  openError?: LayerlabError;
}

const sniffed = new WeakMap<ByteSource, Promise<Compression>>();

/**
 * How a blob is compressed, from its first bytes (compress/sniff.ts) — read once per source,
 * whoever asks (detection, analysis, conversion, file reads).
 */
export function blobCompression(src: ByteSource, signal?: AbortSignal): Promise<Compression> {
  let p = sniffed.get(src);
  if (!p) {
    p = src.read(0, Math.min(8, src.size), signal).then(detectCompression);
    p.catch(() => sniffed.delete(src));
    sniffed.set(src, p);
  }
  return p;
}

export interface UncompressedOptions {
  signal?: AbortSignal;
  /** Named in errors. */
  file?: string;
  /** Known already (skips the sniff). */
  compression?: Compression;
  /**
   * Compressed bytes [0, end) hold the stream; what follows is not part of it (an eStargz blob's
   * TOC and footer, spec estargz.md §8.1). Default: the whole blob.
   */
  end?: number;
  /**
   * Sees every stored chunk with the stored bytes read so far (stored digest, progress). With
   * `readToEnd`, the bytes after `end` are read and shown too, so a digest covers the whole blob.
   */
  onStored?(chunk: Uint8Array, done: number): void;
  readToEnd?: boolean;
  /** Upper bound of one stored chunk. */
  chunkSize?: number;
}

/**
 * The one "sniff, then decompress" path of the engine: a blob's stored bytes in, its
 * uncompressed stream out, with the one decoder of its codec (compress/decompress.ts). Memory is
 * bounded by the decoder's constants, never by the blob's size.
 */
export async function uncompressedBlob(src: ByteSource, o: UncompressedOptions = {}): Promise<{ compression: Compression; chunks: AsyncIterable<Uint8Array> }> {
  const compression = o.compression ?? await blobCompression(src, o.signal);
  const end = Math.min(o.end ?? src.size, src.size);
  const whole = end === src.size;
  async function* stored(): AsyncGenerator<Uint8Array> {
    let at = 0;
    const upTo = o.readToEnd || whole ? src.size : end;
    for await (const c of src.stream({ signal: o.signal, end: upTo, chunkSize: o.chunkSize })) {
      checkAborted(o.signal, { file: o.file, offset: at, offsetSpace: 'compressed' });
      const start = at;
      at += c.length;
      o.onStored?.(c, at);
      if (start < end) yield at <= end ? c : c.subarray(0, end - start);
    }
  }
  const chunks = compression === 'none' ? stored()
    : decompress(stored(), compression, {
      signal: o.signal, file: o.file,
      // The raw source again, for a decoder that restarts (decompress.ts DecompressOptions.reopen).
      reopen: compression === 'gzip' ? () => src.stream({ end, signal: o.signal }) : undefined,
    });
  return { compression, chunks };
}

/** A layer's uncompressed stream (see uncompressedBlob), errors naming the layer's blob. */
export function uncompressed(layer: LayerBlob, o: Omit<UncompressedOptions, 'file'> = {}): Promise<{ compression: Compression; chunks: AsyncIterable<Uint8Array> }> {
  return uncompressedBlob(layer.source, { ...o, file: layer.path });
}
