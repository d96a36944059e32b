import { statSync, existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { ByteSource } from '../../../core/bytes/byte-source.ts';
import { checkNydus } from '../../../core/formats/nydus/check.ts';
import { treeListingTsv } from '../../../core/formats/nydus/listing.ts';
import { effectiveBlobId, openNydus, type OpenedNydus } from '../../../core/formats/nydus/open-bootstrap.ts';
import { NydusReader, type BlobLookup } from '../../../core/formats/nydus/reader.ts';
import { verifyToc } from '../../../core/formats/nydus/layer-blob.ts';
import type { BlobMeta } from '../../../core/formats/nydus/blob-meta.ts';
import type { BlobInfo } from '../../../core/formats/nydus/types.ts';
import { UsageError, type ParsedArgs } from '../../args.ts';
import { fromPath, inputFromPath, tempDirSpool } from '../../node-sources.ts';
import { fromUrl } from '../../../core/bytes/http-source.ts';
import { openImage } from '../../../core/image/open-image.ts';
import type { OpenedImage } from '../../../core/image/opened-image.ts';
import { toLayerlabError } from '../../../core/errors.ts';
import { byteString } from '../../../core/tar/tar-path.ts';
import {
  checkNydusImage, loadNydusBootstrap, nydusLayout, nydusSummary, readNydusFile, type LoadedBootstrap, type NydusLayout,
} from '../../../core/formats/nydus/image-reader.ts';

export const NYDUS_USAGE = `  layerlab nydus inspect SRC [--tree] [--json]               superblocks, blob table, prefetch, tree summary
  layerlab nydus check SRC [--blob DIR|FILE] [--layers D,…]  tree, chunk references, blob ids, chunk digests
  layerlab nydus cat SRC PATH [--blob FILE|DIR]              one file, fetching only its chunks
    (SRC: a whole Nydus image — OCI archive or layout —, a RAFS v5/v6 bootstrap, a per-layer
     nydus blob, or a bootstrap layer .tar.gz)`;

/** Flags of `nydus` that take a value. */
export const NYDUS_VALUED = ['blob', 'layers'];

/** `layerlab nydus inspect|check|cat SRC …`. */
export async function nydusCommand(args: ParsedArgs, signal: AbortSignal): Promise<number> {
  const [, sub, src, path] = args.positional;
  if (sub !== 'inspect' && sub !== 'check' && sub !== 'cat') throw new UsageError('nydus needs inspect, check or cat');
  if (!src) throw new UsageError(`nydus ${sub} needs SRC`);
  if (sub === 'cat' && !path) throw new UsageError('nydus cat needs PATH');
  const image = await openNydusImage(src, signal);
  if (image) {
    try {
      return await imageCommand(sub, image.img, image.layout, path, args, signal);
    } finally {
      image.dispose();
    }
  }
  const source = await fromPath(src);
  const opened = await openNydus(source, { signal });
  const blobFlag = args.flags.get('blob');
  const blobOf = await blobLookup(opened, source, typeof blobFlag === 'string' ? blobFlag : undefined);
  const knownMetas = metasByIndex(opened);
  switch (sub) {
    case 'inspect':
      if (args.flags.has('tree')) process.stdout.write(treeListingTsv(opened.bootstrap));
      else if (args.flags.has('json')) out(JSON.stringify(inspectJson(opened), null, 2));
      else out(inspectText(opened));
      return 0;
    case 'cat': {
      const reader = new NydusReader(opened.bootstrap, blobOf, knownMetas);
      const bytes = await reader.readFile(path, { signal });
      await new Promise<void>((res, rej) => process.stdout.write(bytes, (e) => (e ? rej(e) : res())));
      return 0;
    }
    case 'check': {
      const layers = args.flags.get('layers');
      const r = await checkNydus(opened.bootstrap, {
        blobOf, knownMetas, signal, blobIdOf: (b) => effectiveBlobId(opened, b.id),
        layerDigests: typeof layers === 'string' ? layers.split(',').filter(Boolean) : undefined,
      });
      // A per-layer blob: every TOC entry against its data (§2.5), image.blob's digest included.
      const toc = opened.layerBlob ? await verifyToc(opened.layerBlob, signal) : [];
      for (const t of toc) out(`toc ${t.name}: ${t.result}${t.detail ? ` (${t.detail})` : ''}`);
      const ok = r.ok && toc.every((t) => t.result === 'ok');
      for (const f of r.findings) out(`${f.severity}: ${f.message}${f.path ? ` (${f.path})` : ''}`);
      const c = r.counts;
      out(`RAFS v${opened.bootstrap.version}: ${c.dirs} dirs, ${c.files} files (+${c.hardlinkNames} hardlink names), ${c.symlinks} symlinks, ${c.other} other; ${c.uniqueChunks} unique chunks`);
      for (const v of r.verified) out(`blob ${v.blob} ${v.id}: ${v.available ? `${v.chunks} chunk(s) read and verified` : 'data not given (--blob): chunk digests not checked'}`);
      out(ok ? 'OK' : 'FAILED');
      return ok ? 0 : 1;
    }
  }
}

/** SRC as a whole Nydus image (manifest whose last layer is a bootstrap layer), or undefined. */
async function openNydusImage(src: string, signal: AbortSignal) {
  const spool = tempDirSpool();
  try {
    const input = /^https?:\/\//.test(src) ? { kind: 'file' as const, source: await fromUrl(src, { signal }) } : await inputFromPath(src);
    const img = await openImage(input, { spool, signal, contentHash: 'none' });
    const layout = nydusLayout(img);
    if (layout?.kind === 'image') return { img, layout, dispose: () => spool.dispose() };
  } catch (e) {
    if (toLayerlabError(e).code === 'ABORTED') throw e;
  }
  spool.dispose();
  return undefined;
}

/**
 * `nydus inspect|check|cat` of a whole image: the bootstrap layer's image.boot is the bootstrap,
 * the blob layers its data; each blob layer's own bootstrap and TOC are read too.
 */
async function imageCommand(sub: 'inspect' | 'check' | 'cat', img: OpenedImage, layout: NydusLayout, path: string | undefined, args: ParsedArgs, signal: AbortSignal): Promise<number> {
  const merged = await loadNydusBootstrap(img, layout.bootstrapLayer, signal);
  const ids = (b: BlobInfo) => merged.blobIds[b.index];
  const opened: OpenedNydus = { kind: 'bootstrap-layer', bootstrap: merged.boot, blobMetas: new Map() };
  switch (sub) {
    case 'inspect': {
      if (args.flags.has('tree')) { process.stdout.write(treeListingTsv(merged.boot)); return 0; }
      const perLayer = new Map<number, LoadedBootstrap>();
      for (const l of layout.blobLayers) perLayer.set(l, await loadNydusBootstrap(img, l, signal));
      const sum = nydusSummary(layout, merged, perLayer, merged.boot.size);
      if (args.flags.has('json')) {
        out(JSON.stringify({ image: { manifestDigest: img.manifestDigest, bootstrapLayer: layout.bootstrapLayer, blobLayers: layout.blobLayers, summary: sum },
          ...inspectJson(opened) as object, blobs: merged.boot.blobs.map((x) => ({ ...x, effectiveId: ids(x), layer: merged.blobLayer[x.index] })) }, null, 2));
        return 0;
      }
      out(`image ${img.manifestDigest ?? img.name}: ${layout.blobLayers.length} blob layer(s), bootstrap in layer ${layout.bootstrapLayer} (${img.layers[layout.bootstrapLayer].descriptor.digest})`);
      out(inspectText(opened).replace(/^bootstrap-layer: /, 'image bootstrap: '));
      out(`chunks: ${sum.chunks.refs} references, ${sum.chunks.unique} distinct, ${sum.chunks.uncompressedBytes} bytes uncompressed, ${sum.chunks.compressedBytes} compressed`);
      for (const l of sum.layers) {
        out(`layer ${l.layer} ${l.blobId}: ${l.storedChunks} chunk(s) stored (${l.storedCompressedBytes} bytes), ${l.chunkRefs} referenced, ${l.dedupChunks} from lower layers (${l.dedupBytes} bytes)`);
      }
      return 0;
    }
    case 'cat': {
      const key = byteString(new TextEncoder().encode((path ?? '').replace(/^\/+/, '').replace(/\/+$/, '')));
      const bytes = await readNydusFile(img, layout.bootstrapLayer, key, { signal });
      await new Promise<void>((res, rej) => process.stdout.write(bytes, (e) => (e ? rej(e) : res())));
      return 0;
    }
    case 'check': {
      const r = await checkNydusImage(img, layout.bootstrapLayer, { signal });
      let ok = r.ok;
      for (const f of r.findings) out(`${f.severity}: ${f.message}${f.path ? ` (${f.path})` : ''}`);
      const c = r.counts;
      out(`RAFS v${merged.boot.version} image bootstrap: ${c.dirs} dirs, ${c.files} files (+${c.hardlinkNames} hardlink names), ${c.symlinks} symlinks, ${c.other} other; ${c.uniqueChunks} unique chunks`);
      for (const v of r.verified) out(`blob ${v.blob} ${v.id} (layer ${merged.blobLayer[v.blob] ?? '?'}): ${v.available ? `${v.chunks} chunk(s) read and verified` : 'not in the image: chunk digests not checked'}`);
      // Each blob layer: its own bootstrap (structure and chunk references) and its TOC against its records.
      for (const l of layout.blobLayers) {
        const lr = await checkNydusImage(img, l, { signal });
        const bad = lr.findings.filter((f) => f.severity === 'error');
        for (const f of bad) out(`layer ${l}: error: ${f.message}${f.path ? ` (${f.path})` : ''}`);
        if (!lr.ok) ok = false;
        out(`layer ${l}: own bootstrap ${lr.ok ? 'ok' : 'FAILED'}, TOC ${lr.toc?.length ? lr.toc.every((t) => t.result === 'ok') ? `${lr.toc.length} entries ok` : 'mismatch' : 'absent'}`);
      }
      out(ok ? 'OK' : 'FAILED');
      return ok ? 0 : 1;
    }
  }
}

/**
 * Blob data for the bootstrap's blob entries: a per-layer nydus blob is its own data; `--blob`
 * names a file (the blob whose id is its name, or the only blob) or a folder of files named by
 * blob id.
 */
async function blobLookup(opened: OpenedNydus, source: ByteSource, flag: string | undefined): Promise<BlobLookup> {
  const map = new Map<number, ByteSource>();
  const blobs = opened.bootstrap.blobs;
  if (opened.kind === 'layer-blob' && blobs.length === 1) map.set(0, source);
  if (flag) {
    if (!existsSync(flag)) throw new UsageError(`--blob ${flag} does not exist`);
    if (statSync(flag).isDirectory()) {
      for (const b of blobs) {
        const p = join(flag, effectiveBlobId(opened, b.id));
        if (existsSync(p)) map.set(b.index, await fromPath(p));
      }
    } else {
      const b = blobs.find((x) => effectiveBlobId(opened, x.id) === basename(flag)) ?? (blobs.length === 1 ? blobs[0] : undefined);
      if (!b) throw new UsageError(`--blob ${flag}: the bootstrap has ${blobs.length} blobs and none is named ${basename(flag)}`);
      map.set(b.index, await fromPath(flag));
    }
  }
  return (b: BlobInfo) => map.get(b.index);
}

function metasByIndex(opened: OpenedNydus): Map<number, BlobMeta> {
  const m = new Map<number, BlobMeta>();
  for (const b of opened.bootstrap.blobs) {
    const meta = opened.blobMetas.get(effectiveBlobId(opened, b.id));
    if (meta) m.set(b.index, meta);
  }
  return m;
}

function inspectJson(o: OpenedNydus): unknown {
  const b = o.bootstrap;
  return {
    kind: o.kind, version: b.version, flags: b.flags, compressor: b.compressor, digester: b.digester, chunkSize: b.chunkSize,
    inodeCount: b.inodeCount, size: b.size, v6: b.v6, v5: b.v5, problems: b.problems, treeError: b.treeError,
    blobs: b.blobs.map((x) => ({ ...x, effectiveId: effectiveBlobId(o, x.id) })),
    prefetch: b.prefetch.map((nid) => ({ nid, paths: b.nodes.filter((n) => n.nid === nid).map((n) => n.path) })),
    chunkTableEntries: b.chunkTable.length,
    layerBlob: o.layerBlob && { records: o.layerBlob.records, toc: o.layerBlob.toc, notes: o.layerBlob.notes },
    summary: summary(o),
  };
}

function summary(o: OpenedNydus) {
  const s = { names: o.bootstrap.nodes.length, dirs: 0, files: 0, symlinks: 0, devices: 0, fifos: 0, sockets: 0, fileBytes: 0, chunkRefs: 0 };
  const seen = new Set<number>();
  for (const n of o.bootstrap.nodes) {
    if (n.type === 'dir') s.dirs++;
    else if (n.type === 'symlink') s.symlinks++;
    else if (n.type === 'char' || n.type === 'block') s.devices++;
    else if (n.type === 'fifo') s.fifos++;
    else if (n.type === 'socket') s.sockets++;
    else if (!seen.has(n.nid)) { seen.add(n.nid); s.files++; s.fileBytes += n.size; s.chunkRefs += n.chunks.length; }
  }
  return s;
}

function inspectText(o: OpenedNydus): string {
  const b = o.bootstrap;
  const lines = [`${o.kind}: RAFS v${b.version}, ${b.size} bytes`,
    `flags 0x${b.flags.toString(16)} (compressor ${b.compressor}, digester ${b.digester}), chunk size 0x${b.chunkSize.toString(16)}, inodes ${b.inodeCount}`];
  if (b.v6) {
    const { sb, ext } = b.v6;
    lines.push(`EROFS: root nid ${sb.rootNid}, meta_blkaddr ${sb.metaBlkaddr}, blocks ${sb.blocks}, extra devices ${sb.extraDevices}`,
      `tables: blob @${ext.blobTableOffset}+${ext.blobTableSize}, chunk @${ext.chunkTableOffset}+${ext.chunkTableSize}, prefetch @${ext.prefetchTableOffset}+${ext.prefetchTableSize}`);
  }
  if (b.v5) lines.push(`tables: inode @${b.v5.inodeTableOffset} (${b.v5.inodeTableEntries}), blob @${b.v5.blobTableOffset}+${b.v5.blobTableSize}, extended blob @${b.v5.extBlobTableOffset} (${b.v5.extBlobTableEntries})`);
  for (const x of b.blobs) {
    lines.push(`blob ${x.index}: ${effectiveBlobId(o, x.id)}${x.id !== effectiveBlobId(o, x.id) ? ` (stored as ${x.id.slice(0, 8)}…)` : ''}`,
      `  ${x.chunkCount} chunks, compressed ${x.compressedSize}, uncompressed ${x.uncompressedSize}, ${x.compressor}/${x.digester}, features 0x${x.features.toString(16)}` +
      (b.version === 6 ? `, CI ${x.ciCompressor} @${x.ciOffset}+${x.ciCompressedSize}→${x.ciUncompressedSize}, ToC ${x.tocSize}` : ''));
  }
  lines.push(`prefetch: ${b.prefetch.length ? b.prefetch.map((nid) => `${nid} ${b.nodes.find((n) => n.nid === nid)?.path ?? '?'}`).join(', ') : 'none'}`);
  if (o.layerBlob) {
    for (const r of o.layerBlob.records) lines.push(`record ${r.name}: [${r.offset}, ${r.offset + r.size}) header @${r.headerOffset}`);
    for (const t of o.layerBlob.toc?.entries ?? []) lines.push(`toc ${t.name}: ${t.compressor} @${t.compressedOffset}+${t.compressedSize}→${t.uncompressedSize} sha256 ${t.digest}`);
    for (const n of o.layerBlob.notes) lines.push(`note: ${n}`);
  }
  const s = summary(o);
  lines.push(b.treeError ? `tree: ${b.treeError}` : `tree: ${s.names} names: ${s.dirs} dirs, ${s.files} files (${s.fileBytes} bytes, ${s.chunkRefs} chunk refs), ${s.symlinks} symlinks, ${s.devices} devices, ${s.fifos} fifos, ${s.sockets} sockets`);
  for (const p of b.problems) lines.push(`problem: ${p}`);
  return lines.join('\n');
}

function out(s: string): void {
  process.stdout.write(s + '\n');
}
