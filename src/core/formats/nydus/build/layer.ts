/**
 * OCI layer tar → per-layer nydus tar, as `nydus-image create --type tar-rafs --fs-version 6
 * --blob-inline-meta --features blob-toc --whiteout-spec none` writes it (spec §2, §3, §5):
 *
 *   [chunk data][hdr image.blob] [CI array][CI header][hdr blob.meta] [digests][hdr blob.digest]
 *   [image.boot (zstd)][hdr image.boot] [TOC][hdr rafs.blob.toc]
 *
 * Streaming: chunks leave through `sink` in order as their digests and compression come back
 * from the pool (memory: the window of 2 × pool-size chunks in flight plus the metadata tree); the
 * bootstrap is written by the AssemblyScript RAFS v6 writer at the end.
 */
import { inlineCompressionPool, type CompressionPool, type StoredChunk } from '../../../compress/compression-pool.ts';
import { encodeLz4Block } from '../../../compress/lz4-block-encoder.ts';
import type { Digest } from '../../../digest/digest.ts';
import { createSha256, sha256Hex } from '../../../digest/sha256.ts';
import { LayerlabError, checkAborted, toLayerlabError, type ErrorContext } from '../../../errors.ts';
import { readTarEntries } from '../../../tar/tar-stream.ts';
import type { TarEntry } from '../../../tar/tar-types.ts';
import { BLOB_FEATURE, CHUNK_FLAG, CI_HEADER, COMPRESSOR_CODES, EROFS_BLOCK, RAFS_FLAG, RECORD, TOC_ENTRY, TOC_FLAG, type Compressor, type Digester } from '../types.ts';
import { nydusRecordHeader } from './record-header.ts';
import { fromHex } from '../../../bytes/hex.ts';
import {
  S_IFDIR, S_IFLNK, S_IFMT, S_IFREG, isDirNode, isRegNode, nameKey, newDir, pathOf, writeBootstrap, xattrIndex,
  type BlobRecord, type ChunkLoc, type ChunkRecord, type TreeNode,
} from './tree.ts';

export interface NydusBuildOptions {
  /** Power of two, 4 KiB … 16 MiB; default 1 MiB (§3.1). */
  chunkSize?: number;
  /** zstd (level 3), lz4_block (raw LZ4 blocks, §3.3) or none. */
  compressor?: 'zstd' | 'lz4_block' | 'none';
  digester?: 'blake3' | 'sha256';
  /** Prefetch patterns (absolute paths); default ['/'] as the converter passes. */
  prefetch?: string[];
  /**
   * Digests and compresses chunks (zstd level 3), on other cores when it is a worker pool; default
   * in line. Twice its size chunks are kept in flight.
   */
  pool?: CompressionPool;
  /** Chunks of lower layers: found chunks are referenced there instead of stored again (§3.5 chunk dict). */
  chunkDict?: NydusChunkDict;
  signal?: AbortSignal;
  /** Tar bytes consumed so far. */
  onProgress?: (bytesIn: number) => void;
  file?: string;
  layer?: number;
}

export const NYDUS_BUILD_DEFAULTS = { chunkSize: 0x100000, compressor: 'zstd', digester: 'blake3', prefetch: ['/'], level: 3 } as const;

export interface NydusLayerResult {
  /** Hex sha256 of the layer tar stream (= its OCI digest without `sha256:`). */
  blobId: string;
  /** The per-layer bootstrap as stored in image.boot (uncompressed). */
  bootstrap: Uint8Array;
  layerTarSize: number;
  /** sha256 of the layer tar stream (nydus blob layers are their own DiffID). */
  diffId: Digest;
  /** File chunks (references) in the layer. */
  chunks: number;
  /** Chunks stored in this layer's blob. */
  uniqueChunks: number;
  /** Chunks found in lower layers (chunk dict) and referenced there. */
  dictChunks: number;
  /** Uncompressed bytes not stored thanks to those references. */
  dedupSavedBytes: number;
  /** Chunk data bytes in this blob (compressed as stored). */
  compressedSize: number;
  /** Blob cache size (Σ 4K-rounded chunk sizes). */
  uncompressedSize: number;
  /** This layer's blob as later bootstraps reference it (id = blobId); undefined without chunk data. */
  blob?: BlobRecord;
  /** This blob's chunks by digest: feed to `addToChunkDict` for later layers. */
  blobChunks: DictChunk[];
  /** CI data (uncompressed) + the 4096-byte header, for image/<hex>.blob.meta (§3.7.5). */
  blobMeta?: { ciData: Uint8Array; header: Uint8Array };
}

/** A chunk stored in some blob, as a chunk dictionary knows it. */
export interface DictChunk {
  digest: string;
  ciIndex: number;
  compressedOffset: number;
  compressedSize: number;
  uncompressedOffset: number;
  uncompressedSize: number;
  compressed: boolean;
}

/** Chunks of earlier layers' blobs, by digest (first blob to store a chunk wins). */
export interface NydusChunkDict {
  digester: Digester;
  chunkSize: number;
  blobs: BlobRecord[];
  chunks: Map<string, { blob: number; chunk: DictChunk }>;
}

export function createChunkDict(digester: Digester = 'blake3', chunkSize: number = NYDUS_BUILD_DEFAULTS.chunkSize): NydusChunkDict {
  return { digester, chunkSize, blobs: [], chunks: new Map() };
}

/** Adds a built layer's blob and its chunks to the dictionary. */
export function addToChunkDict(dict: NydusChunkDict, layer: NydusLayerResult): void {
  if (!layer.blob) return;
  const b = dict.blobs.length;
  dict.blobs.push({ ...layer.blob, features: layer.blob.features & ~BLOB_FEATURE.inlinedFsMeta });
  for (const c of layer.blobChunks) if (!dict.chunks.has(c.digest)) dict.chunks.set(c.digest, { blob: b, chunk: c });
}

const SKIPPED = new Set(['/stargz.index.json', '/.prefetch.landmark', '/.no.prefetch.landmark']);
const PLACEHOLDER_ID = 'x'.repeat(64);
const te = new TextEncoder();

/** `/` + components; `.` dropped; `..` and empty names refused (§5 "path"). */
function splitPath(entry: TarEntry, ctx: ErrorContext): Uint8Array[] {
  const raw = entry.nameBytes;
  const parts: Uint8Array[] = [];
  let s = 0;
  for (let i = 0; i <= raw.length; i++) {
    if (i === raw.length || raw[i] === 0x2f) {
      const p = raw.subarray(s, i);
      s = i + 1;
      if (p.length === 0 || (p.length === 1 && p[0] === 0x2e)) continue;
      if (p.length === 2 && p[0] === 0x2e && p[1] === 0x2e) throw new LayerlabError('UNSAFE_PATH', `tar entry ${JSON.stringify(entry.name)} has a ".." component`, ctx);
      if (p.length > 255) throw new LayerlabError('UNSUPPORTED', `tar entry ${JSON.stringify(entry.name)} has a ${p.length}-byte name component (EROFS allows 255)`, ctx);
      parts.push(p);
    }
  }
  return parts;
}

/** RAFS super flags of a bootstrap (§4.3). */
export function rafsFlags(compressor: Compressor, digester: Digester, hasXattr: boolean, inlinedChunkDigest: boolean): number {
  const c = compressor === 'zstd' ? RAFS_FLAG.compressionZstd : compressor === 'none' ? RAFS_FLAG.compressionNone : compressor === 'lz4_block' ? RAFS_FLAG.compressionLz4 : RAFS_FLAG.compressionGzip;
  const d = digester === 'sha256' ? RAFS_FLAG.hashSha256 : RAFS_FLAG.hashBlake3;
  return (c | d | RAFS_FLAG.explicitUidGid | (hasXattr ? RAFS_FLAG.hasXattr : 0) | (inlinedChunkDigest ? RAFS_FLAG.inlinedChunkDigest : 0) | RAFS_FLAG.encryptionNone) >>> 0;
}

/** Resolves prefetch patterns (absolute paths) to tree nodes; missing paths are ignored. */
export function resolvePrefetch(root: TreeNode, patterns: readonly string[]): TreeNode[] {
  const out: TreeNode[] = [];
  for (const p of patterns) {
    let n: TreeNode | undefined = root;
    for (const part of p.split('/').filter((x) => x && x !== '.')) n = n?.children?.get(nameKey(te.encode(part)));
    if (n && !out.includes(n)) out.push(n);
  }
  return out;
}

/** Streams the nydus layer tar (blob data, blob.meta, blob.digest, bootstrap, TOC) to sink. */
export async function buildNydusLayer(tar: AsyncIterable<Uint8Array>, sink: (chunk: Uint8Array) => void | Promise<void>, options: NydusBuildOptions = {}): Promise<NydusLayerResult> {
  const base: ErrorContext = { file: options.file, layer: options.layer };
  try {
    return await build(tar, sink, options, base);
  } catch (e) {
    throw toLayerlabError(e, base);
  }
}

async function build(tar: AsyncIterable<Uint8Array>, sink: (chunk: Uint8Array) => void | Promise<void>, o: NydusBuildOptions, base: ErrorContext): Promise<NydusLayerResult> {
  const chunkSize = o.chunkSize ?? NYDUS_BUILD_DEFAULTS.chunkSize;
  if (!Number.isInteger(chunkSize) || chunkSize < 0x1000 || chunkSize > 0x1000000 || (chunkSize & (chunkSize - 1)) !== 0) {
    throw new LayerlabError('UNSUPPORTED', `nydus chunk size ${chunkSize} is not a power of two in [4 KiB, 16 MiB]`, base);
  }
  const compressor: Compressor = o.compressor ?? NYDUS_BUILD_DEFAULTS.compressor;
  const digester: Digester = o.digester ?? NYDUS_BUILD_DEFAULTS.digester;
  const dict = o.chunkDict;
  if (dict && (dict.digester !== digester || dict.chunkSize !== chunkSize)) {
    throw new LayerlabError('UNSUPPORTED', `chunk dictionary uses ${dict.digester}/${dict.chunkSize}, this layer ${digester}/${chunkSize}: they must match`, base);
  }
  const pool = o.pool ?? inlineCompressionPool();
  if (compressor !== 'zstd' && compressor !== 'lz4_block' && compressor !== 'none') {
    throw new LayerlabError('UNSUPPORTED', `nydus chunk compressor ${JSON.stringify(compressor)} is not zstd, lz4_block or none`, base);
  }
  const chunkJob = { kind: 'chunk', digester, compressor, level: NYDUS_BUILD_DEFAULTS.level } as const;
  /** A unit other than a chunk (CI array, image.boot), kept raw if compressing does not shrink it (spec checklist 11). */
  const storeUnit = async (raw: Uint8Array, c: Compressor): Promise<{ stored: Uint8Array; compressor: Compressor }> => {
    if (c === 'none') return { stored: raw, compressor: 'none' };
    // the pool may take (transfer) what it is given: it gets a copy
    const z = c === 'lz4_block' ? encodeLz4Block(raw) : (await pool.run(raw.slice(), { kind: 'zstd-frame', level: NYDUS_BUILD_DEFAULTS.level })).data;
    return z.length < raw.length ? { stored: z, compressor: c } : { stored: raw, compressor: 'none' };
  };

  // output: position, stream hash (diffID = blob id), image.blob hash (data + its header)
  // image.blob (the chunk data and its header) is a prefix of the stream: when the hasher can
  // tell a prefix's digest (peek) the data is hashed once, not twice.
  const streamHash = await createSha256();
  const blobHash = streamHash.peek ? undefined : await createSha256();
  let pos = 0;
  let inBlob = true;
  const emit = async (b: Uint8Array) => {
    if (!b.length) return;
    streamHash.update(b);
    if (inBlob) blobHash?.update(b);
    pos += b.length;
    await sink(b);
  };

  // the tree (§5)
  const root = newDir(new Uint8Array(0), undefined);
  let hasXattr = false;

  // chunks of this blob: CI entries in index order
  const own: DictChunk[] = [];
  const ownByDigest = new Map<string, DictChunk>();
  let uncompressed = 0;
  let refs = 0;
  let dictRefs = 0;
  let saved = 0;
  /** dict blob index → local blob key (≥ 1; key 0 = own blob), resolved at the end. */
  const dictUse = new Map<number, number>();
  /** chunk-table entries by (blob key, ci). */
  const table = new Map<string, ChunkRecord & { blobKey: number }>();

  // A full chunk's buffer is handed to the pool whole (transferred, not copied) and replaced; the
  // tail of a file is copied out, so small files do not each cost a chunk-sized buffer.
  let chunkBuf = new Uint8Array(chunkSize);
  // A chunk's digest, and so whether it is stored or referenced, and its compressed offset are
  // known only once the pool has digested and compressed it and the chunks before it are placed.
  // So a chunk is queued with a location to fill in, its job runs meanwhile, and it is placed when
  // it reaches the head of the queue: the same order, CI indexes and bytes as placing at once. The
  // window bounds memory: a few chunks, not the layer.
  const inFlight: { loc: ChunkLoc; size: number; fileOffset: number; job: Promise<StoredChunk>; ctx: ErrorContext }[] = [];
  const window = Math.max(2, 2 * pool.size);
  const placeHead = async () => {
    const { loc, size, fileOffset, job, ctx } = inFlight.shift()!;
    const { digest, data: stored, compressed } = await job;
    let c = ownByDigest.get(digest);
    let blobKey = 0;
    if (!c && dict) {
      const hit = dict.chunks.get(digest);
      if (hit && hit.chunk.uncompressedSize === size) {
        let k = dictUse.get(hit.blob);
        if (k === undefined) { k = dictUse.size + 1; dictUse.set(hit.blob, k); }
        blobKey = k;
        c = hit.chunk;
        dictRefs++;
        saved += size;
      }
    }
    if (!c) {
      if (own.length >= 1 << 24) throw new LayerlabError('TOO_LARGE', 'more than 2^24 chunks in one blob', ctx);
      c = { digest, ciIndex: own.length, compressedOffset: pos, compressedSize: stored.length, uncompressedOffset: uncompressed, uncompressedSize: size, compressed };
      own.push(c);
      ownByDigest.set(digest, c);
      uncompressed += Math.ceil(size / EROFS_BLOCK) * EROFS_BLOCK;
      await emit(stored);
    }
    table.set(`${blobKey}:${c.ciIndex}`, {
      digest, blobKey, blobIndex: 0, flags: c.compressed ? CHUNK_FLAG.compressed : 0, compressedSize: c.compressedSize,
      uncompressedSize: c.uncompressedSize, compressedOffset: c.compressedOffset, uncompressedOffset: c.uncompressedOffset,
      fileOffset, ciIndex: c.ciIndex,
    });
    loc.blob = blobKey;
    loc.ci = c.ciIndex;
    loc.blkaddr = c.uncompressedOffset / EROFS_BLOCK;
  };
  /** `data` must be a buffer of its own (whole): the pool may transfer it to a worker. */
  const addChunk = async (data: Uint8Array, fileOffset: number, ctx: ErrorContext): Promise<ChunkLoc> => {
    checkAborted(o.signal, ctx);
    refs++;
    const loc: ChunkLoc = { blob: 0, ci: -1, blkaddr: 0 };
    const size = data.length; // before the pool takes the buffer (a transferred view reads as empty)
    const job = pool.run(data, chunkJob).then((r): StoredChunk => ({ digest: r.digest!, data: r.data, compressed: !!r.compressed }));
    job.catch(() => {});
    inFlight.push({ loc, size, fileOffset, job, ctx });
    if (inFlight.length >= window) await placeHead();
    return loc;
  };

  let bytesIn = 0;
  let lastProgress = 0;
  async function* counted(): AsyncIterable<Uint8Array> {
    for await (const c of tar) {
      bytesIn += c.length;
      if (o.onProgress) {
        const now = Date.now();
        if (now - lastProgress >= 100) { lastProgress = now; o.onProgress(bytesIn); }
      }
      yield c;
    }
  }

  for await (const { entry, body } of readTarEntries(counted(), { file: o.file })) {
    const ctx: ErrorContext = { ...base, entry: entry.name, offset: entry.headerOffset, offsetSpace: 'uncompressed' };
    checkAborted(o.signal, ctx);
    const parts = splitPath(entry, ctx);
    const path = '/' + parts.map((p) => new TextDecoder().decode(p)).join('/');
    if (SKIPPED.has(path)) continue;
    let type: number;
    switch (entry.type) {
      case 'file': type = S_IFREG; break;
      case 'hardlink': type = S_IFREG; break;
      case 'symlink': type = S_IFLNK; break;
      case 'char': type = 0o020000; break;
      case 'block': type = 0o060000; break;
      case 'dir': type = S_IFDIR; break;
      case 'fifo': type = 0o010000; break;
      default:
        throw new LayerlabError('UNSUPPORTED', `tar entry ${JSON.stringify(entry.name)} has type ${JSON.stringify(entry.typeflag)}, which nydus does not accept (sparse, contiguous and other special members)`, ctx);
    }
    if (entry.typeflag === '7') throw new LayerlabError('UNSUPPORTED', `tar entry ${JSON.stringify(entry.name)} is a contiguous file ('7'), which nydus does not accept`, ctx);

    // xattrs: PAX SCHILY.xattr.* only (LIBARCHIVE.xattr.* is ignored by nydus), five namespaces
    const xattrs = new Map<string, Uint8Array>();
    for (const [k, v] of entry.pax) {
      if (!k.startsWith('SCHILY.xattr.')) continue;
      const name = k.slice('SCHILY.xattr.'.length);
      if (!xattrIndex(name)) throw new LayerlabError('UNSUPPORTED', `tar entry ${JSON.stringify(entry.name)} has xattr ${JSON.stringify(name)}, outside the namespaces RAFS allows (user., trusted., security., system.posix_acl_access/default)`, ctx);
      if (name.length > 255 || v.length > 65535) throw new LayerlabError('UNSUPPORTED', `tar entry ${JSON.stringify(entry.name)}: xattr ${JSON.stringify(name)} is too long`, ctx);
      xattrs.set(name, v);
    }
    if (xattrs.size) hasXattr = true;

    // find/create the parent (missing parents: 040755, root-owned, mtime 0)
    let parent: TreeNode | undefined = root;
    for (let i = 0; i < parts.length - 1 && parent; i++) {
      const k = nameKey(parts[i]);
      let next = parent.children!.get(k);
      if (!next) { next = newDir(parts[i], parent); parent.children!.set(k, next); }
      else if (!isDirNode(next)) {
        // umoci writes whiteouts for the old children of a directory the same layer replaces
        // with a file (`was-dir` then `was-dir/.wh.a`). The file already hides the whole lower
        // directory (image-spec layer.md), so such a whiteout says nothing and has no place in
        // the tree; any other member below a file is a broken tar.
        if (isWhiteoutName(parts[parts.length - 1])) { parent = undefined; break; }
        throw new LayerlabError('BAD_TAR', `tar entry ${JSON.stringify(entry.name)}: ${pathOf(next)} is not a directory`, ctx);
      }
      parent = next;
    }
    if (!parent) continue;
    const mode = ((entry.mode & ~S_IFMT) | type) >>> 0;
    const mtime = Math.max(0, Math.floor(entry.mtime));
    const attrs = { mode, uid: entry.uid, gid: entry.gid, mtime, mtimeNsec: 0 };

    if (parts.length === 0) { // "./" or "/": the root's attributes
      if (type !== S_IFDIR) throw new LayerlabError('BAD_TAR', `tar entry ${JSON.stringify(entry.name)} names the root but is not a directory`, ctx);
      Object.assign(root, attrs);
      root.data.xattrs = xattrs;
      continue;
    }
    const key = nameKey(parts[parts.length - 1]);
    const existing = parent.children!.get(key);

    if (entry.type === 'hardlink') {
      const tparts = splitPath({ ...entry, nameBytes: entry.linknameBytes, name: entry.linkname }, ctx);
      let t: TreeNode | undefined = root;
      for (const p of tparts) t = t?.children?.get(nameKey(p));
      if (!t || t === root) throw new LayerlabError('BAD_TAR', `hard link ${JSON.stringify(entry.name)} → ${JSON.stringify(entry.linkname)}: the target is not earlier in this layer`, ctx);
      if (!isRegNode(t)) throw new LayerlabError('UNSUPPORTED', `hard link ${JSON.stringify(entry.name)} → ${JSON.stringify(entry.linkname)}: the target is a ${isDirNode(t) ? 'directory' : 'special file'}; nydus links regular files only`, ctx);
      if (t === existing) continue;
      const n: TreeNode = { name: parts[parts.length - 1], parent, mode: t.mode, uid: t.uid, gid: t.gid, mtime: t.mtime, mtimeNsec: 0, rdev: 0, data: t.data };
      parent.children!.set(key, n);
      continue;
    }

    let node: TreeNode;
    if (existing && isDirNode(existing) && type === S_IFDIR) {
      node = existing; // a directory declared again keeps its children (§5 "duplicate path")
    } else {
      node = { name: parts[parts.length - 1], parent, mode, uid: 0, gid: 0, mtime: 0, mtimeNsec: 0, rdev: 0, data: { size: 0, chunks: [], xattrs: new Map() } };
      if (type === S_IFDIR) node.children = new Map();
      parent.children!.set(key, node);
    }
    Object.assign(node, attrs);
    node.data = { size: 0, chunks: [], xattrs };
    node.symlink = undefined;
    node.rdev = 0;
    if (type === S_IFLNK) {
      const target = entry.linknameBytes;
      if (target.length === 0 || target.length > 4095) {
        throw new LayerlabError('UNSUPPORTED', `symlink ${JSON.stringify(entry.name)} has a ${target.length}-byte target (nydusd accepts 1–4095)`, ctx);
      }
      node.symlink = target.slice();
    } else if (type === 0o020000 || type === 0o060000) {
      const { devmajor: ma, devminor: mi } = entry;
      node.rdev = ((mi & 0xff) | ((ma & 0xfff) << 8) | ((mi & ~0xff) << 12)) >>> 0;
    } else if (type === S_IFREG) {
      // chunk the data as it streams (§3.1): chunk i = bytes [i·chunk, (i+1)·chunk)
      const size = entry.size;
      node.data.size = size;
      let fill = 0;
      let fileOffset = 0;
      const chunks: ChunkLoc[] = node.data.chunks;
      for await (const piece of body) {
        let p = 0;
        while (p < piece.length) {
          const take = Math.min(chunkSize - fill, piece.length - p);
          chunkBuf.set(piece.subarray(p, p + take), fill);
          fill += take;
          p += take;
          if (fill === chunkSize) {
            const full = chunkBuf;
            chunkBuf = new Uint8Array(chunkSize);
            chunks.push(await addChunk(full, fileOffset, { ...ctx, offset: entry.dataOffset + fileOffset }));
            fileOffset += fill;
            fill = 0;
          }
        }
      }
      if (fill > 0) chunks.push(await addChunk(chunkBuf.slice(0, fill), fileOffset, { ...ctx, offset: entry.dataOffset + fileOffset }));
    }
  }
  while (inFlight.length) await placeHead();
  o.onProgress?.(bytesIn);

  // ── records after the chunk data ──
  const toc: Uint8Array[] = [];
  const tocEntry = (name: string, flags: number, digestHex: string, offset: number, csize: number, usize: number) => {
    const e = new Uint8Array(TOC_ENTRY.size);
    const dv = new DataView(e.buffer);
    dv.setUint32(TOC_ENTRY.flagsAt, flags, true);
    e.set(te.encode(name), TOC_ENTRY.nameAt);
    e.set(fromHex(digestHex, 32), TOC_ENTRY.digestAt);
    dv.setBigUint64(TOC_ENTRY.offsetAt, BigInt(offset), true);
    dv.setBigUint64(TOC_ENTRY.compressedSizeAt, BigInt(csize), true);
    dv.setBigUint64(TOC_ENTRY.uncompressedSizeAt, BigInt(usize), true);
    toc.push(e);
  };
  const tocFlag = (c: Compressor) => (c === 'zstd' ? TOC_FLAG.zstd : c === 'lz4_block' ? TOC_FLAG.lz4Block : TOC_FLAG.none);

  const hasBlob = own.length > 0;
  const features = BLOB_FEATURE.aligned | BLOB_FEATURE.inlinedFsMeta | BLOB_FEATURE.inlinedChunkDigest | BLOB_FEATURE.hasTarHeader | BLOB_FEATURE.hasToc | BLOB_FEATURE.capTarToc;
  const chunkBytes = pos;
  let blob: BlobRecord | undefined;
  let blobMeta: NydusLayerResult['blobMeta'];
  if (hasBlob) {
    await emit(nydusRecordHeader(RECORD.blob, chunkBytes));
    inBlob = false;
    tocEntry(RECORD.blob, TOC_FLAG.none, (blobHash ? blobHash.digest() : streamHash.peek!()).slice(7), 0, chunkBytes, uncompressed);

    // blob.meta: CI v1 array (§3.7.3), compressed if that shrinks it, then the 4096-byte header
    const ci = new Uint8Array(own.length * 16);
    const cv = new DataView(ci.buffer);
    for (let i = 0; i < own.length; i++) {
      const c = own[i];
      const us = BigInt(c.uncompressedSize - 1), cs = BigInt(c.compressedSize - 1);
      const u = (BigInt(c.uncompressedOffset) & 0xfff_ffff_f000n) | (((us >> 20n) & 0xfn) << 8n) | ((us & 0xfffffn) << 44n);
      const k = (BigInt(c.compressedOffset) & 0xff_ffff_ffffn) | (((cs >> 20n) & 0xfn) << 40n) | ((cs & 0xfffffn) << 44n);
      cv.setBigUint64(i * 16, u, true);
      cv.setBigUint64(i * 16 + 8, k, true);
    }
    // the layer's compressor when that shrinks it (§2.5 blob.meta)
    const { stored: ciStored, compressor: ciCompressor } = await storeUnit(ci, compressor);
    const ciOffset = pos;
    const header = new Uint8Array(CI_HEADER.size);
    const hv = new DataView(header.buffer);
    hv.setUint32(0, CI_HEADER.magic, true);
    hv.setUint32(4, features, true);
    hv.setUint32(8, COMPRESSOR_CODES.indexOf(ciCompressor), true);
    hv.setUint32(12, own.length, true);
    hv.setBigUint64(16, BigInt(ciOffset), true);
    hv.setBigUint64(24, BigInt(ciStored.length), true);
    hv.setBigUint64(32, BigInt(ci.length), true);
    hv.setUint32(CI_HEADER.magic2At, CI_HEADER.magic, true);
    await emit(ciStored);
    await emit(header);
    await emit(nydusRecordHeader(RECORD.meta, ciStored.length + CI_HEADER.size));
    tocEntry(RECORD.meta, tocFlag(ciCompressor), await sha256Hex(ci), ciOffset, ciStored.length, ci.length);
    tocEntry(RECORD.metaHeader, TOC_FLAG.none, await sha256Hex(header), ciOffset + ciStored.length, CI_HEADER.size, CI_HEADER.size);
    blobMeta = { ciData: ci, header };

    // blob.digest: chunk digests in CI order (§3.8)
    const digests = new Uint8Array(own.length * 32);
    own.forEach((c, i) => digests.set(fromHex(c.digest, 32), i * 32));
    const digestOffset = pos;
    await emit(digests);
    await emit(nydusRecordHeader(RECORD.digest, digests.length));
    tocEntry(RECORD.digest, TOC_FLAG.none, await sha256Hex(digests), digestOffset, digests.length, digests.length);

    blob = {
      id: PLACEHOLDER_ID, chunkCount: own.length, compressor, digester, features, compressedSize: pos, uncompressedSize: uncompressed,
      ciCompressor, ciOffset, ciCompressedSize: ciStored.length, ciUncompressedSize: ci.length,
    };
  }
  inBlob = false;

  // blob table: own blob (if it has chunks), then the dictionary blobs in first-use order
  const blobs: BlobRecord[] = [];
  const keyToIndex = new Map<number, number>();
  if (blob) { keyToIndex.set(0, 0); blobs.push(blob); }
  for (const [dictBlob, key] of [...dictUse].sort((a, b) => a[1] - b[1])) { keyToIndex.set(key, blobs.length); blobs.push(dict!.blobs[dictBlob]); }
  const remap = (n: TreeNode) => {
    if (isRegNode(n)) for (const c of n.data.chunks) if (c.blob >= 0) c.blob = -1 - keyToIndex.get(c.blob)!;
    if (n.children) for (const c of n.children.values()) remap(c);
  };
  remap(root);
  const fix = (n: TreeNode) => {
    if (isRegNode(n)) for (const c of n.data.chunks) if (c.blob < 0) c.blob = -1 - c.blob;
    if (n.children) for (const c of n.children.values()) fix(c);
  };
  fix(root);
  const chunkTable: ChunkRecord[] = [...table.values()].map(({ blobKey, ...c }) => ({ ...c, blobIndex: keyToIndex.get(blobKey)! }));

  const allDigests = blobs.every((b) => (b.features & BLOB_FEATURE.inlinedChunkDigest) !== 0);
  const written = await writeBootstrap({
    root, flags: rafsFlags(compressor, digester, hasXattr, allDigests), chunkSize, blobs, chunkTable,
    prefetch: blobs.length ? resolvePrefetch(root, o.prefetch ?? NYDUS_BUILD_DEFAULTS.prefetch) : [], context: base,
  });
  const boot = written.bytes;

  // image.boot: zstd unless that does not shrink it (§2.3)
  const { stored: bootStored, compressor: bootCompressor } = await storeUnit(boot, 'zstd');
  const bootOffset = pos;
  await emit(bootStored);
  await emit(nydusRecordHeader(RECORD.boot, bootStored.length));
  tocEntry(RECORD.boot, tocFlag(bootCompressor), await sha256Hex(boot), bootOffset, bootStored.length, boot.length);

  const tocBytes = new Uint8Array(toc.length * TOC_ENTRY.size);
  toc.forEach((e, i) => tocBytes.set(e, i * TOC_ENTRY.size));
  await emit(tocBytes);
  await emit(nydusRecordHeader(RECORD.toc, tocBytes.length));

  const diffId = streamHash.digest();
  const blobId = diffId.slice('sha256:'.length);
  return {
    blobId, bootstrap: boot, layerTarSize: pos, diffId, chunks: refs, uniqueChunks: own.length, dictChunks: dictRefs, dedupSavedBytes: saved,
    compressedSize: chunkBytes, uncompressedSize: uncompressed,
    blob: blob ? { ...blob, id: blobId } : undefined, blobChunks: own, blobMeta,
  };
}

/** `.wh.NAME` and `.wh..wh..opq` (image-spec layer.md "Whiteouts"): the name starts with ".wh.". */
function isWhiteoutName(name: Uint8Array): boolean {
  return name.length >= 4 && name[0] === 0x2e && name[1] === 0x77 && name[2] === 0x68 && name[3] === 0x2e;
}
