import type { ByteSource } from '../../bytes/byte-source.ts';
import { LayerlabError, checkAborted, type ErrorContext } from '../../errors.ts';
import { readBlobMeta, type BlobMeta } from './blob-meta.ts';
import { decompressUnit } from './codec.ts';
import { chunkDigestHex } from '../../digest/chunk-digest.ts';
import type { BlobInfo, Bootstrap, ChunkInfo, ChunkRef, RafsNode } from './types.ts';

/** The data blob of a bootstrap's blob entry, when the caller has it. */
export type BlobLookup = (blob: BlobInfo) => ByteSource | undefined;

export interface ReadOptions {
  offset?: number;
  length?: number;
  /** Check each chunk's digest (blake3/sha256 per blob) when the bootstrap records it; default true. */
  verify?: boolean;
  signal?: AbortSignal;
}

/**
 * Reads files of a bootstrap by fetching only their chunks (spec §4.10 "Reading file byte
 * range"): the chunk's place comes from the bootstrap (chunk table / v5 chunk info) or, failing
 * that, from the blob's CI array; each chunk is decompressed with its blob's compressor
 * (zstd, gzip, lz4_block, none) and its digest checked.
 */
export class NydusReader {
  private readonly byPath = new Map<string, RafsNode>();
  private readonly metas = new Map<number, Promise<BlobMeta>>();

  constructor(
    readonly bootstrap: Bootstrap,
    private readonly blobOf: BlobLookup,
    /** CI tables already at hand (a bootstrap layer's `image/<hex>.blob.meta`), by blob index. */
    private readonly knownMetas: Map<number, BlobMeta> = new Map(),
  ) {
    for (const n of bootstrap.nodes) this.byPath.set(n.path, n);
  }

  lookup(path: string): RafsNode | undefined {
    return this.byPath.get('/' + path.replace(/^\/+/, '').replace(/\/+$/, ''));
  }

  /** Bytes [offset, offset+length) of a regular file; holes (v5) read as zeros. */
  async readFile(pathOrNode: string | RafsNode, o: ReadOptions = {}): Promise<Uint8Array> {
    const node = typeof pathOrNode === 'string' ? this.lookup(pathOrNode) : pathOrNode;
    if (!node) throw new LayerlabError('NOT_FOUND', `no ${pathOrNode as string} in the bootstrap`, {});
    if (node.type !== 'file') throw new LayerlabError('NOT_FOUND', `${node.path} is a ${node.type}, not a regular file`, { entry: node.path });
    const start = Math.min(o.offset ?? 0, node.size);
    const end = Math.min(node.size, start + (o.length ?? node.size));
    const out = new Uint8Array(end - start);
    for (const ref of node.chunks) {
      checkAborted(o.signal, { entry: node.path });
      const info = await this.chunkInfo(ref, node);
      const cEnd = ref.fileOffset + info.uncompressedSize;
      if (cEnd <= start || ref.fileOffset >= end) continue;
      const data = await this.readChunk(ref, info, node, o);
      const from = Math.max(start, ref.fileOffset), to = Math.min(end, cEnd);
      out.set(data.subarray(from - ref.fileOffset, to - ref.fileOffset), from - start);
    }
    return out;
  }

  /** Where a chunk is: the bootstrap's record, else the blob's CI entry (no digest then). */
  async chunkInfo(ref: ChunkRef, node?: RafsNode, signal?: AbortSignal): Promise<ChunkInfo> {
    if (ref.info) return ref.info;
    const meta = await this.blobMeta(ref.blobIndex, signal);
    const ci = meta.entries[ref.ciIndex];
    if (!ci) throw new LayerlabError('BAD_LAZY_FORMAT', `chunk CI index ${ref.ciIndex} is beyond blob ${ref.blobIndex}'s ${meta.entries.length} CI entries`, { entry: node?.path });
    return { digest: '', blobIndex: ref.blobIndex, flags: ci.flags, compressedOffset: ci.compressedOffset, compressedSize: ci.compressedSize,
      uncompressedOffset: ci.uncompressedOffset, uncompressedSize: ci.uncompressedSize, fileOffset: ref.fileOffset, ciIndex: ref.ciIndex, compressed: ci.compressed };
  }

  /** One chunk, decompressed and (unless `verify: false`) digest-checked. */
  async readChunk(ref: ChunkRef, info: ChunkInfo, node?: RafsNode, o: ReadOptions = {}): Promise<Uint8Array> {
    const blob = this.bootstrap.blobs[ref.blobIndex];
    const src = this.source(blob);
    const ctx: ErrorContext = { file: src.name, entry: node?.path, offset: info.compressedOffset };
    if (info.compressedOffset + info.compressedSize > src.size) {
      throw new LayerlabError('TRUNCATED', `chunk [${info.compressedOffset}, ${info.compressedOffset + info.compressedSize}) is beyond the ${src.size}-byte blob ${blob.id}`, ctx);
    }
    const raw = await src.read(info.compressedOffset, info.compressedSize, o.signal);
    const data = await decompressUnit(raw, info.compressed ? blob.compressor : 'none', info.uncompressedSize, ctx, o.signal);
    if (o.verify !== false && info.digest) {
      const got = await chunkDigestHex(data, blob.digester);
      if (got !== info.digest) throw new LayerlabError('DIGEST_MISMATCH', `chunk ${ref.ciIndex} of blob ${blob.index}: ${blob.digester} ${got} ≠ recorded ${info.digest}`, ctx);
    }
    return data;
  }

  blobMeta(index: number, signal?: AbortSignal): Promise<BlobMeta> {
    const known = this.knownMetas.get(index);
    if (known) return Promise.resolve(known);
    let p = this.metas.get(index);
    if (!p) {
      const blob = this.bootstrap.blobs[index];
      p = readBlobMeta(this.source(blob), blob, signal);
      this.metas.set(index, p);
    }
    return p;
  }

  private source(blob: BlobInfo): ByteSource {
    const src = this.blobOf(blob);
    if (!src) throw new LayerlabError('MISSING_BLOB', `blob ${blob.index} (${blob.id}) is not available`, {});
    return src;
  }
}
