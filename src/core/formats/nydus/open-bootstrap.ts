import type { ByteSource } from '../../bytes/byte-source.ts';
import { decompress } from '../../compress/decompress.ts';
import { detectCompression } from '../../compress/sniff.ts';
import { createSha256 } from '../../digest/sha256.ts';
import { LayerlabError, type ErrorContext } from '../../errors.ts';
import { readTarEntries } from '../../tar/tar-stream.ts';
import { parseBlobMetaFile, type BlobMeta } from './blob-meta.ts';
import { decodeBootstrapV5, isRafsV5 } from './bootstrap-v5.ts';
import { decodeBootstrapV6, isRafsV6 } from './bootstrap-v6.ts';
import { concatBytes } from '../../bytes/concat.ts';
import { looksLikeLayerBlob, openNydusLayerBlob, readEntry, type NydusLayerBlob } from './layer-blob.ts';
import { RECORD, type Bootstrap } from './types.ts';

/** A decoded bootstrap plus the findings nydus would tolerate. */
export type DecodedBootstrap = Bootstrap & { problems: string[] };

/** Placeholder blob id of per-layer inlined bootstraps (§3.11). */
export const INLINE_BLOB_ID = 'x'.repeat(64);

/** Decodes bootstrap bytes of either version (§4.13 step 1 detection). */
export function decodeBootstrap(bytes: Uint8Array, context: ErrorContext = {}, signal?: AbortSignal): DecodedBootstrap {
  if (isRafsV5(bytes)) return decodeBootstrapV5(bytes, context, signal);
  if (isRafsV6(bytes)) return decodeBootstrapV6(bytes, context, signal);
  throw new LayerlabError('UNKNOWN_FORMAT', 'not a RAFS bootstrap (no v5 magic at 0, no EROFS magic with the RAFS_V6 bit at 1024)', { ...context, offset: 0 });
}

/** What `openNydus` found behind a source. */
export interface OpenedNydus {
  kind: 'bootstrap' | 'layer-blob' | 'bootstrap-layer';
  bootstrap: DecodedBootstrap;
  /** The per-layer nydus tar (kind 'layer-blob'): also the data blob of its bootstrap. */
  layerBlob?: NydusLayerBlob;
  /** sha256 hex of a layer blob: the id its inlined bootstrap's `"x"×64` blob stands for. */
  layerDigestHex?: string;
  /** `image/<hex>.blob.meta` members of a bootstrap layer (§6.4), by blob id. */
  blobMetas: Map<string, BlobMeta>;
}

/**
 * Opens SRC as a bare bootstrap (v5 or v6), a per-layer nydus tar (its `image.boot` is
 * extracted, §2.6), or a bootstrap layer tar.gz holding `image/image.boot` (or `image.boot`, §6.4).
 */
export async function openNydus(src: ByteSource, o: { signal?: AbortSignal } = {}): Promise<OpenedNydus> {
  const ctx: ErrorContext = { file: src.name };
  const head = await src.read(0, Math.min(src.size, 1024 + 16), o.signal);
  if (isRafsV5(head) || isRafsV6(head)) {
    return { kind: 'bootstrap', bootstrap: decodeBootstrap(await src.read(0, src.size, o.signal), ctx, o.signal), blobMetas: new Map() };
  }
  if (detectCompression(head) === 'gzip') return openBootstrapLayer(src, o.signal);
  if (await looksLikeLayerBlob(src, o.signal)) {
    const layerBlob = await openNydusLayerBlob(src, { signal: o.signal });
    const boot = await readEntry(layerBlob, RECORD.boot, o.signal);
    const bootstrap = decodeBootstrap(boot, { ...ctx, entry: RECORD.boot }, o.signal);
    const h = await createSha256();
    for await (const c of src.stream({ signal: o.signal })) h.update(c);
    const layerDigestHex = h.digest().slice('sha256:'.length);
    return { kind: 'layer-blob', bootstrap, layerBlob, layerDigestHex, blobMetas: new Map() };
  }
  throw new LayerlabError('UNKNOWN_FORMAT', 'not a nydus bootstrap, per-layer nydus blob or bootstrap layer', { ...ctx, offset: 0 });
}

async function openBootstrapLayer(src: ByteSource, signal?: AbortSignal): Promise<OpenedNydus> {
  const ctx: ErrorContext = { file: src.name };
  let boot: Uint8Array | undefined;
  const blobMetas = new Map<string, BlobMeta>();
  for await (const { entry, body } of readTarEntries(decompress(src.stream({ signal }), 'gzip', { signal, file: src.name }), { file: src.name })) {
    const name = entry.name.replace(/^\.?\//, '');
    const meta = /^image\/([0-9a-f]{64})\.blob\.meta$/.exec(name);
    if (name !== 'image/image.boot' && name !== 'image.boot' && !meta) continue;
    const parts: Uint8Array[] = [];
    for await (const c of body) parts.push(c.slice());
    const bytes = concatBytes(parts);
    if (meta) blobMetas.set(meta[1], parseBlobMetaFile(bytes, `${src.name}:${name}`));
    else boot = bytes;
  }
  if (!boot) throw new LayerlabError('NOT_FOUND', 'bootstrap layer has no image/image.boot', ctx);
  return { kind: 'bootstrap-layer', bootstrap: decodeBootstrap(boot, { ...ctx, entry: 'image/image.boot' }, signal), blobMetas };
}

/** The blob id a blob entry stands for: the layer digest for an inlined bootstrap's placeholder (§4.13 step 5). */
export function effectiveBlobId(opened: OpenedNydus, id: string): string {
  return id === INLINE_BLOB_ID && opened.layerDigestHex ? opened.layerDigestHex : id;
}
