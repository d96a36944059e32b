import { LayerlabError, checkAborted, toLayerlabError, type ErrorContext } from '../../errors.ts';
import type { ContentHasher } from '../../digest/content-hasher.ts';
import type { LayerHasherFactory } from '../../digest/digest.ts';
import type { BlobMeta } from './blob-meta.ts';
import { isNydusBlobLayer, isNydusBootstrapLayer } from './build/image.ts';
import { checkNydus, type CheckReport } from './check.ts';
import { openNydusLayerBlob, readEntry, verifyToc, type NydusLayerBlob } from './layer-blob.ts';
import { INLINE_BLOB_ID, decodeBootstrap, openNydus, type DecodedBootstrap } from './open-bootstrap.ts';
import { rdevParts } from './rafs-common.ts';
import { NydusReader } from './reader.ts';
import { BLOB_FEATURE, RECORD, type BlobInfo, type RafsNode } from './types.ts';
import type { OpenedImage } from '../../image/opened-image.ts';
import type { LayerBlob } from '../../layer/layer.ts';
import { emptyLayerScan, type LayerScan, type Marker, type NodeKind, type ScannedEntry } from '../../layer/layer-scan.ts';
import { sourceDigest } from '../../digest/source-digest.ts';
import { byteString, splitParent } from '../../tar/tar-path.ts';

/**
 * Nydus inputs in the image analysis (../shared/spec/nydus.md §6.5): an image whose last layer is
 * a bootstrap layer (`containerd.io/snapshot/nydus-bootstrap`) and whose other layers are
 * per-layer nydus blobs, or a lone bootstrap / per-layer blob. Blob layers are never read as
 * tars: their entries come from their own bootstrap (`image.boot` inside the blob), the merged
 * tree from the image's bootstrap, and file bytes from the chunks the bootstrap points at.
 */
export interface NydusLayout {
  kind: 'image' | 'bootstrap' | 'layer-blob';
  /** The layer holding the merged bootstrap: the bootstrap layer, or the lone input itself. */
  bootstrapLayer: number;
  /** Layers that are per-layer nydus blobs. */
  blobLayers: number[];
}

export function nydusLayout(img: OpenedImage): NydusLayout | undefined {
  const lone = img.loneInput?.format === NYDUS_FORMAT_ID ? img.loneInput.kind as 'bootstrap' | 'layer-blob' : undefined;
  if (lone) return { kind: lone, bootstrapLayer: 0, blobLayers: lone === 'layer-blob' ? [0] : [] };
  const ls = img.manifest?.layers;
  if (!ls?.length || !isNydusBootstrapLayer(ls[ls.length - 1])) return undefined;
  return { kind: 'image', bootstrapLayer: ls.length - 1, blobLayers: ls.flatMap((d, i) => (i < ls.length - 1 && isNydusBlobLayer(d) ? [i] : [])) };
}

/** A decoded bootstrap and how its blob entries map to the image's layers. */
export interface LoadedBootstrap {
  boot: DecodedBootstrap;
  /** The layer it was read from. */
  layer: number;
  /** Per blob index: the layer whose blob it is (undefined: not a layer of this image). */
  blobLayer: (number | undefined)[];
  /** Per blob index: the id it stands for (a per-layer blob's `"x"×64` is its own layer digest). */
  blobIds: string[];
  /** CI tables carried by a bootstrap layer (`image/<hex>.blob.meta`), by blob index. */
  metas: Map<number, BlobMeta>;
  /** The per-layer nydus tar, for a blob layer (records and TOC). */
  layerBlob?: NydusLayerBlob;
  byKey: Map<string, RafsNode>;
}

/** The format id: what `OpenedImage.loneInput` and `readerState` are keyed by. */
export const NYDUS_FORMAT_ID = 'nydus';

/** Per opened image: bootstraps decoded once, by layer. Kept in `img.readerState` (copies share it). */
interface NydusImageState {
  bootstraps: Map<number, Promise<LoadedBootstrap>>;
}

function stateOf(img: OpenedImage): NydusImageState {
  const states = (img.readerState ??= new Map());
  let st = states.get(NYDUS_FORMAT_ID) as NydusImageState | undefined;
  if (!st) states.set(NYDUS_FORMAT_ID, st = { bootstraps: new Map() });
  return st;
}

/** The bootstrap of `layer`: the merged one of a bootstrap layer (or lone bootstrap), or a blob layer's own. */
export function loadNydusBootstrap(img: OpenedImage, layer: number, signal?: AbortSignal): Promise<LoadedBootstrap> {
  const st = stateOf(img);
  let p = st.bootstraps.get(layer);
  if (!p) {
    p = loadBootstrap(img, layer, signal);
    st.bootstraps.set(layer, p);
    p.catch(() => { if (st.bootstraps.get(layer) === p) st.bootstraps.delete(layer); });
  }
  return p;
}

async function loadBootstrap(img: OpenedImage, index: number, signal?: AbortSignal): Promise<LoadedBootstrap> {
  const layer = img.layers[index];
  if (!layer) throw new LayerlabError('NOT_FOUND', `the image has no layer ${index}`, { layer: index });
  const ctx: ErrorContext = { file: layer.path, layer: index, layerDigest: layer.descriptor.digest || undefined };
  if (layer.openError) throw layer.openError;
  try {
    const src = layer.source;
    const layout = nydusLayout(img);
    let boot: DecodedBootstrap;
    let layerBlob: NydusLayerBlob | undefined;
    const metasById = new Map<string, BlobMeta>();
    if (layout?.blobLayers.includes(index)) {
      layerBlob = await openNydusLayerBlob(src, { signal, context: ctx });
      if (!layerBlob.records.some((r) => r.name === RECORD.boot) && !layerBlob.toc?.entries.some((e) => e.name === RECORD.boot)) {
        throw new LayerlabError('NOT_FOUND', 'this Nydus blob carries no bootstrap (no image.boot record): its files are described only by the image bootstrap', { ...ctx, offset: layerBlob.records.at(-1)?.headerOffset });
      }
      boot = decodeBootstrap(await readEntry(layerBlob, RECORD.boot, signal), { ...ctx, entry: RECORD.boot }, signal);
    } else {
      const opened = await openNydus(src, { signal });
      boot = opened.bootstrap;
      for (const [id, m] of opened.blobMetas) metasById.set(id, m);
    }
    const ownHex = layer.descriptor.digest.replace(/^sha256:/, '');
    const byDigest = new Map(img.layers.map((l) => [l.descriptor.digest.replace(/^sha256:/, ''), l.index]));
    const blobIds = boot.blobs.map((b) => (b.id === INLINE_BLOB_ID && ownHex ? ownHex : b.id));
    // A per-layer bootstrap lists its own blob first (§3.11: stored as "x"×64, or its digest); a
    // lone blob's digest is not known yet, so its first blob is taken as its own.
    const blobLayer = blobIds.map((id, i) => byDigest.get(id) ?? (layerBlob && i === 0 && (boot.blobs[0].id === INLINE_BLOB_ID || !ownHex) ? index : undefined));
    const metas = new Map<number, BlobMeta>();
    blobIds.forEach((id, i) => { const m = metasById.get(id); if (m) metas.set(i, m); });
    const byKey = new Map<string, RafsNode>();
    for (const n of boot.nodes) byKey.set(nodeKey(n), n);
    return { boot, layer: index, blobLayer, blobIds, metas, layerBlob, byKey };
  } catch (e) {
    throw toLayerlabError(e, ctx);
  }
}

/** A node's path as the analysis keys it: a byte string without the leading '/' ('' = root). */
export function nodeKey(n: RafsNode): string {
  const p = n.rawPath ?? byteString(new TextEncoder().encode(n.path));
  return p.replace(/^\/+/, '');
}

/** A reader over `loaded`, taking blob data from the layers of `img` (which may count what is read). */
export function nydusReader(img: OpenedImage, loaded: LoadedBootstrap): NydusReader {
  return new NydusReader(loaded.boot, (b: BlobInfo) => {
    const l = loaded.blobLayer[b.index];
    return l === undefined ? undefined : img.layers[l]?.source;
  }, loaded.metas);
}

/**
 * Reads a file through bootstrap `bootLayer`, fetching only its chunks. `key` is the analysis key
 * (byte string, no leading '/').
 */
export async function readNydusFile(img: OpenedImage, bootLayer: number, key: string, o: { offset?: number; length?: number; signal?: AbortSignal } = {}): Promise<Uint8Array> {
  const loaded = await loadNydusBootstrap(img, bootLayer, o.signal);
  const node = loaded.byKey.get(key);
  if (!node) throw new LayerlabError('NOT_FOUND', `no /${key} in the bootstrap of layer ${bootLayer}`, { layer: bootLayer, entry: key });
  try {
    return await nydusReader(img, loaded).readFile(node, { offset: o.offset, length: o.length, signal: o.signal });
  } catch (e) {
    const err = toLayerlabError(e, { entry: node.path });
    if (err.code === 'MISSING_BLOB') err.message += loaded.layerBlob ? ' (this layer reuses chunks of a lower layer: open the whole image to read it)' : '';
    throw err;
  }
}

/** `checkNydus` over the image: blob data from the layers, blob ids against the manifest. */
export async function checkNydusImage(img: OpenedImage, bootLayer: number, o: { signal?: AbortSignal } = {}): Promise<CheckReport & { toc?: { name: string; result: string; detail?: string }[] }> {
  const loaded = await loadNydusBootstrap(img, bootLayer, o.signal);
  const layout = nydusLayout(img);
  const report = await checkNydus(loaded.boot, {
    signal: o.signal,
    knownMetas: loaded.metas,
    blobIdOf: (b) => loaded.blobIds[b.index],
    blobOf: (b) => { const l = loaded.blobLayer[b.index]; return l === undefined ? undefined : img.layers[l]?.source; },
    layerDigests: layout?.kind === 'image' ? img.layers.map((l) => l.descriptor.digest) : undefined,
  });
  if (loaded.layerBlob) {
    const toc = await verifyToc(loaded.layerBlob, o.signal);
    for (const t of toc) if (t.result !== 'ok') { report.ok = false; report.findings.push({ severity: 'error', message: `TOC entry ${t.name}: ${t.detail ?? 'mismatch'}`, offset: t.offset }); }
    return { ...report, toc };
  }
  return report;
}

// ─── the analysis ─────────────────────────────────────────────────────────────────────────────

export interface NydusScanOptions {
  signal?: AbortSignal;
  /** Content hashes: sha256 reads every file's chunks; xxh128 hashes each file's chunk digest list (no data read). */
  hasher?: ContentHasher;
  /** Hash each blob layer whole for its digest (default true). */
  digests?: boolean;
  digestHasher?: LayerHasherFactory;
  onBytes?(done: number): void;
}

/**
 * Turns bootstraps into the analysis' LayerScan shape: the same entries, markers and counts a tar
 * scan gives, so the OCI merge rules, changes, waste and trees work unchanged.
 */
export class NydusScanner {
  /** Content hash per file content (chunk digest list), so shared content is read once. */
  private readonly hashes = new Map<string, string>();

  constructor(private readonly img: OpenedImage, private readonly o: NydusScanOptions) {}

  /** A blob layer (or lone input): its own bootstrap's entries; its digest by one pass over the blob. */
  async scanLayer(layer: LayerBlob, onBytes?: (n: number) => void): Promise<{ scan: LayerScan; loaded?: LoadedBootstrap }> {
    const scan = emptyLayerScan('none');
    const ctx: ErrorContext = { file: layer.path, layer: layer.index, layerDigest: layer.descriptor.digest || undefined };
    let loaded: LoadedBootstrap | undefined;
    try {
      if (layer.openError) throw layer.openError;
      if (this.o.digests !== false || !layer.digestIsClaim) {
        scan.digest = await sourceDigest(layer.source, { signal: this.o.signal, hasher: this.o.digestHasher, onBytes });
      }
      // A nydus blob's diffID is its own digest (§6.5: blobs count as uncompressed).
      scan.diffID = scan.digest;
      scan.uncompressedSize = layer.source.size;
      loaded = await loadNydusBootstrap(this.img, layer.index, this.o.signal);
      await this.fill(scan, loaded, true);
    } catch (e) {
      const err = toLayerlabError(e, ctx);
      if (err.code === 'ABORTED') throw err;
      scan.error = err;
    }
    return { scan, loaded };
  }

  /** The merged bootstrap as one scan: `.wh.*` names are kept as files (a Nydus mount shows what the bootstrap holds). */
  async scanMerged(bootLayer: number): Promise<{ scan: LayerScan; loaded: LoadedBootstrap }> {
    const loaded = await loadNydusBootstrap(this.img, bootLayer, this.o.signal);
    const scan = emptyLayerScan('none');
    await this.fill(scan, loaded, false);
    return { scan, loaded };
  }

  private async fill(scan: LayerScan, loaded: LoadedBootstrap, markers: boolean): Promise<void> {
    if (loaded.boot.treeError) scan.warnings.push(new LayerlabError('UNSUPPORTED', `the bootstrap's tree could not be read: ${loaded.boot.treeError}`, { layer: loaded.layer }));
    const readable = loaded.blobLayer.some((l) => l !== undefined);
    const reader = readable ? nydusReader(this.img, loaded) : undefined;
    const firstName = new Map<number, string>();
    for (const n of loaded.boot.nodes) {
      checkAborted(this.o.signal);
      const key = nodeKey(n);
      if (!key) continue;
      const [parent, base] = splitParent(key);
      if (markers && base.startsWith('.wh.')) {
        const opaque = base === '.wh..wh..opq';
        const m: Marker = { target: opaque ? parent : (parent ? parent + '/' : '') + base.slice(4), opaque, key, headerOffset: n.inodeOffset };
        scan.markers.push(m);
        continue;
      }
      let kind: NodeKind | undefined = n.type === 'socket' ? undefined : n.type;
      if (!kind) continue;
      let link: string | undefined;
      // Hard links are names sharing an inode; the first in tree order stands for the file (which
      // name the tar stored first is not recorded in a bootstrap).
      if (kind === 'file' && n.nlink > 1) {
        const first = firstName.get(n.nid);
        if (first !== undefined) { kind = 'hardlink'; link = first; } else firstName.set(n.nid, key);
      }
      if (kind === 'symlink') link = n.rawSymlink ?? byteString(new TextEncoder().encode(n.symlink ?? ''));
      const dev = kind === 'char' || kind === 'block' ? rdevParts(n.rdev) : { major: 0, minor: 0 };
      const size = kind === 'file' ? n.size : 0;
      const e: ScannedEntry = {
        key, kind, mode: n.mode & 0o7777, uid: n.uid, gid: n.gid, uname: '', gname: '', size, mtime: n.mtime, link,
        devmajor: dev.major, devminor: dev.minor, headerOffset: n.inodeOffset, dataOffset: 0, sparse: false,
      };
      if (n.xattrs.size) e.xattrs = n.xattrs;
      scan.counts[kind]++;
      scan.fileBytes += size;
      if (kind === 'file' && this.o.hasher) e.hash = await this.hashOf(n, reader, loaded);
      scan.entries.push(e);
    }
  }

  /** sha256: the file's bytes, read chunk by chunk; xxh128: its chunk list (digests, or blob id + CI index). */
  private async hashOf(n: RafsNode, reader: NydusReader | undefined, loaded: LoadedBootstrap): Promise<string | undefined> {
    const h = this.o.hasher!;
    const id = n.size + ':' + n.chunks.map((c) => c.info?.digest || `${loaded.blobIds[c.blobIndex]}/${c.ciIndex}`).join(',');
    const known = this.hashes.get(id);
    if (known) return known;
    h.begin();
    if (h.kind === 'sha256') {
      if (!reader) return undefined;
      for (const ref of n.chunks) {
        checkAborted(this.o.signal, { entry: n.path });
        const info = await reader.chunkInfo(ref, n, this.o.signal);
        const data = await reader.readChunk(ref, info, n, { signal: this.o.signal, verify: false });
        const from = 0, to = Math.min(data.length, n.size - ref.fileOffset);
        h.update(data.subarray(from, Math.max(0, to)));
      }
    } else {
      h.update(new TextEncoder().encode(id));
    }
    const out = h.end();
    this.hashes.set(id, out);
    return out;
  }
}


/** The feature words `nydus-image check` prints (§8.1). */
export function blobFeatureNames(f: number): string[] {
  const out: string[] = [];
  const names: [number, string][] = [
    [BLOB_FEATURE.aligned, 'aligned'], [BLOB_FEATURE.batch, 'batch'], [BLOB_FEATURE.capTarToc, 'cap_toc'],
    [BLOB_FEATURE.inlinedChunkDigest, 'chunk-digest'], [BLOB_FEATURE.chunkInfoV2, 'chunk-v2'], [BLOB_FEATURE.inlinedFsMeta, 'fs-meta'],
    [BLOB_FEATURE.separate, 'separate'], [BLOB_FEATURE.hasTarHeader, 'tar-header'], [BLOB_FEATURE.hasToc, 'toc'], [BLOB_FEATURE.zran, 'zran'],
    [BLOB_FEATURE.encrypted, 'encrypted'], [BLOB_FEATURE.isChunkdictGenerated, 'is-chunkdict-generated'],
  ];
  for (const [bit, name] of names) if (f & bit) out.push(name);
  return out;
}

/** The report's `nydus` section: the merged bootstrap's tables and per-layer chunk figures. */
export function nydusSummary(layout: NydusLayout, merged: LoadedBootstrap, perLayer: Map<number, LoadedBootstrap>, bootstrapSize: number): NydusSummary {
  const b = merged.boot;
  const byNid = new Map<number, string>();
  for (const n of b.nodes) if (!byNid.has(n.nid)) byNid.set(n.nid, n.path);
  const chunkFigures = (boot: DecodedBootstrap, own?: number) => {
    const seen = new Set<number>();
    const unique = new Map<string, { c: number; u: number; blob: number }>();
    let refs = 0;
    for (const n of boot.nodes) {
      if (n.type !== 'file' || seen.has(n.nid)) continue;
      seen.add(n.nid);
      for (const r of n.chunks) {
        refs++;
        const k = `${r.blobIndex}:${r.ciIndex}`;
        if (!unique.has(k)) unique.set(k, { c: r.info?.compressedSize ?? 0, u: r.info?.uncompressedSize ?? 0, blob: r.blobIndex });
      }
    }
    let c = 0, u = 0, lowerChunks = 0, lowerBytes = 0;
    for (const x of unique.values()) {
      c += x.c; u += x.u;
      if (own !== undefined && x.blob !== own) { lowerChunks++; lowerBytes += x.u; }
    }
    return { refs, unique: unique.size, compressedBytes: c, uncompressedBytes: u, lowerChunks, lowerBytes };
  };
  const all = chunkFigures(b);
  return {
    input: layout.kind,
    bootstrapLayer: layout.bootstrapLayer,
    bootstrapSize,
    rafsVersion: b.version,
    flags: b.flags,
    compressor: b.compressor,
    digester: b.digester,
    chunkSize: b.chunkSize,
    inodes: b.inodeCount,
    names: b.nodes.length,
    blobs: b.blobs.map((x) => ({
      index: x.index, id: merged.blobIds[x.index], layer: merged.blobLayer[x.index], chunkCount: x.chunkCount, chunkSize: x.chunkSize,
      compressedSize: x.compressedSize, uncompressedSize: x.uncompressedSize, compressor: x.compressor, digester: x.digester,
      features: x.features, featureNames: blobFeatureNames(x.features),
    })),
    prefetch: b.prefetch.map((nid) => ({ nid, path: byNid.get(nid) ?? '?' })),
    chunks: { refs: all.refs, unique: all.unique, compressedBytes: all.compressedBytes, uncompressedBytes: all.uncompressedBytes },
    layers: [...perLayer.entries()].sort((x, y) => x[0] - y[0]).map(([layer, l]) => {
      const own = l.blobLayer.indexOf(layer);
      const f = chunkFigures(l.boot, own < 0 ? undefined : own);
      const ownBlob = own < 0 ? undefined : l.boot.blobs[own];
      return {
        layer, blobId: own < 0 ? '' : l.blobIds[own], chunkRefs: f.refs, uniqueChunks: f.unique,
        storedChunks: ownBlob?.chunkCount ?? 0, storedCompressedBytes: ownBlob?.compressedSize ?? 0, storedUncompressedBytes: ownBlob?.uncompressedSize ?? 0,
        dedupChunks: f.lowerChunks, dedupBytes: f.lowerBytes,
        lowerBlobs: l.blobIds.filter((_, i) => i !== own),
      };
    }),
    problems: b.problems,
  };
}

/**
 * A Nydus input as its bootstraps describe it (../shared/spec/nydus.md §4, §6.5, §8): the merged
 * bootstrap's superblock figures, blob and prefetch tables, and per blob layer how many chunks it
 * stores and how many it takes from lower layers (chunk dedup).
 */
export interface NydusSummary {
  /** A whole image (blob layers + bootstrap layer), a lone bootstrap, or a lone per-layer blob. */
  input: 'image' | 'bootstrap' | 'layer-blob';
  /** Layer index of the merged bootstrap (the bootstrap layer; 0 for a lone input). */
  bootstrapLayer: number;
  /** Bytes of the bootstrap (image.boot). */
  bootstrapSize: number;
  rafsVersion: 5 | 6;
  /** RAFS super flags. */
  flags: number;
  compressor: string;
  digester: string;
  chunkSize: number;
  inodes: number;
  /** Names in the tree (hard links count once per name). */
  names: number;
  blobs: {
    index: number;
    /** The layer digest hex it stands for. */
    id: string;
    /** The layer holding it (undefined: not in this image). */
    layer?: number;
    chunkCount: number;
    chunkSize: number;
    compressedSize: number;
    uncompressedSize: number;
    compressor: string;
    digester: string;
    features: number;
    featureNames: string[];
  }[];
  prefetch: { nid: number; path: string }[];
  /** Over the merged tree's files (each inode once): chunk references, distinct chunks and their sizes. */
  chunks: { refs: number; unique: number; compressedBytes: number; uncompressedBytes: number };
  /** Per blob layer, from its own bootstrap. */
  layers: {
    layer: number;
    blobId: string;
    chunkRefs: number;
    uniqueChunks: number;
    /** Chunks stored in this layer's blob, and their sizes. */
    storedChunks: number;
    storedCompressedBytes: number;
    storedUncompressedBytes: number;
    /** Chunks this layer's files take from lower layers' blobs (cross-layer dedup), and their uncompressed bytes. */
    dedupChunks: number;
    dedupBytes: number;
    lowerBlobs: string[];
  }[];
  /** What the bootstrap decoder tolerated. */
  problems: string[];
}
