import type { Compression } from '../compress/sniff.ts';
import type { Digest } from '../digest/digest.ts';
import type { Descriptor } from '../image/types.ts';

/** What a conversion turns layers into. */
export type ConvertTarget = 'gzip' | 'zstd' | 'uncompressed' | 'estargz' | 'nydus';

/** A source layer as a writer needs to know it. */
export interface SourceLayer {
  index: number;
  descriptor: Descriptor;
  /** How the stored blob is compressed (sniffed from its bytes, not its media type). */
  compression: Compression;
  /** Set when the blob is an eStargz (footer + TOC found): its tar is what precedes the TOC. */
  estargz?: { tocOffset: number; tocDigest: Digest };
  /** Set for a Nydus blob layer: its tar is unpacked from its own bootstrap and blob (spec §7.1). */
  nydus?: boolean;
  /** Where the blob lives, for messages. */
  path: string;
}

export interface LayerWriteContext {
  layer: SourceLayer;
  /**
   * The layer's tar, uncompressed, from the start; each call streams it again (eStargz's Build
   * mode reads twice). For an eStargz source this is what `estargz.Unpack` returns: the stream
   * before the TOC member (../shared/spec/estargz.md §8.1), so a lossless round trip gives back
   * the original tar.
   */
  tar(): AsyncIterable<Uint8Array>;
  /** Receives the output blob front to back. */
  sink(chunk: Uint8Array): void | Promise<void>;
  signal?: AbortSignal;
  /** Names the layer's blob in errors. */
  file: string;
}

export interface WrittenLayer {
  /** Compression of the output blob; with the manifest style it decides the media type. */
  compression: Compression;
  /** sha256 of the output's uncompressed stream (the config's rootfs.diff_ids entry). */
  diffId: Digest;
  /** Annotations for the layer descriptor (eStargz: TOC digest and uncompressed size). */
  annotations?: Record<string, string>;
  /** A media type no compression implies (Nydus blobs). */
  mediaType?: string;
  /** One line for the report ("eStargz, 2 135 entries, TOC sha256:…"). */
  summary?: string;
  /** sha256 of the bytes given to the sink, from a writer with `hashesOutput`. */
  blobDigest?: Digest;
}

/**
 * One output format for layers (go-containerregistry's small interfaces; containerd's
 * converter.ConvertFunc per layer). The conversion spine (./convert-image.ts) gives it the
 * layer's tar and a sink, and does everything image-level around it.
 */
export interface LayerFormatWriter {
  readonly target: ConvertTarget;
  /** The writer hashes what it gives the sink and returns it as `blobDigest` (saves the spine a pass). */
  readonly hashesOutput?: boolean;
  /** Why this layer needs no work (it already is what this writer makes), or undefined. */
  alreadyDone(layer: SourceLayer): string | undefined;
  write(ctx: LayerWriteContext): Promise<WrittenLayer>;
  /**
   * Image-level work after the last layer of one image (Nydus: the merged bootstrap layer and
   * the history entry). Called once per converted manifest, with that manifest's layers; a
   * writer that keeps per-image state resets it here.
   */
  finishImage?(layers: FinishedLayer[], signal?: AbortSignal): Promise<ImageAdditions>;
}

export interface FinishedLayer {
  index: number;
  action: 'converted' | 'kept';
  written: WrittenLayer;
  digest: Digest;
  size: number;
}

/** What a writer adds to the image around its layers. */
export interface ImageAdditions {
  /** Appended after the converted layers, in order; `blob` is the stored (compressed) bytes. */
  layers?: { blob: Uint8Array; compression: Compression; diffId: Digest; mediaType?: string; annotations?: Record<string, string>; summary?: string }[];
  /** Entries appended to the config's `history`. */
  history?: { created_by?: string; comment?: string; empty_layer?: boolean }[];
  /** Added to the platform's `os.features` in the index entry (Nydus: `nydus.remoteimage.v1`). */
  osFeatures?: string[];
}
