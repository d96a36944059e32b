import type { ByteSource } from '../bytes/byte-source.ts';
import type { DirectorySource } from '../bytes/directory-source.ts';
import { LayerlabError } from '../errors.ts';
import { detectCompression } from '../compress/sniff.ts';
import type { BlobSpool } from '../store/blob-spool.ts';
import type { LayerHasherFactory } from '../digest/digest.ts';
import type { LongOperation } from '../progress.ts';
import type { OpenedImage } from './opened-image.ts';
import { archiveDirectory, listArchive, type ArchiveListing } from './archive-directory.ts';
import { openOciLayout } from './oci-layout.ts';
import { openDockerArchive } from './docker-archive.ts';
import { loneLayerMediaType } from './media-types.ts';
import { sniffLoneInput } from '../formats/registry.ts';
import { normalizeRelative } from '../bytes/directory-source.ts';
import { scanLayer, type LayerScan } from '../layer/layer-scan.ts';
import { createContentHasher, type ContentHashKind } from '../digest/content-hasher.ts';

export type ImageInput =
  | { kind: 'file'; source: ByteSource }
  | { kind: 'directory'; dir: DirectorySource };

export interface OpenOptions extends LongOperation {
  /** `os/arch[/variant]` to pick from a multi-platform index. */
  platform?: string;
  /** Where members of a compressed archive are kept (default: memory). */
  spool?: BlobSpool;
  /** The content hash the analysis will use (a compressed lone layer is scanned while opening). */
  contentHash?: ContentHashKind;
  /** Where that scan hashes (see ScanOptions.digestHasher). */
  digestHasher?: LayerHasherFactory;
}

/**
 * Opens whatever the user gave, deciding what it is from its content, never its name
 * (corpus README, "Input"): a folder with `oci-layout` is an OCI layout, one with
 * `manifest.json` (or a legacy `repositories`) a docker-archive; a file is decompressed if it
 * starts with a gzip or zstd magic, then read as tar: top-level `oci-layout` + `index.json` →
 * OCI archive; else `manifest.json` → docker-archive; else it is a single layer blob.
 */
export async function openImage(input: ImageInput, o: OpenOptions = {}): Promise<OpenedImage> {
  if (input.kind === 'directory') {
    const dir = input.dir;
    if (await dir.open('oci-layout') || await dir.open('index.json')) return openOciLayout(dir, { ...o, kind: 'oci-layout' });
    if (await dir.open('manifest.json') || await dir.open('repositories')) return openDockerArchive(dir, o);
    throw new LayerlabError('UNKNOWN_FORMAT', 'this folder is neither an OCI layout (no oci-layout, index.json) nor an unpacked docker-archive (no manifest.json)', { file: dir.name });
  }
  const src = input.source;
  if (src.size === 0) throw new LayerlabError('UNKNOWN_FORMAT', 'the file is empty', { file: src.name, offset: 0 });
  const head = await src.read(0, Math.min(src.size, 2048), o.signal);
  const tail = await src.read(Math.max(0, src.size - 512), Math.min(src.size, 512), o.signal);
  // A format's own artifact that is not a tar (a Nydus bootstrap) must not be read as one.
  const lone = sniffLoneInput(head, tail);
  if (lone) {
    const img = openLayerBlob(src);
    img.loneInput = { format: lone.format, kind: lone.kind };
    img.layers[0].descriptor.mediaType = lone.mediaType;
    return img;
  }
  const compression = detectCompression(head);
  if (compression === 'none') rejectKnownNonTar(head, src.name);

  let listing: ArchiveListing | undefined;
  let prescan: LayerScan | undefined;
  try {
    if (compression === 'none') listing = await listArchive(src, compression, o);
    else {
      // A compressed file must be read to its end to know whether it is an archive or a layer
      // (a top-level manifest.json may come last). That pass is scanned as the layer it most
      // likely is, so a lone layer is read once; an archive's members are spooled in a second pass.
      const contentHash = o.contentHash ?? 'xxh128';
      const top = new Set<string>();
      prescan = await scanLayer(openLayerBlob(src, compression).layers[0], {
        signal: o.signal, hasher: await createContentHasher(contentHash), digestHasher: o.digestHasher,
        onMember: (e) => { const first = normalizeRelative(e.name).split('/')[0]; if (first) top.add(first); },
        onBytes: (n) => o.onProgress?.({ phase: 'layers', layer: 0, layerDone: n, layerTotal: src.size, done: n, total: src.size, message: `reading ${src.name}` }),
      });
      if (prescan.error) throw prescan.error;
      listing = { members: new Map(), topLevel: top };
    }
  } catch (e) {
    if (!(e instanceof LayerlabError) || e.code === 'ABORTED') throw e;
    // Garbage from the first block on: not a tar at all. A failure further in is a damaged
    // layer: open it as one, and let the analysis report where it breaks.
    if (e.code === 'BAD_TAR' && (e.context.offset ?? 0) === 0) {
      throw new LayerlabError('UNKNOWN_FORMAT', `not a tar archive${compression === 'none' ? '' : ` inside the ${compression} stream`}: ${e.message}`, { file: src.name, offset: 0 }, { cause: e });
    }
    if (compression !== 'none' && e.code === 'BAD_COMPRESSION' && (e.context.offset ?? 0) === 0) throw e;
    listing = undefined;
  }
  const top = listing?.topLevel;
  const damaged = (img: OpenedImage) => {
    // A cut-off archive whose index survived: the members that are whole still show.
    if (listing?.error) img.problems.unshift(listing.error);
    return img;
  };
  // A compressed archive is spooled in a second pass; an uncompressed one is served in place.
  const known = compression === 'none' ? listing : undefined;
  if (listing && top?.has('oci-layout') && top.has('index.json')) {
    const dir = await archiveDirectory(src, compression, { ...o, listing: known });
    return damaged(await openOciLayout(dir, { ...o, kind: 'oci-archive', size: src.size }));
  }
  if (listing && (top?.has('manifest.json') || top?.has('repositories'))) {
    const dir = await archiveDirectory(src, compression, { ...o, listing: known });
    return damaged(await openDockerArchive(dir, { ...o, size: src.size }));
  }
  const img = openLayerBlob(src, compression);
  if (prescan) img.prescan = { scan: prescan, contentHash: o.contentHash ?? 'xxh128' };
  return img;
}

/** A single layer blob: one layer, no config; its digest is computed from the bytes. */
export function openLayerBlob(src: ByteSource, compression = 'none' as ReturnType<typeof detectCompression>): OpenedImage {
  return {
    kind: 'layer', name: src.name, size: src.size, platforms: [], problems: [],
    layers: [{
      index: 0, digestIsClaim: false, source: src, path: src.name,
      descriptor: { mediaType: loneLayerMediaType(compression), digest: '', size: src.size },
    }],
  };
}

/** Clear words for common wrong inputs instead of a tar checksum error. */
function rejectKnownNonTar(head: Uint8Array, file: string): void {
  const magic = (...b: number[]) => b.every((x, i) => head[i] === x);
  const what = magic(0x50, 0x4b, 0x03, 0x04) ? 'a zip archive'
    : magic(0x42, 0x5a, 0x68) ? 'a bzip2 stream (not a layer compression OCI allows)'
    : magic(0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00) ? 'an xz stream (not a layer compression OCI allows)'
    : magic(0x7b) || magic(0x5b) ? 'a JSON document (open the folder or archive that holds it)'
    : undefined;
  if (what) throw new LayerlabError('UNKNOWN_FORMAT', `this is ${what}, not a container image or layer`, { file, offset: 0 });
}
