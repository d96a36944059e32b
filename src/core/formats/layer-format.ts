import type { CompressionPool } from '../compress/compression-pool.ts';
import type { Compression } from '../compress/sniff.ts';
import type { ContentHasher } from '../digest/content-hasher.ts';
import type { Digest, LayerHasherFactory } from '../digest/digest.ts';
import type { LayerlabError } from '../errors.ts';
import type { OpenedImage } from '../image/opened-image.ts';
import type { Descriptor, ImageConfig } from '../image/types.ts';
import type { LayerBlob } from '../layer/layer.ts';
import type { LayerScan } from '../layer/layer-scan.ts';
import type { MergedTree } from '../layer/merged-tree.ts';
import type { TreeNode } from '../layer/tree-node.ts';

/**
 * A layer format as one object (stargz-snapshotter's estargz package and go-containerregistry's
 * small interfaces are the models; docs/architecture.md has the picture). Every format —
 * the plain codecs, eStargz, Nydus — is one folder under src/core/formats/ whose index.ts
 * exports one of these, listed in ./registry.ts. Detection, the analysis, lazy reads,
 * conversion, the worker, the CLI and the app ask the registry, so nothing outside a format's
 * folder needs to know the format exists.
 *
 * Only `id`, `label`, `detect` and the descriptive lists are required; the rest are
 * capabilities a format has or has not (a plain tar+gzip layer has no TOC to read files from).
 */
export interface LayerFormat {
  /** Stable id: the CLI's `--to` value, the report's `lazyFormat`, the settings' `target`. */
  readonly id: string;
  /** What people call it ("eStargz"). */
  readonly label: string;
  /** One line on what it is, for the target list. */
  readonly hint: string;
  /** Read lazily (a file without the whole layer). Plain codecs: false. */
  readonly lazy: boolean;
  /** Layer media types this format writes or reads. */
  readonly mediaTypes: readonly string[];
  /**
   * Layer descriptor annotations that describe this encoding of a layer: they are dropped when a
   * layer is re-encoded into something else, as containerd's converter drops them.
   */
  readonly annotations: readonly string[];
  /**
   * Stored bytes per byte of gzip -6 of the same tar, for size estimates (gzip 1, zstd ≈ 0.9,
   * eStargz ≈ 1.11). Undefined: estimated from the tar's size.
   */
  readonly storedVsGzip6?: number;

  /**
   * Whether `layer` is in this format, from its bytes (and, where the format defines them, its
   * media type and annotations). undefined: it is not. Throws a LayerlabError when the layer is
   * this format but damaged (a footer whose TOC does not parse): a finding, not "some other
   * format". The registry asks the formats in order; the plain codecs come last and always match.
   */
  detect(layer: LayerBlob, ctx: DetectContext): Promise<DetectedLayer | undefined>;

  /**
   * The layer's tar, when it is not (a prefix of) the decompressed stored bytes: a Nydus blob's
   * tar is rebuilt from its bootstrap and chunks. Each call streams it again from the start.
   */
  tar?(layer: LayerBlob, ctx: TarContext): AsyncIterable<Uint8Array>;

  /**
   * The layer's entries from the format's own metadata, without inflating file data (an eStargz
   * TOC). undefined when the layer turns out not to carry that metadata.
   */
  tree?(layer: LayerBlob, o: TreeOptions): Promise<LayerScan | undefined>;

  /**
   * A file's bytes (or a range) fetched through the format's index, reading only the chunks it
   * needs. undefined: the node is not one this format can read that way (the caller inflates the
   * tar instead).
   */
  readFile?(img: OpenedImage, node: FileNodeRef, range: { offset: number; length: number; signal?: AbortSignal }): Promise<Uint8Array | undefined>;

  /** What the analysis reports about a detected layer: LayerReport fields and problems. */
  describe?(detected: DetectedLayer, layer: LayerBlob): { report: Record<string, unknown>; problems: LayerlabError[] };

  /**
   * Formats whose images are read through image-level metadata rather than per-layer tars (Nydus:
   * the bootstraps). undefined for an image that is not in this format.
   */
  imageReader?(img: OpenedImage, o: ImageReaderOptions): ImageReader | undefined;

  /**
   * Lone inputs in this format that are not tars and so must be recognised before anyone reads
   * them as one (a RAFS bootstrap's first KiB is zeros: an "empty tar"). Returns the kind
   * (`bootstrap`, `layer-blob`) and the media type to give the pseudo-layer.
   */
  sniffLoneInput?(head: Uint8Array, tail: Uint8Array): { kind: string; mediaType: string } | undefined;

  /** Image-level traits of images in this format. */
  readonly image?: FormatImageTraits;

  /** Present when layerlab can write this format. */
  readonly target?: FormatTarget;
}

export interface DetectContext {
  signal?: AbortSignal;
  /** The image the layer belongs to, for formats whose layers refer to each other. */
  image?: OpenedImage;
  /** The stored blob's compression, sniffed once (layer/layer.ts blobCompression). */
  compression: Compression;
}

/** What detection found: the layer's format and what the conversion spine needs to know of it. */
export interface DetectedLayer {
  /** The format's id. */
  format: string;
  /** The stored blob's compression (from its bytes). */
  compression: Compression;
  /**
   * The compressed bytes [0, tarEnd) are the layer's tar stream, what follows is the format's
   * metadata (an eStargz TOC and footer: spec estargz.md §8.1). Undefined: the whole blob.
   */
  tarEnd?: number;
  /** Annotations a layer kept as it is must carry (eStargz: its TOC digest — docker-archive sources have none). */
  keepAnnotations?: Record<string, string>;
  /** Format facts for `describe` and for views (opaque to everyone else). */
  facts?: unknown;
}

export interface TarContext {
  image?: OpenedImage;
  signal?: AbortSignal;
}

export interface TreeOptions {
  signal?: AbortSignal;
  hasher?: ContentHasher;
  digestHasher?: LayerHasherFactory;
  onBytes?(done: number): void;
}

/** A file node as the engine gives it to readers (analysis/report.ts TreeNode, or part of one). */
export type FileNodeRef = Pick<TreeNode, 'content' | 'path'> & { rawPath?: Uint8Array };

export interface ImageReaderOptions {
  signal?: AbortSignal;
  hasher?: ContentHasher;
  digestHasher?: LayerHasherFactory;
  /** Hash each blob whole to check its digest (default true). */
  blobDigests?: boolean;
}

/**
 * An image read through its format's metadata (see LayerFormat.imageReader). The analysis asks
 * it for each layer; after the last, `finish` says what a mount of the image shows when that
 * differs from the OCI merge of the layers, and what the report adds.
 */
export interface ImageReader {
  readonly format: string;
  /** The layer's scan from metadata; undefined: read this layer as a tar. */
  scanLayer(layer: LayerBlob, onBytes: (n: number) => void): Promise<LayerScan | undefined>;
  /** A layer that holds the format's metadata, not files of the image: kept out of the merge. */
  isMetadataLayer(index: number): boolean;
  /** Layers whose report names this format (`lazyFormat`). */
  claims(index: number): boolean;
  finish(oci: MergedTree): Promise<ImageReaderResult>;
  /** Points the trees' file nodes at where their bytes are read from (readFile). */
  markTrees?(trees: { merged: TreeNode[]; layers: TreeNode[][] }, oci: MergedTree, shown: MergedTree): void;
}

export interface ImageReaderResult {
  /** The tree a mount shows, when it is not the OCI merge. */
  shown?: MergedTree;
  /** Fields added to the image report (Nydus: `nydus`). */
  report?: Record<string, unknown>;
  problems: LayerlabError[];
}

export interface FormatImageTraits {
  /**
   * A layer that carries this format's image metadata rather than files (Nydus's bootstrap layer,
   * spec nydus.md §6.5). Converting an image away from the format drops such layers and the
   * history entries `isOwnHistory` recognises; converting an image that has one into the same
   * format is refused.
   */
  isMetadataLayer(d: Descriptor): boolean;
  isOwnHistory(h: NonNullable<ImageConfig['history']>[number]): boolean;
}

/** A conversion target: its options and its writer. */
export interface FormatTarget {
  readonly options: readonly OptionSpec[];
  /** Its writer compresses on a pool of workers (the caller lends one). */
  readonly pooled: boolean;
  /** Layers already in this format are copied as they are (default true). */
  readonly keepsOwnLayers?: boolean;
  createWriter(options: ValidOptions, resources: WriterResources): Promise<LayerFormatWriter>;
  /** Output size of one layer, guessed from the analysis alone (nothing is read). */
  estimate(layer: LayerFacts, options: ValidOptions, gzip6: { bytes: number; basis: string }): { estimate: number; basis: string };
}

/** What the caller lends a writer: the compression pool of its platform (closed by the caller). */
export interface WriterResources {
  pool?: CompressionPool;
}

/** One layer as an estimate sees it (from the image report). */
export interface LayerFacts {
  size: number;
  uncompressedSize: number;
  compression: Compression;
  /** Its detected format id. */
  format: string;
  entries: number;
}

export type OptionValue = number | boolean | string | string[];
export type ValidOptions = Readonly<Record<string, OptionValue>>;

/**
 * One option of a target, as data: the CLI builds its flags and usage from it, the app its form,
 * and ./registry.ts validates settings against it — in one place.
 */
export type OptionSpec = IntOption | ChoiceOption | BoolOption | ListOption;

interface OptionBase {
  /** Key in ConvertSettings (`chunkSize`). */
  key: string;
  /** CLI flag without dashes (`chunk-size`). */
  flag: string;
  /** More flags meaning the same (`prefetch` for Nydus's `prioritize`). */
  aliases?: readonly string[];
  label: string;
  help: string;
}

export interface IntOption extends OptionBase {
  kind: 'int';
  min: number;
  max: number;
  default: number;
  /** Only powers of two (Nydus chunk sizes). */
  powerOfTwo?: boolean;
  /** Bytes: shown as sizes; `choices` are the sizes the app offers. */
  unit?: 'bytes';
  /**
   * A default that depends on a choice option (eStargz's level: gzip 9, zstd 3). `default` is
   * then the one for that option's own default; the app moves the field along when the choice
   * changes and the value was the previous choice's default.
   */
  defaultFor?: { option: string; values: Readonly<Record<string, number>> };
  choices?: readonly number[];
}

export interface ChoiceOption extends OptionBase {
  kind: 'choice';
  values: readonly { value: string; label: string }[];
  default: string;
}

export interface BoolOption extends OptionBase {
  kind: 'bool';
  default: boolean;
  /** The CLI flag that sets it false (`no-dedup`), for options that default to true. */
  negativeFlag?: string;
  /** Labels of the two states, when a radio pair says it better than a checkbox. */
  states?: { on: string; off: string };
}

export interface ListOption extends OptionBase {
  kind: 'list';
  /** Placeholder / example. */
  example: string;
  /** Disabled while this bool option is true (eStargz's lossless has no prioritized files). */
  disabledBy?: string;
}

/** An int option's default as chosen by another option (IntOption.defaultFor); undefined: its plain default. */
export function dependentDefault(specs: readonly OptionSpec[], spec: OptionSpec, s: Readonly<Record<string, OptionValue | undefined>>): number | undefined {
  if (spec.kind !== 'int' || !spec.defaultFor) return undefined;
  const by = specs.find((o) => o.key === spec.defaultFor!.option);
  const choice = s[spec.defaultFor.option] ?? (by && by.kind !== 'list' ? by.default : undefined);
  return typeof choice === 'string' ? spec.defaultFor.values[choice] : undefined;
}

/** Everything a user chose about a conversion: the CLI flags and the app dialog both fill it. */
export interface ConvertSettings {
  target: string;
  [option: string]: OptionValue | undefined;
}

/** A target as the app sees it (plain data: it crosses to the UI thread). */
export interface TargetInfo {
  id: string;
  label: string;
  hint: string;
  lazy: boolean;
  options: readonly OptionSpec[];
}

// ─── writers: what a target's createWriter makes ─────────────────────────────────────────────

/** What a conversion turns layers into: a format id of ./registry.ts that has a target. */
export type ConvertTarget = string;

/** A source layer as a writer needs to know it. */
export interface SourceLayer {
  index: number;
  descriptor: Descriptor;
  /** How the stored blob is compressed (sniffed from its bytes, not its media type). */
  compression: Compression;
  /** What the layer is (./registry.ts detectLayer): its format, and where its tar is. */
  detected: DetectedLayer;
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
 * converter.ConvertFunc per layer), made by a format's target (./layer-format.ts FormatTarget).
 * The conversion spine (../convert/convert-image.ts) gives it the layer's tar and a sink, and does
 * everything image-level around it; a layer already in the target format never reaches it.
 */
export interface LayerFormatWriter {
  readonly target: ConvertTarget;
  /** The writer hashes what it gives the sink and returns it as `blobDigest` (saves the spine a pass). */
  readonly hashesOutput?: boolean;
  write(ctx: LayerWriteContext): Promise<WrittenLayer>;
  /**
   * Whether a layer already in the target format is kept as it is (default yes); no when the
   * writer's settings change its encoding (eStargz gzip → eStargz zstd).
   */
  keeps?(detected: DetectedLayer): boolean;
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
