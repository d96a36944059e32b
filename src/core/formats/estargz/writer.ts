/**
 * The eStargz writer (../shared/spec/estargz.md §2–§8), in both modes of the reference library:
 *
 * - `lossless` = `Writer.AppendTarLossLess` (what BuildKit writes): the input's raw bytes —
 *   headers, PAX/GNU records, padding, end-of-archive, record padding, trailing bytes — are kept,
 *   so gunzipping `[0, tocOffset)` gives the input tar back byte for byte. One pass.
 * - `build` = `estargz.Build` with one worker: duplicates collapsed to the last copy, old
 *   landmarks dropped, prioritized files (with their parent directories and hard-link targets)
 *   first, then a landmark, then the rest in input order; headers re-encoded by the shared tar
 *   encoder; no end-of-archive before the TOC. Two passes or more (a plan, then the data; more
 *   only when prioritized files do not fit the reorder buffer in input order).
 *
 * Each member is compressed by a CompressionPool (in parallel, written in order). The TOC JSON is
 * Go's exact serialization (toc-json.ts), so the same TOC has the same digest as the reference;
 * offsets differ from Go's because the deflate bytes do (spec §12).
 */
import { inlineCompressionPool, type CompressionPool } from '../../compress/compression-pool.ts';
import { createSha256, sha256Digest } from '../../digest/sha256.ts';
import type { Digest } from '../../digest/digest.ts';
import { LayerlabError, checkAborted, toLayerlabError, type ErrorContext } from '../../errors.ts';
import { TarParser } from '../../tar/tar-parser.ts';
import { encodeEntryHeader, type TarWriterEntry } from '../../tar/tar-header-encoder.ts';
import type { TarEntry } from '../../tar/tar-types.ts';
import { cleanTocName } from './reader.ts';
import { MemberStream } from './member-stream.ts';
import { encodeTocJson, formatModtime, type TocJsonEntry } from './toc-json.ts';
import { ESTARGZ_FOOTER, FOOTER_MAGIC, FOOTER_TRAILER, NO_PREFETCH_LANDMARK, PREFETCH_LANDMARK, TOC_TAR_NAME } from './types.ts';

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
  /** gzip level 0–9; default 9 (the library's default; BuildKit uses 6). */
  level?: number;
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
  /** sha256 of the whole decompressed output (TOC entry and its end-of-archive included). */
  diffId: Digest;
  /** Bytes of the whole decompressed output: `io.containers.estargz.uncompressed-size`. */
  uncompressedSize: number;
  compressedSize: number;
  tocOffset: number;
  /** TOC entries, `chunk` entries included. */
  entries: number;
  /** Data chunks (non-empty `reg` entries and `chunk` entries). */
  chunks: number;
  /** Gzip members, TOC and footer included. */
  members: number;
  /** Input passes made (lossless: 1). */
  passes: number;
}

export const ESTARGZ_WRITE_DEFAULTS = { chunkSize: 4 << 20, minChunkSize: 0, level: 9 } as const;

/** Prioritized files read ahead of their turn are held in memory up to this many bytes. */
const REORDER_BUDGET = 64 << 20;
const LANDMARK_CONTENT = new Uint8Array([0x0f]);
const EMPTY_DIGEST = 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' as Digest;

/**
 * Converts a layer's uncompressed tar (`tar()` streams it from the start; each call a fresh
 * stream; chunks must not be modified after they are yielded) into an eStargz blob delivered to
 * `sink` front to back. Lossless mode reads the tar once; Build mode at least twice.
 *
 * Errors (LayerlabError, with `file`/`layer` from the options): those of the TarParser for a
 * bad or truncated tar; UNSUPPORTED for entries eStargz cannot hold (spec §2 step 2: PAX global
 * headers, sparse files, contiguous files, other types); BAD_LAZY_FORMAT for a lossless input
 * that already holds `stargz.index.json` (its tar offset in `offset`); NOT_FOUND for a missing
 * prioritized path; ABORTED.
 */
export async function writeEstargz(
  tar: () => AsyncIterable<Uint8Array>,
  sink: (chunk: Uint8Array) => void | Promise<void>,
  options: EstargzWriteOptions,
): Promise<EstargzWriteResult> {
  const ctx: ErrorContext = { file: options.file, layer: options.layer };
  const o = normalize(options, ctx);
  const ownPool = !options.pool;
  const pool = options.pool ?? inlineCompressionPool();
  const diffId = await createSha256();
  const stream = new MemberStream(pool, o.level, sink, diffId, o.chunkSize + Math.max(o.chunkSize, 1 << 20), Math.max(2, 2 * pool.size));
  const w = new TocBuilder(stream, o);
  try {
    const passes = o.mode === 'lossless' ? await writeLossless(tar, w, o) : await writeBuild(tar, w, o);
    return { ...(await w.finish(o.mode === 'lossless')), passes };
  } catch (e) {
    await stream.abandon();
    throw toLayerlabError(e, ctx);
  } finally {
    if (ownPool) pool.close();
  }
}

interface Normalized {
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

function normalize(o: EstargzWriteOptions, ctx: ErrorContext): Normalized {
  const bad = (m: string) => new LayerlabError('UNSUPPORTED', `estargz writer: ${m}`, ctx);
  if (o.mode !== 'lossless' && o.mode !== 'build') throw bad(`mode must be 'lossless' or 'build', got ${JSON.stringify(o.mode)}`);
  const chunkSize = o.chunkSize || ESTARGZ_WRITE_DEFAULTS.chunkSize;
  if (!Number.isSafeInteger(chunkSize) || chunkSize < 1 || chunkSize > 1 << 30) throw bad(`chunkSize ${o.chunkSize} is not an integer from 1 to 1 GiB`);
  const minChunkSize = o.minChunkSize ?? 0;
  if (!Number.isSafeInteger(minChunkSize) || minChunkSize < 0) throw bad(`minChunkSize ${o.minChunkSize} is not a non-negative integer`);
  const level = o.level ?? ESTARGZ_WRITE_DEFAULTS.level;
  if (!Number.isInteger(level) || level < 0 || level > 9) throw bad(`gzip level ${o.level} is not an integer from 0 to 9`);
  const prioritized = o.prioritizedFiles ?? [];
  if (o.mode === 'lossless' && prioritized.length) throw bad('prioritized files need Build mode (lossless keeps the input order)');
  return { mode: o.mode, chunkSize, minChunkSize, level, prioritized, allowMissing: !!o.allowMissingPrioritized, signal: o.signal, onProgress: o.onProgress, file: o.file, ctx };
}

// ---------------------------------------------------------------------------------------------
// TOC entries and data chunks (shared by both modes)

type Internal = TocJsonEntry & { member?: number };

class TocBuilder {
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
    const tocTar = tocTarBytes(json);
    const member = await stream.compress(tocTar.slice());
    await stream.writeRaw(member, tocTar);
    await stream.writeRaw(footerBytes(tocOffset));
    return {
      tocDigest: await sha256Digest(json),
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

interface FileDataSink {
  /** Bytes of data the file has (its tar padding follows them). */
  size: number;
  data(b: Uint8Array): Promise<void>;
  end(): Promise<void>;
}

/** TOC type of a tar entry; UNSUPPORTED for what the library rejects (spec §2 step 2, §4.3). */
function tocType(e: TarEntry, ctx: ErrorContext): TocJsonEntry['type'] {
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

function unsupported(message: string, offset: number, entry: string | undefined, ctx: ErrorContext): LayerlabError {
  return new LayerlabError('UNSUPPORTED', `estargz writer: ${message}`, { ...ctx, entry, offset, offsetSpace: 'uncompressed' });
}

const pad512 = (n: number) => (512 - (n % 512)) % 512;

/** The TOC member's tar (spec §2 step 9): USTAR header, JSON, padding, end-of-archive. */
function tocTarBytes(json: Uint8Array): Uint8Array {
  const { bytes: header } = encodeEntryHeader({ name: TOC_TAR_NAME, type: 'file', size: json.length, mode: 0, uid: 0, gid: 0, mtime: 0 });
  const out = new Uint8Array(header.length + json.length + pad512(json.length) + 1024);
  out.set(header, 0);
  out.set(json, header.length);
  return out;
}

/** The 51-byte eStargz footer (spec §5.1). */
export function footerBytes(tocOffset: number): Uint8Array {
  const f = new Uint8Array(ESTARGZ_FOOTER.size);
  f.set([0x1f, 0x8b, 0x08, 0x04, 0, 0, 0, 0, 0, 0xff, ESTARGZ_FOOTER.xlen, 0, 0x53, 0x47, ESTARGZ_FOOTER.subfieldLen, 0]);
  const text = tocOffset.toString(16).padStart(16, '0') + FOOTER_MAGIC;
  for (let i = 0; i < text.length; i++) f[ESTARGZ_FOOTER.hexAt + i] = text.charCodeAt(i);
  f.set(FOOTER_TRAILER, ESTARGZ_FOOTER.trailerAt);
  return f;
}

// ---------------------------------------------------------------------------------------------
// One pass over the input tar

type PassEvent = { k: 'entry'; e: TarEntry; i: number } | { k: 'data'; b: Uint8Array } | { k: 'end' };

interface PassHandler {
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
async function runPass(tar: () => AsyncIterable<Uint8Array>, o: Normalized, h: PassHandler): Promise<number> {
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

// ---------------------------------------------------------------------------------------------
// Lossless (Writer.AppendTarLossLess)

async function writeLossless(tar: () => AsyncIterable<Uint8Array>, w: TocBuilder, o: Normalized): Promise<number> {
  const stream = w.stream;
  // Input bytes not yet placed into a member: [copied, end of the last chunk).
  const raw: { c: Uint8Array; at: number }[] = [];
  let copied = 0;
  /** Writes input bytes [copied, upTo) verbatim (framing: padding, extension headers, header). */
  const copyRaw = async (upTo: number) => {
    while (copied < upTo) {
      const head = raw[0];
      const from = copied - head.at;
      const to = Math.min(head.c.length, upTo - head.at);
      await stream.writeFraming(from === 0 && to === head.c.length ? head.c : head.c.subarray(from, to));
      copied = head.at + to;
      if (to === head.c.length) raw.shift();
    }
  };
  let file: FileDataSink | undefined;
  const total = await runPass(tar, o, {
    want: () => true,
    chunk: (c, at) => { raw.push({ c, at }); },
    progress: (pos) => o.onProgress?.(pos),
    entry: async (e) => {
      if (cleanTocName(e.name) === TOC_TAR_NAME) {
        throw new LayerlabError('BAD_LAZY_FORMAT',
          `the layer already holds an eStargz TOC entry ${JSON.stringify(e.name)} at tar offset ${e.headerOffset}; a lossless conversion cannot keep it (convert the layer's plain tar instead)`,
          { ...o.ctx, entry: e.name, offset: e.headerOffset, offsetSpace: 'uncompressed' });
      }
      const t = w.entryOf(e);
      await copyRaw(e.dataOffset);
      if (t.type === 'reg') file = await w.fileData(t, e.size);
      else w.push(t);
    },
    data: async (b) => {
      // Data views are exactly the input bytes at [copied, copied + b.length).
      await file!.data(b);
      copied += b.length;
      while (raw.length && raw[0].at + raw[0].c.length <= copied) raw.shift();
    },
    end: async () => {
      if (file) await file.end();
      file = undefined;
    },
  });
  // Everything after the last member: end-of-archive, record padding, trailing bytes (spec §8.1).
  await copyRaw(total);
  return 1;
}

// ---------------------------------------------------------------------------------------------
// Build (estargz.Build with one worker)

interface Planned {
  e: TarEntry;
  clean: string;
  /** A regular file with data to copy. */
  hasData: boolean;
}

/** Go's `tarFile`: a stream of entries with unique cleaned names, in order. */
class TarFile {
  readonly order: number[] = [];
  private readonly live = new Set<number>();
  readonly index = new Map<string, number>();

  add(i: number, name: string): void {
    this.index.set(name, i);
    this.order.push(i);
    this.live.add(i);
  }

  remove(name: string): void {
    const i = this.index.get(name);
    if (i === undefined) return;
    this.index.delete(name);
    this.live.delete(i);
  }

  get(name: string): number | undefined {
    return this.index.get(name);
  }

  dump(): number[] {
    return this.order.filter((i) => this.live.has(i));
  }
}

const LANDMARK = -1;

async function writeBuild(tar: () => AsyncIterable<Uint8Array>, w: TocBuilder, o: Normalized): Promise<number> {
  // Pass 1: the plan (importTar + sortEntries of build.go). Only headers are kept.
  const plan: Planned[] = [];
  const intar = new TarFile();
  await runPass(tar, o, {
    want: () => false,
    entry: async (e, i) => {
      const clean = cleanTocName(e.name);
      const reg = e.type === 'file' && (e.typeflag === '0' || e.typeflag === '\0');
      plan.push({ e, clean, hasData: reg && e.size > 0 && clean !== TOC_TAR_NAME });
      if (clean === PREFETCH_LANDMARK || clean === NO_PREFETCH_LANDMARK) return; // old landmarks go
      intar.remove(clean); // a later copy of a path replaces the earlier one, at its own place
      intar.add(i, clean);
    },
    data: async () => {},
    end: async () => {},
  });
  const sorted = new TarFile();
  // build.go moveRec: the path's parents (which must exist), a hard link's target, then the path.
  const moveRec = (name: string): boolean => {
    name = cleanTocName(name);
    if (name === '') {
      const i = intar.get('');
      if (i !== undefined) {
        sorted.add(i, '');
        intar.remove('');
      }
      return true;
    }
    if (intar.get(name) === undefined && sorted.get(name) === undefined) return false;
    const slash = name.lastIndexOf('/');
    if (!moveRec(slash < 0 ? '' : name.slice(0, slash + 1))) return false;
    const link = intar.get(name);
    if (link !== undefined && plan[link].e.type === 'hardlink' && !moveRec(plan[link].e.linkname)) return false;
    const i = intar.get(name);
    if (i !== undefined) {
      sorted.add(i, name);
      intar.remove(name);
    }
    return true;
  };
  for (const p of o.prioritized) {
    if (!moveRec(p) && !o.allowMissing) {
      throw new LayerlabError('NOT_FOUND', `estargz writer: prioritized file ${JSON.stringify(p)} (or one of its parent directories or hard-link targets) is not in the layer`, { ...o.ctx, entry: p });
    }
  }
  const first = sorted.dump();
  const rest = intar.dump();
  // Fail before writing anything on entries the writer cannot hold.
  for (const i of [...first, ...rest]) if (plan[i].clean !== TOC_TAR_NAME) tocType(plan[i].e, o.ctx);

  let passes = 1;
  if (first.length) passes += await writeInOrder(tar, w, o, plan, first);
  await writeLandmark(w, o.prioritized.length ? PREFETCH_LANDMARK : NO_PREFETCH_LANDMARK);
  const wantRest = new Set(rest);
  let file: FileDataSink | undefined;
  await runPass(tar, o, {
    want: (_e, i) => wantRest.has(i) && plan[i].hasData,
    progress: (pos) => o.onProgress?.(pos),
    entry: async (e, i) => {
      checkSame(plan, e, i, o);
      file = wantRest.has(i) ? await writeBuildHeader(w, plan[i]) : undefined;
    },
    data: async (b) => { await file?.data(b); },
    end: async () => {
      if (file) await endBuildFile(w, file);
      file = undefined;
    },
  });
  return passes + 1;
}

/** The input must not change between passes. */
function checkSame(plan: Planned[], e: TarEntry, i: number, o: Normalized): void {
  const p = plan[i];
  if (!p || p.e.name !== e.name || p.e.size !== e.size || p.e.headerOffset !== e.headerOffset) {
    throw new LayerlabError('BAD_TAR', `the tar changed between two reads: entry ${i} was ${JSON.stringify(p?.e.name)}, now ${JSON.stringify(e.name)}`, { ...o.ctx, entry: e.name, offset: e.headerOffset, offsetSpace: 'uncompressed' });
  }
}

/**
 * Header (re-encoded by the shared tar encoder, as Go's tar.Writer re-encodes it) and TOC entry
 * of one Build entry; returns the data sink of a non-empty file.
 */
async function writeBuildHeader(w: TocBuilder, p: Planned): Promise<FileDataSink | undefined> {
  if (p.clean === TOC_TAR_NAME) return undefined; // Writer.AppendTar drops an old TOC
  const t = w.entryOf(p.e);
  const { bytes, size } = encodeEntryHeader(p.e as TarWriterEntry);
  await w.stream.writeFraming(bytes);
  if (t.type !== 'reg') {
    w.push(t);
    return undefined;
  }
  const sink = await w.fileData(t, size);
  return size === 0 ? undefined : sink;
}

/** Ends a Build file: its digest, then its tar padding into the still-open member (tw.Flush). */
async function endBuildFile(w: TocBuilder, file: FileDataSink): Promise<void> {
  await file.end();
  const pad = pad512(file.size);
  if (pad) w.stream.write(new Uint8Array(pad));
}

/** build.go's landmark: a 1-byte regular file (0x0f), no mode, owner or time; always its own member. */
async function writeLandmark(w: TocBuilder, name: string): Promise<void> {
  const header: TarWriterEntry = { name, type: 'file', size: 1, mode: 0, uid: 0, gid: 0, mtime: 0 };
  await w.stream.writeFraming(encodeEntryHeader(header).bytes);
  const sink = await w.fileData({ name, type: 'reg', size: 1 }, 1, true);
  await sink.data(LANDMARK_CONTENT.slice());
  await endBuildFile(w, sink);
}

/**
 * Writes `order` (indexes into the plan) in that order, reading the tar as often as needed: in
 * each pass the entry due next is written straight from the stream, and data of entries due
 * later is copied into a reorder buffer (up to REORDER_BUDGET bytes) so they need no further
 * pass. Returns the passes made.
 */
async function writeInOrder(tar: () => AsyncIterable<Uint8Array>, w: TocBuilder, o: Normalized, plan: Planned[], order: number[]): Promise<number> {
  const position = new Map<number, number>();
  order.forEach((i, k) => position.set(i, k));
  const buffered = new Map<number, Uint8Array[]>();
  let bufferedBytes = 0;
  let next = 0;
  const writeWhole = async (i: number, body: Uint8Array[]) => {
    const sink = await writeBuildHeader(w, plan[i]);
    if (!sink) return;
    for (const b of body) await sink.data(b);
    await endBuildFile(w, sink);
  };
  /** Writes every due entry that needs no input. */
  const flushReady = async () => {
    while (next < order.length) {
      const i = order[next];
      if (!plan[i].hasData) await writeWhole(i, []);
      else if (buffered.has(i)) {
        const body = buffered.get(i)!;
        buffered.delete(i);
        bufferedBytes -= plan[i].e.size;
        await writeWhole(i, body);
      } else return;
      next++;
    }
  };
  await flushReady();
  let passes = 0;
  while (next < order.length) {
    passes++;
    const before = next;
    let file: FileDataSink | undefined;
    let collect: { i: number; body: Uint8Array[] } | undefined;
    await runPass(tar, o, {
      // Decided again in entry() with the current state; here only "might be needed".
      want: (_e, i) => plan[i].hasData && (position.get(i) ?? -1) >= 0,
      entry: async (e, i) => {
        checkSame(plan, e, i, o);
        file = undefined;
        collect = undefined;
        const k = position.get(i);
        if (k === undefined || !plan[i].hasData || k < next || buffered.has(i)) return;
        if (k === next) file = await writeBuildHeader(w, plan[i]);
        else if (bufferedBytes + e.size <= REORDER_BUDGET) {
          bufferedBytes += e.size;
          collect = { i, body: [] };
        }
      },
      data: async (b) => {
        if (file) await file.data(b);
        else if (collect) collect.body.push(b.slice());
      },
      end: async () => {
        if (file) {
          await endBuildFile(w, file);
          file = undefined;
          next++;
          await flushReady();
        } else if (collect) {
          buffered.set(collect.i, collect.body);
          collect = undefined;
        }
      },
    });
    if (next === before) throw new LayerlabError('INTERNAL', 'estargz writer: a pass over the tar wrote no prioritized entry', o.ctx);
  }
  return passes;
}
