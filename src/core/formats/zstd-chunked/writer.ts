/**
 * The zstd:chunked writer, current containers/storage layout (≥ v1.50, footer `v2-64`; spec
 * zstd-chunked.md §1, §3, §4, §5, §8):
 *
 *   [frame: raw header bytes][frame(s): chunk 1][frame(s): chunk 2]…[frame: padding + headers]…
 *   [frame: last padding + end-of-archive + trailing bytes]
 *   [skippable: zstd(manifest JSON)][skippable: zstd(tar-split NDJSON)][skippable: 64-byte footer]
 *
 * - The input's raw bytes go through unchanged (§1): decompressing the blob gives the input tar
 *   byte for byte, record padding after the end-of-archive included (containers/storage 1.43
 *   dropped it; the current writer keeps it). DiffID = sha256 of the input.
 * - A frame ends right before each file's first payload byte and after each content-defined
 *   chunk (./rollsum.ts), so a chunk's extent decompresses to exactly its bytes (§1, §7 step 4).
 * - Chunks have no maximum size (containers/storage has none, and the chunk boundaries must be
 *   the reference's); to keep memory bounded a chunk longer than FRAME_MAX is written as several
 *   consecutive frames — its extent is still whole frames holding exactly the chunk (§7 step 4:
 *   "the frame(s) yield exactly the chunk bytes"). Header bytes between payloads (many empty
 *   entries in a row, long trailing data) are also cut into frames of at most FRAME_MAX.
 * - Frames are compressed by the CompressionPool (`zstd-frame` jobs, libzstd at the chosen
 *   level), a bounded number at a time (IN_FLIGHT_*), written in order: the same bytes whether
 *   the pool is inline or has workers.
 * - Manifest (./manifest-json.ts) and tar-split (./tar-split-writer.ts) are Go-exact JSON.
 */
import { concatBytes } from '../../bytes/concat.ts';
import { base64Std, isValidUtf8 } from '../../bytes/go-json.ts';
import { inlineCompressionPool, type CompressedUnit, type CompressionJob, type CompressionPool } from '../../compress/compression-pool.ts';
import type { Digest, StreamHasher } from '../../digest/digest.ts';
import { createContentHasher, type ContentHasher } from '../../digest/content-hasher.ts';
import { createSha256, sha256Digest } from '../../digest/sha256.ts';
import { LayerlabError, checkAborted, toLayerlabError, type ErrorContext } from '../../errors.ts';
import { eventLoopTurns } from '../../event-loop-turn.ts';
import { parseNumericField, bytesEqualAscii } from '../../tar/header-fields.ts';
import { readTarEntries } from '../../tar/tar-stream.ts';
import type { TarEntry } from '../../tar/tar-types.ts';
import { Crc64Iso } from './crc64.ts';
import { zstdChunkedFooterBytes } from './footer.ts';
import { encodeManifestJson, goTimeText, parsePaxTime, type GoTime, type ManifestJsonEntry } from './manifest-json.ts';
import { ContentChunker, type ChunkEvent, type Chunker } from './rollsum.ts';
import { initRollsumWasm, WasmContentChunker } from './rollsum-wasm.ts';
import { initCrc64Wasm } from '../../wasm/crc64.ts';
import { TarSplitWriter } from './tar-split-writer.ts';
import {
  ANNOTATION_PREFIXES, DEFAULT_LEVEL, MANIFEST_CHECKSUM, MANIFEST_POSITION, SKIPPABLE_MAGIC, TARSPLIT_POSITION,
  type BlobSpan, type ManifestEntryType,
} from './types.ts';

/** Most uncompressed bytes in one data frame (a longer chunk spans several frames; see above). */
export const FRAME_MAX = 1 << 20;
/**
 * Frames in the pool at once, and their uncompressed bytes per pool slot: most frames are small
 * (a header run, a ~64 KiB chunk), so a deep queue keeps the workers fed, and the byte bound keeps
 * memory at a few MiB per worker.
 */
const IN_FLIGHT_FRAMES = 64;
const IN_FLIGHT_BYTES_PER_SLOT = 4 * FRAME_MAX;

export interface ZstdChunkedWriteOptions {
  /** zstd level 1–22; default 10, containers/storage's (spec §1). */
  level?: number;
  /** Default: inline (this thread). */
  pool?: CompressionPool;
  signal?: AbortSignal;
  /** Bytes of the input tar read so far. */
  onProgress?: (uncompressedBytesIn: number) => void;
  /** For errors. */
  file?: string;
  layer?: number;
}

export interface ZstdChunkedWriteResult {
  /** sha256 of the input tar = of the blob's decompressed stream. */
  diffId: Digest;
  /** The layer descriptor's annotations (spec §5, `io.github.containers.zstd-chunked.*`). */
  annotations: Record<string, string>;
  /** sha256 of the compressed manifest (the manifest-checksum annotation's value). */
  manifestDigest: Digest;
  manifest: BlobSpan;
  tarSplit: BlobSpan;
  /** sha256 of the compressed tar-split (the manifest's `tarSplitDigest`). */
  tarSplitDigest: Digest;
  uncompressedSize: number;
  compressedSize: number;
  /** Manifest entries, `chunk` entries included. */
  entries: number;
  /** Payload chunks (of files with data). */
  chunks: number;
  /** zstd data frames written. */
  frames: number;
  /**
   * Entries whose name or link target is not UTF-8: JSON cannot hold those bytes, so the manifest
   * has U+FFFD where the tar (and the tar-split's `name_raw`) has them, and a reader that checks
   * the manifest against the tar headers (containers/storage) refuses the manifest and pulls the
   * layer whole. The blob is still a valid tar+zstd layer with the exact tar.
   */
  lossyNames: string[];
}

export const ZSTD_CHUNKED_WRITE_DEFAULTS = { level: DEFAULT_LEVEL } as const;

const ANNOTATION = ANNOTATION_PREFIXES[0];
/** Payload is hashed, checksummed and chunked this many bytes at a time, between event-loop turns. */
const WORK_PIECE = 64 << 10;
const SKIPPABLE_HEADER = 8;

/**
 * Converts a layer's uncompressed tar into a zstd:chunked blob delivered to `sink` front to back
 * (one pass over `tar`; its chunks must stay unchanged after they are yielded).
 *
 * Errors (LayerlabError, with `file`/`layer` from the options): those of the TarParser for a bad
 * or truncated tar (with the offset); UNSUPPORTED for entries containers/storage cannot write
 * (`GetType` knows reg, hardlink, symlink, char, block, dir, fifo: PAX global headers, sparse,
 * contiguous and other types are refused) and for a level outside 1..22; ABORTED.
 */
export async function writeZstdChunked(
  tar: () => AsyncIterable<Uint8Array>,
  sink: (chunk: Uint8Array) => void | Promise<void>,
  options: ZstdChunkedWriteOptions = {},
): Promise<ZstdChunkedWriteResult> {
  const ctx: ErrorContext = { file: options.file, layer: options.layer };
  const level = options.level ?? ZSTD_CHUNKED_WRITE_DEFAULTS.level;
  if (!Number.isInteger(level) || level < 1 || level > 22) {
    throw new LayerlabError('UNSUPPORTED', `zstd:chunked writer: level ${options.level} is not an integer from 1 to 22`, ctx);
  }
  const ownPool = !options.pool;
  const pool = options.pool ?? inlineCompressionPool();
  const job: CompressionJob = { kind: 'zstd-frame', level };
  // A chunk that is one frame is digested by the job that compresses it (spec §3 chunkDigest):
  // one SHA-256 pass over the payload less on this thread.
  const digestJob: CompressionJob = { kind: 'zstd-frame', level, digest: 'sha256' };
  const compress = async (data: Uint8Array) => (await pool.run(data, job)).data;
  const frames = new FrameStream((data, digest) => pool.run(data, digest ? digestJob : job), sink, IN_FLIGHT_FRAMES, IN_FLIGHT_BYTES_PER_SLOT * pool.size);
  const tarSplit = new TarSplitWriter(compress);
  try {
    const w = new LayerWalk(frames, tarSplit, options, ctx);
    await w.run(tar);
    return await finish(w, frames, tarSplit, compress);
  } catch (e) {
    await frames.abandon();
    await tarSplit.abandon();
    throw toLayerlabError(e, ctx);
  } finally {
    if (ownPool) pool.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Frames

/**
 * The data frames of the blob: bytes go into the open frame; closing it hands it to the pool;
 * finished frames reach the sink strictly in order. Compressed offsets are known only once
 * earlier frames are compressed, so the writer records frame *indexes* and resolves them at the
 * end (`offsetOf`). Memory: the open frame (≤ FRAME_MAX) plus the frames in the pool (at most
 * `maxFrames`, and no more than `maxBytes` uncompressed bytes beyond one frame).
 */
class FrameStream {
  private parts: Uint8Array[] = [];
  private fill = 0;
  /** The single part is a buffer of our own (hole zeros), which the pool may take over. */
  private owned = false;
  private submitted = 0;
  private readonly inFlight: { job: Promise<CompressedUnit>; size: number }[] = [];
  private inFlightBytes = 0;
  private readonly starts: number[] = [0];
  /** Digests of the frames compressed with `digest` (close(true)), by frame index. */
  private readonly digests = new Map<number, string>();
  written = 0;

  constructor(
    private readonly compress: (data: Uint8Array, digest: boolean) => Promise<CompressedUnit>,
    private readonly sink: (chunk: Uint8Array) => void | Promise<void>,
    private readonly maxFrames: number,
    private readonly maxBytes: number,
  ) {}

  /** Index of the open frame, or of the frame the next byte will open. */
  get next(): number {
    return this.submitted;
  }

  get room(): number {
    return FRAME_MAX - this.fill;
  }

  /** The open frame's bytes so far (to be read before the frame closes). */
  get openParts(): readonly Uint8Array[] {
    return this.parts;
  }

  /** Adds bytes to the open frame (the caller keeps views unchanged; `owned` buffers may be taken). */
  add(b: Uint8Array, owned = false): void {
    if (b.length === 0) return;
    this.owned = this.parts.length === 0 && owned;
    this.parts.push(b);
    this.fill += b.length;
  }

  /** Adds bytes, closing full frames on the way so none exceeds FRAME_MAX. */
  async addBounded(b: Uint8Array): Promise<void> {
    let at = 0;
    while (at < b.length) {
      if (this.room === 0) await this.close();
      const n = Math.min(this.room, b.length - at);
      this.add(b.subarray(at, at + n));
      at += n;
    }
  }

  /**
   * Ends the open frame (no-op when none is open) and sends it to the pool; with `digest`, the
   * pool also digests its bytes (digestOf, after drain).
   */
  async close(digest = false): Promise<void> {
    if (this.parts.length === 0) return;
    const p = this.parts;
    // The pool may transfer what it is given: only a buffer of our own goes as it is. A view is
    // copied into a buffer of its own (`new Uint8Array(view)`, not `slice`, which on a Node
    // Buffer is another view: the pool would then clone the whole underlying buffer per frame).
    const data = p.length === 1 ? (this.owned ? p[0] : new Uint8Array(p[0])) : concatBytes(p, this.fill);
    this.parts = [];
    this.fill = 0;
    this.owned = false;
    this.submitted++;
    const job = this.compress(data, digest);
    job.catch(() => {}); // awaited in order by drainOne(); no unhandled rejection meanwhile
    this.inFlight.push({ job, size: data.length });
    this.inFlightBytes += data.length;
    while (this.inFlight.length >= this.maxFrames || this.inFlightBytes > this.maxBytes) await this.drainOne();
  }

  private async drainOne(): Promise<void> {
    const { job, size } = this.inFlight.shift()!;
    const { data: frame, digest } = await job;
    if (digest !== undefined) this.digests.set(this.starts.length - 1, digest);
    this.inFlightBytes -= size;
    await this.sink(frame);
    this.written += frame.length;
    this.starts.push(this.written);
  }

  /** Closes the open frame and writes every frame; afterwards each index has its offset. */
  async drain(): Promise<void> {
    await this.close();
    while (this.inFlight.length) await this.drainOne();
  }

  /** Compressed offset of the start of frame `index` (`next` after drain(): the end of the data). */
  offsetOf(index: number): number {
    const v = this.starts[index];
    if (v === undefined) throw new LayerlabError('INTERNAL', `zstd:chunked writer: frame ${index} has no offset yet`);
    return v;
  }

  /** The digest the pool computed for frame `index` (closed with `digest`), once drained. */
  digestOf(index: number): Digest {
    const v = this.digests.get(index);
    if (v === undefined) throw new LayerlabError('INTERNAL', `zstd:chunked writer: frame ${index} has no digest`);
    return `sha256:${v}`;
  }

  /** Bytes after the data frames (skippable frames), once drained. */
  async writeRaw(bytes: Uint8Array): Promise<void> {
    await this.sink(bytes);
    this.written += bytes.length;
  }

  async abandon(): Promise<void> {
    await Promise.allSettled(this.inFlight.splice(0).map((f) => f.job));
  }
}

// ---------------------------------------------------------------------------------------------
// The pass over the tar

/** A payload chunk of a file, with the frame it starts in (spec §3 chunk fields). */
interface ChunkRecord {
  chunkOffset: number;
  size: number;
  /** Hashed here (a chunk of several frames), else the pool's digest of its one frame `frame`. */
  digest: Digest | undefined;
  zeros: boolean;
  frame: number;
}

/** A manifest entry waiting for its offsets (known after the data frames are written). */
interface PendingEntry {
  entry: ManifestJsonEntry;
  chunks: ChunkRecord[];
  /** Frame index right after the file's last payload frame. */
  endFrame: number;
}

/** The raw input not yet placed into a frame, as views of the input's chunks. */
class RawInput {
  private readonly queue: { c: Uint8Array; at: number }[] = [];
  /** Input offset of the first byte not yet placed. */
  placed = 0;
  total = 0;

  push(c: Uint8Array): void {
    this.queue.push({ c, at: this.total });
    this.total += c.length;
  }

  /** Views of [placed, upTo), which become placed. */
  take(upTo: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    while (this.placed < upTo) {
      const head = this.queue[0];
      const from = this.placed - head.at;
      const to = Math.min(head.c.length, upTo - head.at);
      out.push(head.c.subarray(from, to));
      this.placed = head.at + to;
      if (to === head.c.length) this.queue.shift();
    }
    return out;
  }

  /** `n` payload bytes were placed (they came as views from the tar reader). */
  skip(n: number): void {
    this.placed += n;
    while (this.queue.length && this.queue[0].at + this.queue[0].c.length <= this.placed) this.queue.shift();
  }
}

class LayerWalk {
  readonly pending: PendingEntry[] = [];
  chunkCount = 0;
  diffId!: StreamHasher;
  /** sha256 of the current file and of its open chunk: one reusable hasher each (not one per file). */
  private fileHash!: ContentHasher;
  private chunkHash!: ContentHasher;
  private readonly raw = new RawInput();
  /** Where the next entry's headers must start: anything else is a PAX global header (§ below). */
  private expectHeaderAt = 0;
  private readonly events: ChunkEvent[] = [];
  /**
   * A pool's results (and so its next jobs) arrive as messages, handled only when this thread
   * returns to its event loop; a buffered input never makes it return (every step is a
   * microtask), so workers would idle after their first jobs. A macrotask turn every couple of
   * milliseconds of payload work keeps them fed (and lets a cancel in: event-loop-turn.ts).
   */
  private readonly turn = eventLoopTurns(2);
  /** The WebAssembly chunker where its module loads (same events as the JS one, ~2.5× faster). */
  private newChunker: () => Chunker = () => new ContentChunker();

  /** Bytes of the input tar read. */
  get inputSize(): number {
    return this.raw.total;
  }

  constructor(
    private readonly frames: FrameStream,
    private readonly tarSplit: TarSplitWriter,
    private readonly o: ZstdChunkedWriteOptions,
    private readonly ctx: ErrorContext,
  ) {}

  async run(tar: () => AsyncIterable<Uint8Array>): Promise<void> {
    this.diffId = await createSha256();
    this.fileHash = (await createContentHasher('sha256'))!;
    this.chunkHash = (await createContentHasher('sha256'))!;
    // The engine thread's per-byte loops in WebAssembly where it loads (core/wasm/rollsum.ts,
    // crc64.ts); otherwise the JS versions, which give the same bytes.
    if (await initRollsumWasm().then(() => true, () => false)) this.newChunker = () => new WasmContentChunker();
    await initCrc64Wasm().catch(() => {});
    const raw = this.raw;
    const diffId = this.diffId;
    const o = this.o;
    const ctx = this.ctx;
    async function* input(): AsyncGenerator<Uint8Array> {
      for await (const c of tar()) {
        checkAborted(o.signal, { ...ctx, offset: raw.total, offsetSpace: 'uncompressed' });
        if (c.length === 0) continue;
        raw.push(c);
        diffId.update(c);
        yield c;
        o.onProgress?.(raw.total);
      }
    }
    let lastEnd = 0;
    for await (const { entry: e, body } of readTarEntries(input(), { file: o.file })) {
      await this.entry(e, body);
      lastEnd = e.dataOffset + e.size;
    }
    await this.trailer(lastEnd);
  }

  private async entry(e: TarEntry, body: AsyncIterable<Uint8Array>): Promise<void> {
    const type = manifestType(e, this.ctx);
    if (e.headerOffset !== this.expectHeaderAt) {
      // containers/storage's tar reader returns a PAX global header as an entry of its own, and
      // `GetType` refuses its type 'g' (spec §3 entry types).
      throw new LayerlabError('UNSUPPORTED', `a PAX global header ('g') precedes ${JSON.stringify(e.name)} (between tar offsets ${this.expectHeaderAt} and ${e.headerOffset}); zstd:chunked writers refuse it (containers/storage: unknown tarball type)`,
        { ...this.ctx, entry: e.name, offset: this.expectHeaderAt, offsetSpace: 'uncompressed' });
    }
    this.expectHeaderAt = e.dataOffset + e.size + ((512 - (e.size % 512)) % 512);

    // Padding of the previous entry + this entry's headers: one tar-split segment (§4), raw
    // bytes into the open header frame (§1).
    const headers = this.raw.take(e.dataOffset);
    await this.tarSplit.segment(headers);
    for (const h of headers) await this.frames.addBounded(h);
    const entry = manifestEntry(e, type, lastBlock(headers));
    const p: PendingEntry = { entry, chunks: [], endFrame: 0 };
    this.pending.push(p);
    if (e.size === 0) {
      await this.tarSplit.file(e.nameBytes, 0, undefined);
      return;
    }

    // A new frame before the first payload byte (§1).
    await this.frames.close();
    const fileHash = this.fileHash;
    fileHash.begin();
    const crc = new Crc64Iso();
    const chunker = this.newChunker();
    const state: ChunkState = { file: p, open: false, hashing: false, frame: 0, start: 0, at: 0 };
    for await (const view of body) {
      for (let at = 0; at < view.length; at += WORK_PIECE) {
        const b = view.subarray(at, at + WORK_PIECE);
        fileHash.update(b);
        crc.update(b);
        this.raw.skip(b.length);
        chunker.feed(b, this.events);
        await this.place(state);
        await this.turn();
      }
    }
    chunker.finish(this.events);
    await this.place(state);
    p.endFrame = this.frames.next;
    entry.digest = `sha256:${fileHash.end()}`;
    this.chunkCount += p.chunks.length;
    await this.tarSplit.file(e.nameBytes, e.size, crc.digest());
  }

  /** Puts the chunker's events into frames and chunk records. */
  private async place(s: ChunkState): Promise<void> {
    const frames = this.frames;
    const hash = this.chunkHash;
    for (const ev of this.events) {
      if (ev.kind === 'end') {
        // A chunk that is one frame is digested by the pool with that frame; a longer one was
        // hashed here since its first frame filled up (spill).
        const digest = s.hashing ? `sha256:${hash.end()}` as Digest : undefined;
        s.file.chunks.push({ chunkOffset: s.start, size: s.at - s.start, digest, zeros: ev.zeros, frame: s.frame });
        s.open = false;
        s.start = s.at;
        await frames.close(!s.hashing);
        continue;
      }
      if (!s.open) {
        // A chunk always starts a frame (the file's first payload byte and every chunk end close one).
        if (frames.room !== FRAME_MAX) throw new LayerlabError('INTERNAL', 'zstd:chunked writer: a chunk does not start a frame');
        s.open = true;
        s.hashing = false;
        s.frame = frames.next;
      }
      if (ev.kind === 'data') {
        for (let at = 0; at < ev.bytes.length;) {
          if (frames.room === 0) {
            this.spill(s);
            await frames.close();
          }
          const piece = ev.bytes.subarray(at, at + frames.room);
          if (s.hashing) hash.update(piece);
          frames.add(piece);
          at += piece.length;
        }
        s.at += ev.bytes.length;
      } else {
        // A hole: its zeros are made here, a frame's worth at a time (no input view is kept).
        for (let left = ev.length; left > 0;) {
          if (frames.room === 0) {
            this.spill(s);
            await frames.close();
          }
          const zeros = new Uint8Array(Math.min(frames.room, left));
          if (s.hashing) hash.update(zeros);
          frames.add(zeros, true);
          left -= zeros.length;
          s.at += zeros.length;
        }
      }
    }
    this.events.length = 0;
  }

  /**
   * The open chunk fills its first frame and goes on (> FRAME_MAX bytes): it will span several
   * frames, so no single pool job sees it whole — it is hashed here from now on, starting with
   * the frame about to close (which holds exactly the chunk's bytes so far).
   */
  private spill(s: ChunkState): void {
    if (s.hashing) return;
    this.chunkHash.begin();
    for (const p of this.frames.openParts) this.chunkHash.update(p);
    s.hashing = true;
  }

  /**
   * After the last entry: its padding, the end-of-archive blocks and whatever follows (record
   * padding, trailing bytes), all kept (§1), in frames of at most FRAME_MAX; tar-split as its
   * disassembler cuts them (./tar-split-writer.ts).
   */
  private async trailer(lastDataEnd: number): Promise<void> {
    const paddedEnd = Math.min(this.raw.total, lastDataEnd + ((512 - (lastDataEnd % 512)) % 512));
    const rest = this.raw.take(this.raw.total);
    const all = concatBytes(rest);
    // Go's tar reader stops after two zero blocks; a shorter or non-zero tail is all it read.
    const eoa = paddedEnd - lastDataEnd + 1024;
    const eoaEnd = all.length >= eoa && all.subarray(paddedEnd - lastDataEnd, eoa).every((b) => b === 0) ? eoa : all.length;
    await this.tarSplit.trailer([all.subarray(0, eoaEnd)], [all.subarray(eoaEnd)]);
    await this.frames.addBounded(all);
  }
}

interface ChunkState {
  file: PendingEntry;
  /** A chunk is open. */
  open: boolean;
  /** The open chunk spans several frames and is hashed on this thread (spill). */
  hashing: boolean;
  /** Frame the open chunk starts in. */
  frame: number;
  /** File offsets: start of the open chunk, bytes placed so far. */
  start: number;
  at: number;
}

/** The last 512 bytes of the header segment: the member's own header block. */
function lastBlock(parts: readonly Uint8Array[]): Uint8Array {
  const all = concatBytes(parts);
  return all.subarray(all.length - 512);
}

/** containers/storage's `GetType` over the tar reader's types (spec §3). */
function manifestType(e: TarEntry, ctx: ErrorContext): ManifestEntryType {
  switch (e.type) {
    case 'file':
      if (e.typeflag === '0' || e.typeflag === '\0') return 'reg';
      break;
    case 'hardlink': case 'symlink': case 'char': case 'block': case 'dir': case 'fifo':
      return e.type;
  }
  throw new LayerlabError('UNSUPPORTED', `tar entry ${JSON.stringify(e.name)} has type ${JSON.stringify(e.typeflag)} (${e.type}), which zstd:chunked cannot hold (containers/storage knows regular files, links, devices, directories and fifos)`,
    { ...ctx, entry: e.name, offset: e.headerOffset, offsetSpace: 'uncompressed' });
}

/**
 * The entry's metadata as containers/storage's `NewFileMetadata` takes it from Go's tar reader
 * (spec §3): raw mode field, ids, times with zero ones omitted (the current writer), device
 * numbers of devices, `SCHILY.xattr.*` records base64-encoded.
 */
function manifestEntry(e: TarEntry, type: ManifestEntryType, header: Uint8Array): ManifestJsonEntry {
  const entry: ManifestJsonEntry = { type, name: e.name, nameBytes: e.nameBytes };
  if (e.linknameBytes.length) {
    entry.linkName = e.linkname;
    entry.linkNameBytes = e.linknameBytes;
  }
  entry.mode = e.mode;
  entry.size = e.size;
  entry.uid = e.uid;
  entry.gid = e.gid;
  const t = headerTimes(e, header);
  entry.modtime = goTimeText(t.mtime);
  if (t.atime) entry.accesstime = goTimeText(t.atime);
  if (t.ctime) entry.changetime = goTimeText(t.ctime);
  if (type === 'char' || type === 'block') {
    entry.devMajor = e.devmajor;
    entry.devMinor = e.devminor;
  }
  let xattrs: Record<string, string> | undefined;
  for (const [k, v] of e.pax) {
    if (!k.startsWith('SCHILY.xattr.')) continue;
    (xattrs ??= {})[k.slice('SCHILY.xattr.'.length)] = base64Std(v);
  }
  if (xattrs) entry.xattrs = xattrs;
  return entry;
}

/**
 * Times as Go's archive/tar reader sets them: PAX `mtime`/`atime`/`ctime` records (to the
 * nanosecond), else the header's mtime; a GNU header's atime/ctime fields when their first byte is
 * set; a star header's always. Year-1 (absent) atime/ctime are left out, as the current
 * containers/storage writer does.
 */
function headerTimes(e: TarEntry, h: Uint8Array): { mtime: GoTime; atime?: GoTime; ctime?: GoTime } {
  const pax = (k: string) => {
    const v = e.pax.get(k);
    return v ? parsePaxTime(v) : undefined;
  };
  const field = (at: number, always: boolean): GoTime | undefined => {
    if (!always && h[at] === 0) return undefined;
    const sec = parseNumericField(h, at, 12);
    return Number.isSafeInteger(sec) ? { sec, nsec: 0 } : undefined;
  };
  let atime: GoTime | undefined;
  let ctime: GoTime | undefined;
  if (h.length === 512) {
    if (bytesEqualAscii(h, 257, 'ustar  \0')) {
      atime = field(345, false);
      ctime = field(357, false);
    } else if (bytesEqualAscii(h, 257, 'ustar\x0000') && bytesEqualAscii(h, 508, 'tar\0')) {
      atime = field(476, true);
      ctime = field(488, true);
    }
  }
  return {
    mtime: pax('mtime') ?? { sec: e.mtime, nsec: 0 },
    atime: pax('atime') ?? atime,
    ctime: pax('ctime') ?? ctime,
  };
}

// ---------------------------------------------------------------------------------------------
// Manifest, tar-split, footer

async function finish(
  w: LayerWalk,
  frames: FrameStream,
  tarSplit: TarSplitWriter,
  compress: (data: Uint8Array) => Promise<Uint8Array>,
): Promise<ZstdChunkedWriteResult> {
  await frames.drain();
  const dataEnd = frames.written;
  const entries = manifestEntries(w.pending, frames);

  const ts = await tarSplit.finish();
  const tarSplitDigest = await sha256Digest(ts.compressed);
  const json = encodeManifestJson(entries, tarSplitDigest);
  const jsonLength = json.length; // before the pool takes the buffer (it may be transferred)
  const manifestBytes = await compress(json);
  const manifestDigest = await sha256Digest(manifestBytes);

  const manifest: BlobSpan = { offset: dataEnd + SKIPPABLE_HEADER, length: manifestBytes.length, uncompressedLength: jsonLength };
  const tarSplitSpan: BlobSpan = { offset: manifest.offset + manifest.length + SKIPPABLE_HEADER, length: ts.compressed.length, uncompressedLength: ts.uncompressedLength };
  await frames.writeRaw(skippableHeader(manifestBytes.length));
  await frames.writeRaw(manifestBytes);
  await frames.writeRaw(skippableHeader(ts.compressed.length));
  await frames.writeRaw(ts.compressed);
  await frames.writeRaw(zstdChunkedFooterBytes('v2-64', manifest, tarSplitSpan));

  return {
    diffId: w.diffId.digest(),
    annotations: {
      [ANNOTATION + MANIFEST_CHECKSUM]: manifestDigest,
      [ANNOTATION + MANIFEST_POSITION]: `${manifest.offset}:${manifest.length}:${manifest.uncompressedLength}:1`,
      [ANNOTATION + TARSPLIT_POSITION]: `${tarSplitSpan.offset}:${tarSplitSpan.length}:${tarSplitSpan.uncompressedLength}`,
    },
    manifestDigest,
    manifest,
    tarSplit: tarSplitSpan,
    tarSplitDigest,
    uncompressedSize: w.inputSize,
    compressedSize: frames.written,
    entries: entries.length,
    chunks: w.chunkCount,
    frames: frames.next,
    lossyNames: w.pending.filter(({ entry: e }) => [e.nameBytes, e.linkNameBytes].some((b) => b && !isValidUtf8(b))).map(({ entry: e }) => e.name),
  };
}

/**
 * The entries with their offsets (spec §3 layout rules): one chunk → the `reg` entry alone with
 * `offset`/`endOffset`/`digest`; n ≥ 2 → the `reg` entry also describes chunk 0, then n − 1
 * `chunk` entries.
 */
function manifestEntries(pending: readonly PendingEntry[], frames: FrameStream): ManifestJsonEntry[] {
  const out: ManifestJsonEntry[] = [];
  for (const p of pending) {
    const e = p.entry;
    out.push(e);
    if (p.chunks.length === 0) continue;
    e.offset = frames.offsetOf(p.chunks[0].frame);
    e.endOffset = frames.offsetOf(p.endFrame);
    if (p.chunks.length < 2) continue;
    const first = p.chunks[0];
    e.chunkSize = first.size;
    e.chunkDigest = first.digest ?? frames.digestOf(first.frame);
    if (first.zeros) e.chunkType = 'zeros';
    for (const c of p.chunks.slice(1)) {
      out.push({
        type: 'chunk', name: e.name, nameBytes: e.nameBytes,
        offset: frames.offsetOf(c.frame), chunkSize: c.size, chunkOffset: c.chunkOffset, chunkDigest: c.digest ?? frames.digestOf(c.frame),
        chunkType: c.zeros ? 'zeros' : undefined,
      });
    }
  }
  return out;
}

/** A skippable frame's header (RFC 8878 §3.1.2): magic 0x184D2A50, LE32 payload length. */
function skippableHeader(length: number): Uint8Array {
  if (length > 0xffffffff) throw new LayerlabError('TOO_LARGE', `zstd:chunked writer: ${length} bytes do not fit one skippable frame`);
  const out = new Uint8Array(SKIPPABLE_HEADER);
  out.set(SKIPPABLE_MAGIC);
  new DataView(out.buffer).setUint32(4, length, true);
  return out;
}
