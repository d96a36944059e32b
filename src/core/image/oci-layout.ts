import type { DirectorySource } from '../bytes/directory-source.ts';
import { LayerlabError } from '../errors.ts';
import type { PlatformOption } from './types.ts';
import type { OpenedImage } from './opened-image.ts';
import type { Descriptor, ImageConfig, ImageIndex, ImageManifest } from './types.ts';
import { MediaType, isIndexMediaType, isKnownLayerMediaType, isManifestMediaType } from './media-types.ts';
import { isFormatMediaType } from '../formats/registry.ts';
import { fromBytes } from '../bytes/memory-source.ts';
import { blobPath, checkDescriptor, openBlob, readJsonBlob, readJsonSource } from './json-blob.ts';
import { chooseManifest, formatPlatform } from './platform.ts';

/** Nested indexes deeper than this are a loop or an attack, not an image. */
const MAX_INDEX_DEPTH = 8;

/**
 * Opens an OCI image layout (image-layout.md): `oci-layout`, `index.json`, `blobs/<alg>/<hex>`.
 * Follows nested indexes to one manifest (platform choice as in ./platform.ts), then reads and
 * checks the manifest and config. Layer blobs are opened and size-checked, not read.
 */
export async function openOciLayout(dir: DirectorySource, o: { platform?: string; kind?: 'oci-layout' | 'oci-archive'; size?: number; signal?: AbortSignal } = {}): Promise<OpenedImage> {
  const problems: LayerlabError[] = [];
  const layoutFile = await dir.open('oci-layout');
  if (layoutFile) {
    const { value } = await readJsonSource<{ imageLayoutVersion?: string }>(layoutFile, 'oci-layout', o.signal);
    if (typeof value.imageLayoutVersion !== 'string') {
      problems.push(new LayerlabError('BAD_JSON', 'oci-layout has no imageLayoutVersion', { file: `${dir.name}/oci-layout` }));
    }
  }
  const indexFile = await dir.open('index.json');
  if (!indexFile) throw new LayerlabError('UNKNOWN_FORMAT', 'OCI layout without index.json', { file: dir.name });
  const top = (await readJsonSource<ImageIndex>(indexFile, 'index.json', o.signal)).value;
  const indexName = `${dir.name}/index.json`;

  let index: ImageIndex = top;
  let descs = checkManifestList(top, indexName);
  let platforms = platformOptions(descs);
  let chosen: Descriptor | undefined;
  let where = indexName;
  for (let depth = 0; ; depth++) {
    if (depth > MAX_INDEX_DEPTH) throw new LayerlabError('BAD_JSON', `indexes nested deeper than ${MAX_INDEX_DEPTH}`, { file: indexName });
    chosen = chooseManifest(descs, o.platform);
    if (!chosen) {
      const offered = platforms.map((p) => p.platform).join(', ') || 'none';
      throw new LayerlabError('NO_PLATFORM', descs.length === 0 ? 'the index lists no manifests'
        : `no manifest for ${o.platform ?? 'linux/amd64'} in the index (offered: ${offered})`, { file: where, platforms: platforms.map((p) => p.platform) });
    }
    if (!isIndexMediaType(chosen.mediaType)) break;
    const nested = await readJsonBlob<ImageIndex>(dir, chosen, 'image index', o.signal);
    if (nested.digestError) problems.push(nested.digestError);
    index = nested.value;
    where = `${dir.name}/${blobPath(chosen.digest)}`;
    descs = checkManifestList(index, where);
    const more = platformOptions(descs);
    if (more.length) platforms = more;
  }
  if (chosen.mediaType !== undefined && !isManifestMediaType(chosen.mediaType)) {
    throw new LayerlabError('UNKNOWN_MEDIA_TYPE', `the chosen descriptor has media type ${chosen.mediaType}, not an image manifest`, { file: indexName });
  }

  const man = await readJsonBlob<ImageManifest>(dir, chosen, 'manifest', o.signal);
  if (man.digestError) problems.push(man.digestError);
  const manifest = man.value;
  const manifestName = `${dir.name}/blobs/${chosen.digest}`;
  if (!manifest.config || !Array.isArray(manifest.layers)) {
    throw new LayerlabError('BAD_JSON', 'manifest has no config or no layers list', { file: manifestName });
  }
  const configDesc = checkDescriptor(manifest.config, 'manifest config', manifestName);
  let config: ImageConfig | undefined;
  let configBytes: Uint8Array | undefined;
  try {
    const cfg = await readJsonBlob<ImageConfig>(dir, configDesc, 'config', o.signal);
    if (cfg.digestError) problems.push(cfg.digestError);
    config = cfg.value;
    configBytes = cfg.bytes;
  } catch (e) {
    // Without a config the layers can still be analysed; diffIDs just cannot be checked.
    if (e instanceof LayerlabError) problems.push(e); else throw e;
  }
  const diffIds = config?.rootfs?.diff_ids;
  if (config && Array.isArray(diffIds) && diffIds.length !== manifest.layers.length) {
    problems.push(new LayerlabError('BAD_JSON', `config lists ${diffIds.length} diffIDs for ${manifest.layers.length} layers`, { file: manifestName }));
  }

  const layers: OpenedImage['layers'] = [];
  for (let i = 0; i < manifest.layers.length; i++) {
    const d = checkDescriptor(manifest.layers[i], `manifest layer ${i}`, manifestName);
    const base = { index: i, descriptor: d, digestIsClaim: true, expectedDiffId: diffIds?.[i] };
    if (!isKnownLayerMediaType(d.mediaType) && !isFormatMediaType(d.mediaType)) {
      // The bytes decide how the layer is read; an unknown type is worth saying, not fatal.
      problems.push(new LayerlabError('UNKNOWN_MEDIA_TYPE', `layer ${i} has media type ${d.mediaType ?? '(none)'}, which is not an OCI or Docker layer type; reading it by its content`,
        { file: manifestName, layer: i, layerDigest: d.digest }));
    }
    try {
      const { source, path } = await openBlob(dir, d, `layer ${i}`);
      layers.push({ ...base, source, path: `${dir.name}/${path}` });
    } catch (e) {
      // A missing or mis-sized layer is that layer's problem; the others are still worth showing.
      if (!(e instanceof LayerlabError)) throw e;
      layers.push({ ...base, source: fromBytes(new Uint8Array(0), d.digest), path: `${dir.name}/${blobPath(d.digest)}`,
        openError: e.withContext({ layer: i, layerDigest: d.digest }) });
    }
  }
  return {
    kind: o.kind ?? 'oci-layout', name: dir.name, size: o.size ?? 0, platforms,
    index, manifest, manifestDigest: chosen.digest, manifestDescriptor: chosen, config, configDigest: configDesc.digest, configBytes, layers, problems,
  };
}

function checkManifestList(index: ImageIndex, file: string): Descriptor[] {
  if (!Array.isArray(index.manifests)) throw new LayerlabError('BAD_JSON', 'index has no manifests array', { file });
  return index.manifests.map((d, i) => checkDescriptor(d, `manifests[${i}]`, file));
}

function platformOptions(descs: Descriptor[]): PlatformOption[] {
  return descs.filter((d) => d.platform?.os && d.platform.architecture)
    .map((d) => ({ platform: formatPlatform(d.platform!), digest: d.digest, mediaType: d.mediaType ?? MediaType.ociManifest }));
}
