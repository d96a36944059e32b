import type { ByteSource } from '../bytes/byte-source.ts';
import type { LayerlabError } from '../errors.ts';
import type { Digest } from '../digest/digest.ts';
import type { SourceKind, PlatformOption } from '../analysis/report.ts';
import type { Descriptor, ImageConfig, ImageIndex, ImageManifest } from './types.ts';
import type { LayerScan } from '../analysis/layer-scan.ts';
import type { ContentHashKind } from '../digest/content-hasher.ts';
import type { NydusImageState } from '../analysis/nydus-image.ts';

/**
 * An image whose metadata has been read and checked, with a ByteSource per layer blob.
 * Nothing of the layers has been read yet (go-containerregistry's "partial" idea: the source
 * gives the minimum, analysis derives the rest).
 */
export interface OpenedImage {
  kind: SourceKind;
  /** What the user opened. */
  name: string;
  size: number;
  platforms: PlatformOption[];
  index?: ImageIndex;
  manifest?: ImageManifest;
  manifestDigest?: Digest;
  /** The index entry that led to `manifest` (its platform and annotations, e.g. the ref name). */
  manifestDescriptor?: Descriptor;
  config?: ImageConfig;
  configDigest?: Digest;
  /** The config exactly as stored: kept when a conversion leaves the diffIDs as they are. */
  configBytes?: Uint8Array;
  /** docker-archive `RepoTags` of the image shown. */
  repoTags?: string[];
  layers: LayerBlob[];
  /** Problems found while opening that do not stop analysis (e.g. a config digest mismatch). */
  problems: LayerlabError[];
  /** A lone Nydus bootstrap or per-layer blob (opened as one pseudo-layer). */
  nydusInput?: 'bootstrap' | 'layer-blob';
  /** Bootstraps of a Nydus input, decoded once (core/analysis/nydus-image.ts). */
  nydus?: NydusImageState;
  /** Releases spooled data (temporary files, OPFS entries) if any. */
  close?(): Promise<void>;
}

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
  /**
   * The scan made while finding out what a compressed file is: telling a lone layer from a
   * compressed archive takes a full pass, and that pass is the analysis of the layer.
   */
  prescan?: { scan: LayerScan; contentHash: ContentHashKind };
}
