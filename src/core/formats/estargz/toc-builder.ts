/**
 * The parts both eStargz writer modes share (../shared/spec/estargz.md §2–§5): the TOC being
 * built (entries, chunk records, member indexes), the TOC member's tar and the footer, and one
 * pass over the input tar through the shared TarParser. ./writer.ts drives lossless mode,
 * ./build.ts the library's Build.
 */
import { type CompressionPool } from '../../compress/compression-pool.ts';
import { createSha256, sha256Digest } from '../../digest/sha256.ts';
import type { Digest } from '../../digest/digest.ts';
import { LayerlabError, checkAborted, type ErrorContext } from '../../errors.ts';
import { TarParser } from '../../tar/tar-parser.ts';
import type { TarEntry } from '../../tar/tar-types.ts';
import type { MemberStream } from './member-stream.ts';
import type { MemberCompressor } from './member-compressor.ts';
import { encodeTocJson, formatModtime, type TocJsonEntry } from './toc-json.ts';
import { pad512 } from './toc-tar.ts';
import { TOC_DIGEST_ANNOTATION, UNCOMPRESSED_SIZE_ANNOTATION } from './types.ts';
import type { BlobSpan } from '../zstd-chunked/index.ts';


export interface EstargzWriteOptions {
  mode: 'lossless' | 'build';
  /** Uncompressed bytes per chunk (spec §3); default 4 MiB. */
  chunkSize?: number;
  /**
   * v0.13 `WithMinChunkSize` (spec §3): a chunk starts a new member only once this many
   * compressed bytes were written since the last member start; otherwise it shares that member
   * and its TOC entry gets `innerOffset`. 0 (default) = off. The 0.12 library and other old
   * readers do not understand `innerOffset`: leave it off for broad compatibility.
   */
  minChunkSize?: number;
  /**
   * The compressor's level: gzip 0–9, default 9 (the library's default; BuildKit uses 6); zstd
   * 1–22, default 3 (ctr-remote's). Checked by memberLevel (./member-compressor.ts).
   */
  level?: number;
  /** What a member is: GZIP_MEMBERS (default) or ZSTD_MEMBERS, the zstd variant (spec §10). */
  compressor?: MemberCompressor;
  /** Build mode: paths to put first, in this order, followed by `.prefetch.landmark` (spec §6). */
  prioritizedFiles?: string[];
  /** Build mode: skip prioritized paths that are missing (`WithAllowPrioritizeNotFound`) instead of failing. */
  allowMissingPrioritized?: boolean;
  /** Default: inline (this thread). */
  pool?: CompressionPool;
  signal?: AbortSignal;
  /** Bytes of the input tar read so far (in Build mode, of the pass that writes the bulk). */
  onProgress?: (uncompressedBytesIn: number) => void;
  /** For errors. */
  file?: string;
  layer?: number;
}

export interface EstargzWriteResult {
  /** sha256 of the TOC JSON: the `containerd.io/snapshot/stargz/toc.digest` annotation. */
  tocDigest: Digest;
  /**
   * sha256 of the whole decompressed output (gzip: TOC entry and its end-of-archive included;
   * zstd: the TOC is in a skippable frame, so only the tar).
   */
  diffId: Digest;
  /** Bytes of the whole decompressed output: `io.containers.estargz.uncompressed-size`. */
  uncompressedSize: number;
  compressedSize: number;
  /** Where the TOC member (zstd: its skippable frame) starts: the end of the data. */
  tocOffset: number;
  /** The compressed TOC in the blob (zstd: the footer's offset and lengths). */
  toc: BlobSpan;
  compression: 'gzip' | 'zstd';
  /**
   * The layer descriptor's annotations (spec §7, §10): TOC digest, uncompressed size, and for
   * zstd the `io.containers.zstd-chunked.manifest-checksum/-position` of stargz-snapshotter.
   */
  annotations: Record<string, string>;
  /** TOC entries, `chunk` entries included. */
  entries: number;
  /** Data chunks (non-empty `reg` entries and `chunk` entries). */
  chunks: number;
  /** Members (gzip members or zstd frames), TOC and footer included. */
  members: number;
  /** Input passes made (lossless: 1). */
  passes: number;
}

export const ESTARGZ_WRITE_DEFAULTS = { chunkSize: 4 << 20, minChunkSize: 0 } as const;

const EMPTY_DIGEST = 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' as Digest;

export interface Normalized {
  mode: 'lossless' | 'build';
  chunkSize: number;
  minChunkSize: number;
  level: number;
  prioritized: string[];
  allowMissing: boolean;
  signal?: AbortSignal;
  onProgress?: (n: number) => void;
  file?: string;
  ctx: ErrorContext;
}

// ---------------------------------------------------------------------------------------------
// TOC entries and data chunks (shared by both modes)

type Internal = TocJsonEntry & { member?: number };

export class TocBuilder {
  readonly entries: Internal[] = [];
  private readonly unames = new Map<number, string>();
  private readonly gnames = new Map<number, string>();
  private chunkCount = 0;

  constructor(readonly stream: MemberStream, private readonly o: Normalized) {}

  /** Go `nameIfChanged`: a name only when it is new for its id. */
  private nameIfChanged(map: Map<number, string>, id: number, name: string): string | undefined {
    if (!name) return undefined;
    if (map.get(id) === name) return undefined;
    map.set(id, name);
    return name;
  }

  /** The TOC entry of a tar entry (spec §4.2), before any data. */
  entryOf(e: TarEntry): Internal {
    const t: Internal = {
      name: e.name,
      nameBytes: e.nameBytes,
      type: tocType(e, this.o.ctx),
      modtime: formatModtime(e.mtime) || undefined,
      mode: e.mode,
      uid: e.uid,
      gid: e.gid,
      userName: this.nameIfChanged(this.unames, e.uid, e.uname),
      groupName: this.nameIfChanged(this.gnames, e.gid, e.gname),
    };
    if (t.type === 'symlink' || t.type === 'hardlink') {
      t.linkName = e.linkname;
      t.linkNameBytes = e.linknameBytes;
    } else if (t.type === 'char' || t.type === 'block') {
      t.devMajor = e.devmajor;
      t.devMinor = e.devminor;
    } else if (t.type === 'reg') {
      t.size = e.size;
    }
    let xattrs: Map<string, Uint8Array> | undefined;
    for (const [k, v] of e.pax) {
      if (k.startsWith('SCHILY.xattr.')) (xattrs ??= new Map()).set(k.slice(13), v);
    }
    if (xattrs) t.xattrs = xattrs;
    return t;
  }

  /**
   * Starts a regular file's data: returns the sink for its `size` bytes, which splits them into
   * chunks, opens members at chunk starts (spec §2 step 4) and fills in the digests.
   */
  async fileData(t: Internal, size: number, landmark = false): Promise<FileDataSink> {
    this.entries.push(t);
    if (size === 0) {
      t.digest = EMPTY_DIGEST;
      return { size, data: async () => {}, end: async () => {} };
    }
    const o = this.o;
    const stream = this.stream;
    // A one-chunk file's digest is its chunk's; only chunked files need a streaming hash.
    const fileHash = size > o.chunkSize ? await createSha256() : undefined;
    let written = 0;
    let chunkLeft = 0;
    let current: Internal | undefined;
    const startChunk = async () => {
      const len = Math.min(o.chunkSize, size - written);
      let inner = 0;
      if (!stream.isOpen || o.minChunkSize === 0 || landmark || (await this.startsMember())) {
        await stream.closeMember();
      } else {
        inner = stream.openFill;
      }
      const c: Internal = current === undefined ? t : { name: t.name, nameBytes: t.nameBytes, type: 'chunk' };
      if (current !== undefined) this.entries.push(c);
      current = c;
      c.member = stream.memberIndex;
      if (inner) c.innerOffset = inner;
      if (written) c.chunkOffset = written;
      if (size - written >= o.chunkSize) c.chunkSize = o.chunkSize;
      this.chunkCount++;
      const single = !fileHash;
      stream.digestChunk(len, (d) => {
        c.chunkDigest = d;
        if (single) t.digest = d;
      });
      chunkLeft = len;
    };
    return {
      size,
      data: async (b: Uint8Array) => {
        let at = 0;
        while (at < b.length) {
          if (chunkLeft === 0) await startChunk();
          const take = Math.min(chunkLeft, b.length - at);
          const piece = at === 0 && take === b.length ? b : b.subarray(at, at + take);
          stream.write(piece);
          fileHash?.update(piece);
          chunkLeft -= take;
          written += take;
          at += take;
        }
      },
      end: async () => {
        if (written !== size) throw new LayerlabError('INTERNAL', `estargz writer: ${JSON.stringify(t.name)} gave ${written} of ${size} bytes`, this.o.ctx);
        if (fileHash) t.digest = fileHash.digest();
      },
    };
  }

  /** v0.13 minChunkSize rule: have at least minChunkSize compressed bytes gone into the open member? */
  private async startsMember(): Promise<boolean> {
    const fill = this.stream.openFill;
    // Deflate never grows data by more than its stored-block framing: a member this small
    // cannot have reached minChunkSize compressed bytes, so skip the trial compression.
    if (fill + (fill >> 10) + 64 < this.o.minChunkSize) return false;
    return (await this.stream.trialSize()) >= this.o.minChunkSize;
  }

  /** A header-only TOC entry (dir, link, device, fifo). */
  push(t: Internal): void {
    this.entries.push(t);
  }

  /** Closes the data, writes the TOC member and the footer (spec §2 steps 7–10). */
  async finish(lossless: boolean): Promise<Omit<EstargzWriteResult, 'passes'>> {
    const stream = this.stream;
    await stream.closeMember();
    await stream.drain();
    const tocOffset = stream.compressedSize;
    for (const e of this.entries) {
      if (e.member !== undefined) e.offset = stream.offsetOf(e.member);
    }
    // Go's Writer holds a nil slice until the first entry: `"entries": null` for an empty input.
    const json = encodeTocJson(this.entries.length === 0 && lossless ? null : this.entries);
    // The compressor's WriteTOCAndFooter: a tar member (gzip) or a skippable frame (zstd, spec §10).
    const c = stream.compressor;
    const content = c.tocContent(json);
    const placed = await c.place(tocOffset, await stream.compress(content.data.slice()), content.data, json);
    await stream.writeRaw(placed.toc, content.inStream ? content.data : undefined);
    await stream.writeRaw(placed.footer);
    const tocDigest = await sha256Digest(json);
    return {
      annotations: {
        [TOC_DIGEST_ANNOTATION]: tocDigest,
        [UNCOMPRESSED_SIZE_ANNOTATION]: String(stream.uncompressedSize),
        ...placed.annotations,
      },
      compression: c.compression,
      toc: placed.span,
      tocDigest,
      diffId: stream.diffId.digest(),
      uncompressedSize: stream.uncompressedSize,
      compressedSize: stream.compressedSize,
      tocOffset,
      entries: this.entries.length,
      chunks: this.chunkCount,
      members: stream.members,
    };
  }
}

export interface FileDataSink {
  /** Bytes of data the file has (its tar padding follows them). */
  size: number;
  data(b: Uint8Array): Promise<void>;
  end(): Promise<void>;
}

/** TOC type of a tar entry; UNSUPPORTED for what the library rejects (spec §2 step 2, §4.3). */
export function tocType(e: TarEntry, ctx: ErrorContext): TocJsonEntry['type'] {
  switch (e.type) {
    case 'file':
      if (e.typeflag === '0' || e.typeflag === '\0') return 'reg';
      break;
    case 'dir': return 'dir';
    case 'symlink': return 'symlink';
    case 'hardlink': return 'hardlink';
    case 'char': return 'char';
    case 'block': return 'block';
    case 'fifo': return 'fifo';
    default:
  }
  const what = e.type === 'sparse' ? 'a sparse file (its logical and stored bytes differ)' : `typeflag ${JSON.stringify(e.typeflag)}`;
  throw unsupported(`${JSON.stringify(e.name)} is ${what}, which eStargz cannot hold (unsupported input tar entry)`, e.headerOffset, e.name, ctx);
}

export function unsupported(message: string, offset: number, entry: string | undefined, ctx: ErrorContext): LayerlabError {
  return new LayerlabError('UNSUPPORTED', `estargz writer: ${message}`, { ...ctx, entry, offset, offsetSpace: 'uncompressed' });
}

export { pad512 } from './toc-tar.ts';

// ---------------------------------------------------------------------------------------------
// One pass over the input tar

type PassEvent = { k: 'entry'; e: TarEntry; i: number } | { k: 'data'; b: Uint8Array } | { k: 'end' };

export interface PassHandler {
  /** Decides synchronously (inside the parser) whether the entry's data is wanted. */
  want(e: TarEntry, index: number): boolean;
  entry(e: TarEntry, index: number): Promise<void>;
  data(b: Uint8Array): Promise<void>;
  end(): Promise<void>;
  /** Every input chunk before it is parsed, with its offset in the tar. */
  chunk?(c: Uint8Array, at: number): void;
  /** Input position after each chunk is handled. */
  progress?(pos: number): void;
}

/**
 * Streams the tar once through the shared TarParser; events of each input chunk are handled in
 * order (awaiting the writer) before the next chunk is read. Also rejects PAX global headers,
 * which the parser folds away silently but the library refuses (spec §2 step 2): they are the
 * only bytes between one member's padded data and the next member's first header block.
 */
export async function runPass(tar: () => AsyncIterable<Uint8Array>, o: Normalized, h: PassHandler): Promise<number> {
  let events: PassEvent[] = [];
  let index = 0;
  let expectHeaderAt = 0;
  const parser = new TarParser({
    entry(e) {
      if (e.headerOffset !== expectHeaderAt) {
        throw unsupported(`a PAX global header ('g') precedes ${JSON.stringify(e.name)} (between offsets ${expectHeaderAt} and ${e.headerOffset}); eStargz writers refuse it (unsupported input tar entry)`, expectHeaderAt, e.name, o.ctx);
      }
      expectHeaderAt = e.dataOffset + e.size + pad512(e.size);
      const i = index++;
      events.push({ k: 'entry', e, i });
      if (!h.want(e, i)) return;
      return { data: (b) => { events.push({ k: 'data', b }); }, end: () => { events.push({ k: 'end' }); } };
    },
  }, { file: o.file });
  let pos = 0;
  const run = async () => {
    const evs = events;
    events = [];
    for (const ev of evs) {
      if (ev.k === 'entry') await h.entry(ev.e, ev.i);
      else if (ev.k === 'data') await h.data(ev.b);
      else await h.end();
    }
  };
  for await (const c of tar()) {
    checkAborted(o.signal, { ...o.ctx, offset: pos, offsetSpace: 'uncompressed' });
    if (c.length === 0) continue;
    h.chunk?.(c, pos);
    try {
      parser.push(c);
    } finally {
      pos += c.length;
    }
    await run();
    h.progress?.(pos);
  }
  parser.finish();
  await run();
  return pos;
}
