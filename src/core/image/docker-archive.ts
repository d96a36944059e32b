import type { ByteSource } from '../bytes/byte-source.ts';
import type { DirectorySource } from '../bytes/directory-source.ts';
import { normalizeRelative } from '../bytes/directory-source.ts';
import { LayerlabError } from '../errors.ts';
import { sha256Digest } from '../digest/sha256.ts';
import { fromBytes } from '../bytes/memory-source.ts';
import type { OpenedImage } from './opened-image.ts';
import type { LayerBlob } from '../layer/layer.ts';
import type { ImageConfig } from './types.ts';
import { readJsonSource } from './json-blob.ts';

interface DockerManifestEntry {
  Config: string;
  RepoTags?: string[] | null;
  Layers: string[];
}

/** Longest parent chain accepted in the pre-1.10 layout (a loop guard). */
const MAX_LEGACY_CHAIN = 1000;

/**
 * Opens a `docker save` archive's contents (moby image/tarexport). Two shapes:
 * - `manifest.json` (Docker ≥ 1.10): the first entry's `Config` and `Layers` paths. The paths are
 *   `<id>/layer.tar` (Docker < 25, often symlinks to `<diffid>.tar`) or `blobs/sha256/<hex>`.
 * - legacy (no manifest.json): `repositories` names the top image id; each `<id>/json` names its
 *   `parent`; layers are `<id>/layer.tar` from the root down; the top `<id>/json` is the config.
 * A layer's digest is the sha256 of its bytes as stored (computed while analysing).
 */
export async function openDockerArchive(dir: DirectorySource, o: { size?: number; signal?: AbortSignal } = {}): Promise<OpenedImage> {
  const manifestFile = await dir.open('manifest.json');
  const problems: LayerlabError[] = [];
  let configPath: string;
  let layerPaths: string[];
  let repoTags: string[] | undefined;
  if (manifestFile) {
    const { value } = await readJsonSource<DockerManifestEntry[]>(manifestFile, 'manifest.json', o.signal);
    if (!Array.isArray(value) || value.length === 0) {
      throw new LayerlabError('BAD_JSON', 'manifest.json lists no images', { file: `${dir.name}/manifest.json` });
    }
    const entry = value[0];
    if (typeof entry?.Config !== 'string' || !Array.isArray(entry.Layers) || entry.Layers.some((l) => typeof l !== 'string')) {
      throw new LayerlabError('BAD_JSON', 'manifest.json entry 0 has no Config or Layers', { file: `${dir.name}/manifest.json` });
    }
    if (value.length > 1) {
      problems.push(new LayerlabError('UNSUPPORTED', `manifest.json lists ${value.length} images; showing the first (${entry.RepoTags?.[0] ?? entry.Config})`, { file: `${dir.name}/manifest.json` }));
    }
    configPath = entry.Config;
    layerPaths = entry.Layers;
    if (Array.isArray(entry.RepoTags)) repoTags = entry.RepoTags.filter((t) => typeof t === 'string');
  } else {
    ({ configPath, layerPaths } = await legacyChain(dir, o.signal));
  }

  const cfgSource = await dir.open(normalizeRelative(configPath));
  let config: ImageConfig | undefined;
  let configDigest: string | undefined;
  let configBytes: Uint8Array | undefined;
  if (!cfgSource) {
    problems.push(new LayerlabError('MISSING_BLOB', `config ${configPath} is missing`, { file: `${dir.name}/${configPath}` }));
  } else {
    const { value, bytes } = await readJsonSource<ImageConfig>(cfgSource, 'config', o.signal);
    config = value;
    configBytes = bytes;
    configDigest = await sha256Digest(bytes);
  }
  const diffIds = config?.rootfs?.diff_ids;
  if (Array.isArray(diffIds) && diffIds.length !== layerPaths.length) {
    problems.push(new LayerlabError('BAD_JSON', `config lists ${diffIds.length} diffIDs for ${layerPaths.length} layers`, { file: `${dir.name}/${configPath}` }));
  }

  const layers: LayerBlob[] = [];
  for (let i = 0; i < layerPaths.length; i++) {
    const path = normalizeRelative(layerPaths[i]);
    let source: ByteSource | undefined;
    let openError: LayerlabError | undefined;
    try {
      source = await dir.open(path);
    } catch (e) {
      if (!(e instanceof LayerlabError)) throw e;
      openError = e.withContext({ layer: i });
    }
    const base = {
      index: i, digestIsClaim: false, expectedDiffId: diffIds?.[i], path: `${dir.name}/${path}`,
      // Filled in from the bytes during analysis; the media type follows the sniffed compression.
      descriptor: { mediaType: '', digest: '', size: source?.size ?? 0 },
    };
    if (source) layers.push({ ...base, source });
    else layers.push({ ...base, source: fromBytes(new Uint8Array(0), path),
      openError: openError ?? new LayerlabError('MISSING_BLOB', `layer ${i} file ${path} is missing`, { file: `${dir.name}/${path}`, layer: i }) });
  }
  return {
    kind: 'docker-archive', name: dir.name, size: o.size ?? 0, platforms: [],
    config, configDigest, configBytes, repoTags, layers, problems,
  };
}

async function legacyChain(dir: DirectorySource, signal?: AbortSignal): Promise<{ configPath: string; layerPaths: string[] }> {
  const repos = await dir.open('repositories');
  if (!repos) throw new LayerlabError('UNKNOWN_FORMAT', 'docker-archive without manifest.json or repositories', { file: dir.name });
  const { value } = await readJsonSource<Record<string, Record<string, string>>>(repos, 'repositories', signal);
  const top = Object.values(value).flatMap((tags) => Object.values(tags ?? {}))[0];
  if (typeof top !== 'string' || !/^[0-9a-f]{64}$/.test(top)) {
    throw new LayerlabError('BAD_JSON', 'repositories names no image id', { file: `${dir.name}/repositories` });
  }
  const chain: string[] = [];
  for (let id: string | undefined = top; id; ) {
    if (chain.length > MAX_LEGACY_CHAIN || chain.includes(id)) throw new LayerlabError('BAD_JSON', 'legacy parent chain loops', { file: `${dir.name}/${id}/json` });
    chain.push(id);
    const json = await dir.open(`${id}/json`);
    if (!json) throw new LayerlabError('MISSING_BLOB', `legacy image ${id}/json is missing`, { file: `${dir.name}/${id}/json` });
    const parent: unknown = (await readJsonSource<{ parent?: string }>(json, `${id}/json`, signal)).value.parent;
    id = typeof parent === 'string' && parent ? parent.replace(/^sha256:/, '') : undefined;
  }
  chain.reverse();
  return { configPath: `${top}/json`, layerPaths: chain.map((id) => `${id}/layer.tar`) };
}
