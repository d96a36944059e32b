import type { LayerlabError } from '../errors.ts';
import type { Digest } from '../digest/digest.ts';
import type { PlatformOption, SourceKind } from './types.ts';
import type { Descriptor, ImageConfig, ImageIndex, ImageManifest } from './types.ts';
import type { LayerBlob } from '../layer/layer.ts';
import type { LayerScan } from '../layer/layer-scan.ts';

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
  /**
   * A lone compressed layer's scan, made while finding out what the file is: telling a lone layer
   * from a compressed archive takes a full pass, and that pass is the scan of the layer
   * (layer/layer-scan.ts), kept so the analysis does not read it again.
   */
  prescan?: { scan: LayerScan; contentHash: string };
  /** Problems found while opening that do not stop analysis (e.g. a config digest mismatch). */
  problems: LayerlabError[];
  /**
   * What a format found a lone input to be when it is not a tar (a Nydus bootstrap or per-layer
   * blob: formats/registry.ts sniffLoneInput), as `<format id>:<kind>`.
   */
  loneInput?: { format: string; kind: string };
  /**
   * Per-image state of format readers (decoded bootstraps, opened TOCs), by format id, shared by
   * copies of the image (worker/counting-image.ts). Not analysis results: what a lazy read needs.
   */
  readerState?: Map<string, unknown>;
  /** Releases spooled data (temporary files, OPFS entries) if any. */
  close?(): Promise<void>;
}
