import type { ByteSink } from '../bytes/byte-sink.ts';
import type { Compression } from '../compress/sniff.ts';
import type { Digest } from '../digest/digest.ts';
import { createSha256 } from '../digest/sha256.ts';
import { eventLoopTurns } from '../event-loop-turn.ts';
import { LayerlabError, checkAborted, toLayerlabError } from '../errors.ts';
import { detectLayer, encodingAnnotations, formatById, metadataLayerFormat } from '../formats/registry.ts';
import { blobPath } from '../image/json-blob.ts';
import { MediaType } from '../image/media-types.ts';
import type { OpenedImage } from '../image/opened-image.ts';
import type { LayerBlob } from '../layer/layer.ts';
import type { Descriptor, ImageConfig, ImageIndex, ImageManifest, Platform } from '../image/types.ts';
import type { LongOperation } from '../progress.ts';
import type { BlobSpool } from '../store/blob-spool.ts';
import type { ImageSink } from './image-sink.ts';
import { encodeJson } from './image-sink.ts';
import type { LayerFormatWriter, SourceLayer, WrittenLayer } from '../formats/layer-format.ts';
import { uncompressed } from '../layer/layer.ts';
import { sourceDigest } from '../digest/source-digest.ts';
import type { ByteSource } from '../bytes/byte-source.ts';

/** Docker schema 2 or OCI media types in the output manifest. */
export type ManifestStyle = 'docker' | 'oci';

export interface ConvertImageOptions extends LongOperation {
  writer: LayerFormatWriter;
  /** Where converted layers wait until their digest and size are known (an archive needs both up front). */
  spool: BlobSpool;
  /** 'keep' (default): a Docker image stays Docker, an OCI image OCI; 'oci': write OCI media types. */
  mediaTypes?: 'keep' | 'oci';
  /**
   * Stored digest → diffID pairs an earlier full read of those exact bytes verified (the app's
   * analysis: both digests checked). A layer whose digest is a claim this conversion checks, and
   * whose pair matches the config's diffID, is not hashed a second time: equal stored bytes
   * decompress to an equal tar. Saves a SHA-256 of every uncompressed byte (~4 ms/MB).
   */
  verifiedDiffIds?: ReadonlyMap<string, string>;
}

/** What happened to one layer. */
export interface LayerConversion {
  index: number;
  /** 'added': a layer the target adds, with no source layer (a format's metadata layer: Nydus's bootstrap layer). */
  action: 'converted' | 'kept' | 'added';
  /** Why a layer was kept as it was ("already gzip"). */
  reason?: string;
  /** Absent for an added layer. */
  /** `lazy`: the source layer's lazy-pull format (a registry format id), when it had one. */
  from?: { digest: Digest; size: number; mediaType: string; compression: Compression; lazy?: string };
  to: Descriptor;
  diffId: Digest;
  summary?: string;
  seconds: number;
}

/** One converted manifest, ready to be listed in the output index. */
export interface ConvertedManifest {
  /** The manifest descriptor, with its platform and the source's index annotations. */
  descriptor: Descriptor;
  manifest: ImageManifest;
  configDigest: Digest;
  style: ManifestStyle;
  layers: LayerConversion[];
  /** Things worth telling (a media type change the target forced). */
  notes: string[];
  repoTags?: string[];
}


/**
 * Converts one opened image's layers with `writer` and writes the blobs (layers, config,
 * manifest) to `sink`. Data streams once per layer: stored bytes → stored-digest check →
 * decompress → writer → spool → sink. The stored digest (and, where the tar is unchanged, the
 * diffID) of every source layer is checked on the way; a mismatch stops the conversion, since an
 * output made from damaged input would carry the damage under fresh, valid digests.
 *
 * The index (or docker manifest.json) is not written here: several platforms may go into one
 * output (./finish-output.ts).
 */
export async function convertImage(img: OpenedImage, sink: ImageSink, o: ConvertImageOptions): Promise<ConvertedManifest> {
  if (img.kind === 'layer') throw new LayerlabError('UNSUPPORTED', 'a lone layer blob has no manifest; convert it with convertLayerBlob', { file: img.name });
  // An image in a format with image-level metadata layers (Nydus's bootstrap layer, spec nydus.md
  // §6.5) converts back per file-carrying layer; the metadata layers and their history go (§7.2).
  const metaFormat = img.layers.map((l) => metadataLayerFormat(l.descriptor)).find((f) => f);
  if (metaFormat && metaFormat.id === o.writer.target) throw new LayerlabError('UNSUPPORTED', `the image already is a ${metaFormat.label} image`, { file: img.name });
  const sourceLayers = metaFormat ? img.layers.filter((l) => !metaFormat.image!.isMetadataLayer(l.descriptor)) : img.layers;
  const total = sourceLayers.reduce((n, l) => n + l.source.size, 0);
  let doneBefore = 0;
  const results: { index: number; srcDesc: Descriptor; from?: LayerConversion['from']; written: WrittenLayer; out: { digest: Digest; size: number }; action: LayerConversion['action']; reason?: string; seconds: number }[] = [];
  for (const layer of sourceLayers) {
    if (layer.openError) throw layer.openError;
    const report = (n: number) => o.onProgress?.({
      phase: 'layers', layer: layer.index, layerDone: n, layerTotal: layer.source.size, done: doneBefore + n, total,
      message: `layer ${layer.index + 1} of ${sourceLayers.length}`,
    });
    const t0 = Date.now();
    const src = await describeSource(layer, o.signal, img);
    const reason = keptBecause(src, o.writer);
    if (reason) {
      const digest = await copyKept(layer, sink, o.signal, report);
      const diffId = layer.expectedDiffId ?? '';
      // A kept lazy layer must still say where its index is (docker-archive sources carry no annotations).
      const annotations = { ...src.descriptor.annotations, ...src.detected.keepAnnotations };
      results.push({ index: layer.index, srcDesc: layer.descriptor, from: fromOf(src, digest), out: { digest, size: layer.source.size }, action: 'kept', reason, seconds: (Date.now() - t0) / 1000,
        written: { compression: src.compression, diffId, annotations } });
    } else {
      const { written, out, storedDigest } = await convertLayer(layer, src, o, report, async (digest, content) => sink.addBlob(digest, content, o.signal), undefined, img);
      results.push({ index: layer.index, srcDesc: layer.descriptor, from: fromOf(src, storedDigest), out, written, action: 'converted', seconds: (Date.now() - t0) / 1000 });
    }
    doneBefore += layer.source.size;
  }

  const notes: string[] = [];
  const sourceStyle: ManifestStyle = img.manifest ? (img.manifest.mediaType === MediaType.dockerManifest ? 'docker' : 'oci') : 'docker';
  let style: ManifestStyle = o.mediaTypes === 'oci' ? 'oci' : sourceStyle;
  const zstdLayers = results.some((r) => r.written.compression === 'zstd');
  if (style === 'docker' && zstdLayers) {
    style = 'oci';
    notes.push('Docker schema 2 has no media type for these layers; the manifest is written with OCI media types');
  } else if (zstdLayers && sink.layout === 'docker-archive') {
    // image-spec media-types.md lists tar+zstd; Docker's image manifest v2 schema 2 has no zstd layer type.
    notes.push(`Docker schema 2 has no zstd layer type: this docker-archive describes its layers as ${MediaType.ociLayerZstd}; a loader that knows only Docker's schema may refuse them`);
  }

  const additions = await o.writer.finishImage?.(results.map((r) => ({ index: r.index, action: r.action as 'converted' | 'kept', written: r.written, digest: r.out.digest, size: r.out.size })), o.signal);
  for (const extra of additions?.layers ?? []) {
    const digest = await digestOf(extra.blob);
    await sink.addBlob(digest, extra.blob, o.signal);
    results.push({ index: results.length, srcDesc: { mediaType: '', digest, size: extra.blob.length }, out: { digest, size: extra.blob.length }, action: 'added', seconds: 0,
      written: { compression: extra.compression, diffId: extra.diffId, mediaType: extra.mediaType, annotations: extra.annotations, summary: extra.summary } });
  }

  const layers: LayerConversion[] = [];
  const descs: Descriptor[] = [];
  for (const r of results) {
    const srcDesc = r.srcDesc;
    const mediaType = r.written.mediaType ?? (r.action === 'kept' && style === sourceStyle && srcDesc.mediaType
      ? srcDesc.mediaType : layerMediaType(style, srcDesc.mediaType, r.written.compression));
    const annotations = { ...withoutEncodingAnnotations(r.action === 'kept' ? undefined : srcDesc.annotations), ...r.written.annotations };
    const d: Descriptor = { mediaType, digest: r.out.digest, size: r.out.size };
    if (Object.keys(annotations).length) d.annotations = annotations;
    descs.push(d);
    layers.push({ index: r.index, action: r.action, reason: r.reason, from: r.from, to: d, diffId: r.written.diffId,
      summary: r.written.summary, seconds: r.seconds });
  }

  const diffIds = layers.map((l) => l.diffId);
  const config = await writeConfig(img, diffIds, sink, o.signal, additions?.history, metaFormat?.image!.isOwnHistory);
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: style === 'docker' ? MediaType.dockerManifest : MediaType.ociManifest,
    config: { mediaType: style === 'docker' ? MediaType.dockerConfig : MediaType.ociConfig, digest: config.digest, size: config.size },
    layers: descs,
  };
  if (img.manifest?.annotations && style === 'oci') manifest.annotations = img.manifest.annotations;
  const manifestBytes = encodeJson(manifest);
  const manifestDigest = await digestOf(manifestBytes);
  await sink.addBlob(manifestDigest, manifestBytes, o.signal);
  const descriptor: Descriptor = { mediaType: manifest.mediaType!, digest: manifestDigest, size: manifestBytes.length };
  const platform = img.manifestDescriptor?.platform ?? platformOf(img.config);
  if (platform) {
    descriptor.platform = { ...platform };
    if (additions?.osFeatures?.length) descriptor.platform['os.features'] = [...new Set([...(platform['os.features'] ?? []), ...additions.osFeatures])];
  }
  if (img.manifestDescriptor?.annotations) descriptor.annotations = { ...img.manifestDescriptor.annotations };
  o.onProgress?.({ phase: 'done', layerDone: 0, layerTotal: 0, done: total, total });
  return { descriptor, manifest, configDigest: config.digest, style, layers, notes, repoTags: img.repoTags };
}

/**
 * Converts a lone layer blob (no manifest around it): the output is the converted blob itself,
 * written to `out`. Its annotations (eStargz TOC digest) are in the result.
 */
export async function convertLayerBlob(img: OpenedImage, out: ByteSink, o: Omit<ConvertImageOptions, 'spool' | 'mediaTypes'>): Promise<LayerConversion> {
  const layer = img.layers[0];
  if (img.kind !== 'layer' || !layer) throw new LayerlabError('INTERNAL', 'convertLayerBlob needs a lone layer');
  const t0 = Date.now();
  try {
    const src = await describeSource(layer, o.signal, img);
    const reason = keptBecause(src, o.writer);
    if (reason) throw new LayerlabError('UNSUPPORTED', `nothing to convert: the layer is ${reason.replace(/^already /, 'already ')}`, { file: layer.path });
    const report = (n: number) => o.onProgress?.({ phase: 'layers', layer: 0, layerDone: n, layerTotal: layer.source.size, done: n, total: layer.source.size });
    const { written, storedDigest, out: blob } = await convertLayer(layer, src, o, report, undefined, out, img);
    await out.close();
    return { index: 0, action: 'converted', from: fromOf(src, storedDigest),
      to: { mediaType: written.mediaType ?? layerMediaType('oci', src.descriptor.mediaType, written.compression), digest: blob.digest, size: blob.size, annotations: written.annotations },
      diffId: written.diffId, summary: written.summary, seconds: (Date.now() - t0) / 1000 };
  } catch (e) {
    await out.abort();
    throw e;
  }
}

/** What the writer is told about a source layer: what the format registry finds it to be. */
export async function describeSource(layer: LayerBlob, signal?: AbortSignal, image?: OpenedImage): Promise<SourceLayer> {
  const detected = await detectLayer(layer, { signal, image });
  return { index: layer.index, descriptor: layer.descriptor, compression: detected.compression, detected, path: layer.path };
}

/** Why a layer needs no work: it already is in the target format (and the target keeps such layers). */
function keptBecause(src: SourceLayer, writer: LayerFormatWriter): string | undefined {
  const format = formatById(src.detected.format);
  if (src.detected.format !== writer.target || !format || format.target?.keepsOwnLayers === false || writer.keeps?.(src.detected) === false) return undefined;
  return `already ${format.lazy ? format.label : format.id}`;
}

async function convertLayer(layer: LayerBlob, src: SourceLayer, o: Omit<ConvertImageOptions, 'spool' | 'mediaTypes'> & { spool?: BlobSpool },
  report: (n: number) => void, add: ((digest: Digest, content: ByteSource) => Promise<void>) | undefined, direct: ByteSink | undefined,
  image: OpenedImage) {
  const where = { layer: layer.index, layerDigest: layer.descriptor.digest || undefined, file: layer.path };
  const stored = await createSha256();
  const format = formatById(src.detected.format);
  // The layer's tar is the format's own (a Nydus blob unpacked from its bootstrap), or the stored
  // bytes decompressed up to `tarEnd` (an eStargz blob's stream before its TOC).
  const ownTar = format?.tar;
  const tarEnd = ownTar ? 0 : src.detected.tarEnd;
  // The diffID of a tar that is not the stored stream itself cannot be compared with the config's.
  const known = layer.digestIsClaim && !!layer.expectedDiffId && o.verifiedDiffIds?.get(layer.descriptor.digest) === layer.expectedDiffId;
  const tarHash = tarEnd !== undefined || known ? undefined : await createSha256();
  const turn = eventLoopTurns();
  let firstPassDone = false;
  let passes = 0;
  const tar = () => {
    // The first pass reads the stored bytes to their end, hashing them for the stored digest;
    // later passes stop where the tar ends.
    const first = passes++ === 0;
    const onStored = first ? (c: Uint8Array, done: number) => { stored.update(c); report(done); } : undefined;
    // The first pass also hashes the tar for the diffID, when the tar is the whole stored stream.
    const hash = first ? tarHash : undefined;
    return (async function* () {
      if (ownTar) {
        if (first) {
          let done = 0;
          for await (const c of layer.source.stream({ signal: o.signal, chunkSize: 1 << 20 })) {
            checkAborted(o.signal, { ...where, offset: done, offsetSpace: 'compressed' });
            stored.update(c); done += c.length; report(done);
          }
        }
        for await (const c of ownTar(layer, { image, signal: o.signal })) {
          yield c;
          await turn(); // lets a cancel in (event-loop-turn.ts)
        }
      } else {
        const { chunks } = await uncompressed(layer, { signal: o.signal, compression: src.compression, end: tarEnd, onStored, readToEnd: first, chunkSize: 1 << 20 });
        for await (const c of chunks) {
          hash?.update(c);
          yield c;
          await turn(); // lets a cancel in (event-loop-turn.ts)
        }
      }
      if (first) firstPassDone = true;
    })();
  };

  const spoolWriter = direct ? undefined : o.spool!.create(`layer-${layer.index}`, layer.source.size);
  const outHash = await createSha256();
  let outSize = 0;
  let written: WrittenLayer;
  try {
    written = await o.writer.write({
      layer: src, tar, file: layer.path, signal: o.signal,
      sink: async (chunk) => {
        if (!o.writer.hashesOutput) outHash.update(chunk);
        outSize += chunk.length;
        if (direct) await direct.write(chunk); else spoolWriter!.write(chunk);
      },
    });
    if (!firstPassDone) throw new LayerlabError('INTERNAL', `the ${o.writer.target} writer stopped before the end of the layer`, where);
  } catch (e) {
    spoolWriter?.discard();
    throw toLayerlabError(e).withContext(where);
  }
  const storedDigest = stored.digest();
  if (o.writer.hashesOutput && !written.blobDigest) throw new LayerlabError('INTERNAL', `the ${o.writer.target} writer gave no blob digest`, where);
  const out = { digest: o.writer.hashesOutput ? written.blobDigest! : outHash.digest(), size: outSize };
  try {
    if (layer.digestIsClaim && storedDigest !== layer.descriptor.digest) {
      throw new LayerlabError('DIGEST_MISMATCH', `layer ${layer.index} digest mismatch: the manifest says ${layer.descriptor.digest}, the blob is ${storedDigest}; not converting damaged input`, where);
    }
    const diff = tarHash?.digest();
    if (diff && layer.expectedDiffId && diff !== layer.expectedDiffId) {
      throw new LayerlabError('DIGEST_MISMATCH', `layer ${layer.index} diffID mismatch: the config says ${layer.expectedDiffId}, the layer's tar is ${diff}; not converting damaged input`, where);
    }
    if (add) await add(out.digest, await spoolWriter!.finish());
  } finally {
    if (add) spoolWriter?.discard();
  }
  return { written, out, storedDigest };
}

/**
 * Copies a layer that needs no conversion. Its digest names the blob in the output, so it is
 * known first (the manifest's claim, or for a docker-archive learnt by a pass over the blob) and
 * the copy is hashed as it is written: a claim that does not hold, or a blob that changed since
 * it was hashed, stops the conversion.
 */
async function copyKept(layer: LayerBlob, sink: ImageSink, signal: AbortSignal | undefined, report: (n: number) => void): Promise<Digest> {
  const src = layer.source;
  const claimed = layer.digestIsClaim && !!layer.descriptor.digest;
  const expected = claimed ? layer.descriptor.digest as Digest : await sourceDigest(src, { signal });
  const h = await createSha256();
  let n = 0;
  const hashing: ByteSource = {
    name: src.name, size: src.size, read: (offset, length, s) => src.read(offset, length, s),
    async *stream(opts) {
      for await (const c of src.stream(opts)) { h.update(c); n += c.length; report(n); yield c; }
    },
  };
  await sink.addBlob(expected, hashing, signal);
  const actual = h.digest();
  if (actual !== expected) {
    throw new LayerlabError('DIGEST_MISMATCH', claimed
      ? `layer ${layer.index} digest mismatch: the manifest says ${expected}, the blob is ${actual}`
      : `layer ${layer.index} changed while it was copied (${expected} when hashed, ${actual} when copied)`, { layer: layer.index, file: layer.path });
  }
  return expected;
}

async function writeConfig(img: OpenedImage, diffIds: Digest[], sink: ImageSink, signal?: AbortSignal, history?: ImageConfig['history'],
  dropHistory?: (h: NonNullable<ImageConfig['history']>[number]) => boolean): Promise<{ digest: Digest; size: number }> {
  const old = img.config?.rootfs?.diff_ids;
  const same = !history?.length && !dropHistory && img.configBytes && Array.isArray(old) && old.length === diffIds.length && old.every((d, i) => d === diffIds[i]);
  let bytes: Uint8Array;
  if (same) bytes = img.configBytes!;
  else {
    // Re-serialised from the parsed JSON, so fields layerlab does not know are kept.
    const cfg: ImageConfig & Record<string, unknown> = img.configBytes ? JSON.parse(new TextDecoder().decode(img.configBytes)) : { ...(img.config ?? {}) };
    cfg.rootfs = { type: 'layers', diff_ids: diffIds };
    if (dropHistory && cfg.history) cfg.history = cfg.history.filter((h) => !dropHistory(h));
    if (history?.length) cfg.history = [...(cfg.history ?? []), ...history];
    bytes = encodeJson(cfg);
  }
  const digest = await digestOf(bytes);
  await sink.addBlob(digest, bytes, signal);
  return { digest, size: bytes.length };
}

/**
 * The media type of a converted layer. Docker schema 2 has tar and tar+gzip (and foreign
 * tar+gzip); OCI has tar, tar+gzip, tar+zstd and their non-distributable variants
 * (image-spec media-types.md). A non-distributable source stays non-distributable.
 */
export function layerMediaType(style: ManifestStyle, source: string | undefined, c: Compression): string {
  const restricted = !!source && (source.includes('nondistributable') || source.includes('foreign'));
  if (style === 'docker') {
    if (c === 'gzip') return restricted ? MediaType.dockerForeignLayerGzip : MediaType.dockerLayerGzip;
    if (c === 'none' && !restricted) return MediaType.dockerLayer;
    throw new LayerlabError('INTERNAL', `no Docker media type for a ${c} layer`);
  }
  if (restricted) return c === 'gzip' ? MediaType.ociLayerNondistributableGzip : c === 'zstd' ? MediaType.ociLayerNondistributableZstd : MediaType.ociLayerNondistributable;
  return c === 'gzip' ? MediaType.ociLayerGzip : c === 'zstd' ? MediaType.ociLayerZstd : MediaType.ociLayer;
}

function withoutEncodingAnnotations(a: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  const drop = encodingAnnotations();
  for (const [k, v] of Object.entries(a ?? {})) if (!drop.has(k)) out[k] = v;
  return out;
}

function fromOf(src: SourceLayer, digest: Digest): LayerConversion['from'] {
  const lazy = formatById(src.detected.format)?.lazy ? src.detected.format : undefined;
  return { digest, size: src.descriptor.size, mediaType: src.descriptor.mediaType, compression: src.compression, ...(lazy ? { lazy } : {}) };
}

function platformOf(cfg: ImageConfig | undefined): Platform | undefined {
  if (!cfg?.os || !cfg.architecture) return undefined;
  return { architecture: cfg.architecture, os: cfg.os, ...(cfg.variant ? { variant: cfg.variant } : {}) };
}

async function digestOf(bytes: Uint8Array): Promise<Digest> {
  const h = await createSha256();
  h.update(bytes);
  return h.digest();
}

/**
 * Writes the top-level files for the converted manifests: the OCI index (one entry per
 * manifest, with its platform and ref name) and, for a docker-archive, `manifest.json`.
 */
export async function finishOutput(sink: ImageSink, manifests: ConvertedManifest[], signal?: AbortSignal): Promise<ImageIndex> {
  const index: ImageIndex = { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: manifests.map((m) => m.descriptor) };
  let dockerManifest;
  if (sink.layout === 'docker-archive') {
    if (manifests.length !== 1) throw new LayerlabError('UNSUPPORTED', `a docker-archive holds one platform; ${manifests.length} were converted (pick one with --platform)`);
    const m = manifests[0];
    const tags = m.repoTags ?? refTags(m.descriptor);
    dockerManifest = [{ Config: blobPath(m.configDigest), RepoTags: tags.length ? tags : null, Layers: m.manifest.layers.map((l) => blobPath(l.digest)) }];
  }
  await sink.finish({ index, dockerManifest }, signal);
  return index;
}

function refTags(d: Descriptor): string[] {
  const name = d.annotations?.['io.containerd.image.name'];
  return name ? [name] : [];
}
