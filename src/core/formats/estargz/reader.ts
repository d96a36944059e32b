import type { ByteSource } from '../../bytes/byte-source.ts';
import { decompress } from '../../compress/decompress.ts';
import { sha256Digest } from '../../digest/sha256.ts';
import type { Digest } from '../../digest/digest.ts';
import { LayerlabError, checkAborted, type ErrorContext } from '../../errors.ts';
import type { Verification } from '../../digest/digest.ts';
import { readFooter } from './footer.ts';
import { inMember } from './member-error.ts';
import { readToc, type TocLimits, type TocRead } from './toc.ts';
import { NO_PREFETCH_LANDMARK, PREFETCH_LANDMARK, type Footer, type Landmark, type Toc, type TocEntry } from './types.ts';

/** One piece of file data with its own place in the blob: a non-empty `reg` entry or a `chunk` entry. */
export interface EstargzChunk {
  /** Index of the TOC entry (`reg` or `chunk`) that describes it. */
  entryIndex: number;
  /** The file's name as stored in the TOC. */
  name: string;
  /** Where the chunk lies in the file. */
  chunkOffset: number;
  /** Its length, normalised as the library's `initFields` does (spec §3): never 0. */
  chunkSize: number;
  /** Compressed offset of the gzip member (zstd frame) it starts in. */
  offset: number;
  /** Uncompressed bytes to skip in that member first (v0.13+ minChunkSize, spec §3); usually 0. */
  innerOffset: number;
  /** Where to stop fetching: the next member boundary, or the TOC (spec §7 `NextOffset`). */
  end: number;
  /** `chunkDigest`; for a one-chunk file of an old stargz TOC, the file's `digest`. */
  digest?: string;
}

export interface OpenEstargzOptions {
  /** The layer's `containerd.io/snapshot/stargz/toc.digest`: a TOC that does not match is refused. */
  tocDigest?: string;
  signal?: AbortSignal;
  limits?: Partial<TocLimits>;
}

export interface ReadFileOptions {
  offset?: number;
  length?: number;
  signal?: AbortSignal;
}

export interface VerifyOptions {
  signal?: AbortSignal;
  /** After each chunk: chunks and compressed bytes done so far, of the totals. */
  onProgress?(p: { chunks: number; chunkTotal: number; bytes: number; byteTotal: number }): void;
}

/** Hard links are followed at most this deep (a TOC can make a cycle). */
const MAX_LINK_HOPS = 64;

/**
 * Opens an eStargz blob (gzip, legacy stargz, or the zstd variant of spec §10) lazily, reading
 * only its tail: the footer, then the TOC (spec §9 steps 1–2). Throws UNKNOWN_FORMAT when the
 * blob has no footer (or the 40-byte one of a containers/storage zstd:chunked blob),
 * DIGEST_MISMATCH when `tocDigest` is given and the TOC does not match it, and the errors of
 * readFooter / readToc / the chunk map otherwise.
 */
export async function openEstargz(src: ByteSource, o: OpenEstargzOptions = {}): Promise<EstargzReader> {
  const footer = await readFooter(src, o.signal);
  if (!footer) {
    throw new LayerlabError('UNKNOWN_FORMAT', 'not an eStargz blob: its last bytes are neither the 51-byte eStargz, the 47-byte stargz nor the zstd variant\'s 40-byte footer',
      { file: src.name, offset: Math.max(0, src.size - 51), offsetSpace: 'compressed' });
  }
  const read = await readToc(src, footer, { signal: o.signal, expectedDigest: o.tocDigest, limits: o.limits });
  if (read.digestCheck === 'mismatch') {
    throw new LayerlabError('DIGEST_MISMATCH', `TOC digest mismatch: expected ${o.tocDigest}, the TOC is ${read.digest}`,
      { file: src.name, offset: footer.tocOffset, offsetSpace: 'compressed' });
  }
  return new EstargzReader(src, footer, read);
}

/**
 * An opened eStargz blob: the TOC, a name index and the chunk map, built and checked on
 * construction (offsets inside the blob, chunks of a file contiguous). Files are read by
 * fetching only their chunks' members, each decompressed on its own and checked against its
 * digest before use (spec §7 step 3, §9 steps 3–4).
 */
export class EstargzReader {
  readonly tocDigest: Digest;
  readonly tocDigestCheck: Verification;
  readonly toc: Toc;
  /** The TOC JSON exactly as stored. */
  readonly tocJson: Uint8Array;
  /** Every data chunk, in TOC order. */
  readonly chunks: readonly EstargzChunk[];
  readonly landmark: Landmark;
  /** Entries before `.prefetch.landmark` (names as stored): what a snapshotter prefetches (spec §6). */
  readonly prioritized: readonly string[];

  /** Cleaned name → index of the last TOC entry with that name (later entries win, spec §4.6). */
  private readonly byName = new Map<string, number>();
  /** Index of a `reg` entry → its chunks in file order. */
  private readonly fileChunks = new Map<number, EstargzChunk[]>();

  constructor(readonly source: ByteSource, readonly footer: Footer, read: TocRead) {
    this.toc = read.toc;
    this.tocJson = read.json;
    this.tocDigest = read.digest;
    this.tocDigestCheck = read.digestCheck;
    this.chunks = this.indexEntries();
    const root = (n: string) => this.toc.entries.findIndex((e) => e.type !== 'chunk' && cleanTocName(e.name) === n);
    const prefetch = root(PREFETCH_LANDMARK);
    this.landmark = prefetch >= 0 ? 'prefetch' : root(NO_PREFETCH_LANDMARK) >= 0 ? 'no-prefetch' : 'none';
    this.prioritized = prefetch < 0 ? [] : this.toc.entries.slice(0, prefetch).filter((e) => e.type !== 'chunk').map((e) => e.name);
  }

  /** The TOC entries in stored order (`chunk` entries included). */
  get entries(): readonly TocEntry[] {
    return this.toc.entries;
  }

  /** The entry a path names (leading '/', './' and trailing '/' do not matter), links not followed. */
  lookup(path: string): TocEntry | undefined {
    const i = this.byName.get(cleanTocName(path));
    return i === undefined ? undefined : this.toc.entries[i];
  }

  /**
   * Bytes [offset, offset + length) of a regular file (hard links followed to their target, whose
   * chunk list is the one to use, spec §9 step 3), clipped to the file. Fetches only the members
   * of the chunks that overlap the range.
   */
  async readFile(path: string, o: ReadFileOptions = {}): Promise<Uint8Array> {
    const i = this.resolveFile(path);
    const size = this.toc.entries[i].size ?? 0;
    const from = Math.min(Math.max(0, o.offset ?? 0), size);
    const to = Math.min(size, o.length === undefined ? size : from + Math.max(0, o.length));
    const out = new Uint8Array(to - from);
    for (const c of this.fileChunks.get(i) ?? []) {
      if (c.chunkOffset >= to || c.chunkOffset + c.chunkSize <= from) continue;
      const bytes = await this.readChunk(c, o.signal);
      const a = Math.max(from, c.chunkOffset);
      const b = Math.min(to, c.chunkOffset + c.chunkSize);
      out.set(bytes.subarray(a - c.chunkOffset, b - c.chunkOffset), a - from);
    }
    return out;
  }

  /**
   * Fetches, decompresses and hashes every chunk from its own member, as the reference's
   * `VerifyTOC` does (spec §7): DIGEST_MISMATCH at the first chunk that differs, BAD_LAZY_FORMAT
   * for two chunks at the same place or a chunk with no digest to check.
   */
  async verifyChunks(o: VerifyOptions = {}): Promise<{ chunks: number; bytes: number }> {
    const seen = new Map<string, EstargzChunk>();
    for (const c of this.chunks) {
      const key = `${c.offset}+${c.innerOffset}`;
      const other = seen.get(key);
      if (other) throw this.chunkError('BAD_LAZY_FORMAT', c, `chunk at offset ${c.offset}${c.innerOffset ? ` + ${c.innerOffset}` : ''} is also the one of ${JSON.stringify(other.name)} at ${other.chunkOffset}`);
      seen.set(key, c);
      if (!c.digest) throw this.chunkError('BAD_LAZY_FORMAT', c, `chunk at file offset ${c.chunkOffset} has no chunkDigest to verify`);
    }
    const byteTotal = this.chunks.reduce((s, c) => s + (c.end - c.offset), 0);
    let bytes = 0;
    let chunks = 0;
    for (const c of this.chunks) {
      await this.readChunk(c, o.signal);
      bytes += c.end - c.offset;
      chunks++;
      o.onProgress?.({ chunks, chunkTotal: this.chunks.length, bytes, byteTotal });
    }
    return { chunks, bytes };
  }

  /** One chunk's bytes, verified: decompress [offset, end), skip innerOffset, take chunkSize. */
  private async readChunk(c: EstargzChunk, signal?: AbortSignal): Promise<Uint8Array> {
    const ctx = this.chunkContext(c);
    checkAborted(signal, ctx);
    const out = new Uint8Array(c.chunkSize);
    const want = c.innerOffset + c.chunkSize;
    let pos = 0;
    try {
      // One gzip member or zstd frame: the decoder stops where it ends or when enough is read.
      for await (const d of decompress(this.source.stream({ start: c.offset, end: c.end, signal }), this.footer.compression, { signal, file: this.source.name })) {
        const a = Math.max(pos, c.innerOffset);
        const b = Math.min(pos + d.length, want);
        if (b > a) out.set(d.subarray(a - pos, b - pos), a - c.innerOffset);
        pos += d.length;
        // The rest of the member is tar padding and the next entries' headers (spec §1; for the
        // zstd variant's frames the same, zstd-chunked.md §6).
        if (pos >= want) break;
      }
    } catch (e) {
      throw inMember(e, ctx, `chunk at file offset ${c.chunkOffset}`);
    }
    if (pos < want) {
      throw this.chunkError('BAD_LAZY_FORMAT', c, `the data at ${c.offset}..${c.end} decompresses to ${pos} bytes; the chunk at file offset ${c.chunkOffset} needs ${want}`);
    }
    if (c.digest) {
      const got = await sha256Digest(out);
      if (got !== c.digest) throw this.chunkError('DIGEST_MISMATCH', c, `chunk at file offset ${c.chunkOffset} (${c.chunkSize} bytes) is ${got}, the TOC says ${c.digest}`);
    }
    return out;
  }

  private resolveFile(path: string): number {
    let i = this.byName.get(cleanTocName(path));
    for (let hops = 0; i !== undefined && this.toc.entries[i].type === 'hardlink'; hops++) {
      const e = this.toc.entries[i];
      if (hops === MAX_LINK_HOPS) throw new LayerlabError('BAD_LAZY_FORMAT', `hard link chain from ${JSON.stringify(path)} is longer than ${MAX_LINK_HOPS} (a cycle?)`, { file: this.source.name, entry: e.name });
      i = this.byName.get(cleanTocName(e.linkName ?? ''));
    }
    if (i === undefined) throw new LayerlabError('NOT_FOUND', `no ${JSON.stringify(path)} in the TOC`, { file: this.source.name, entry: path });
    const e = this.toc.entries[i];
    if (e.type !== 'reg') throw new LayerlabError('NOT_FOUND', `${JSON.stringify(e.name)} is a ${e.type}, not a regular file`, { file: this.source.name, entry: e.name });
    return i;
  }

  /** Builds the name index and the chunk map, checking what later reads rely on. */
  private indexEntries(): EstargzChunk[] {
    const chunks: EstargzChunk[] = [];
    const tocOffset = this.footer.tocOffset;
    let file: { index: number; size: number; next: number } | undefined;
    this.toc.entries.forEach((e, index) => {
      if (e.type !== 'chunk') this.byName.set(cleanTocName(e.name), index);
      if (e.type === 'reg') file = { index, size: e.size ?? 0, next: 0 };
      if (e.type !== 'chunk' && (e.type !== 'reg' || !e.size)) return;
      const owner = this.toc.entries[file?.index ?? -1];
      if (!file || e.type === 'chunk' && owner.name !== e.name) {
        throw new LayerlabError('BAD_LAZY_FORMAT', `TOC entry ${index}: a chunk entry that does not follow the reg entry of its file`, { file: this.source.name, entry: e.name });
      }
      const chunkOffset = e.chunkOffset ?? 0;
      // chunkSize 0 means "to the end of the file" (spec §3, initFields).
      const chunkSize = e.chunkSize || file.size - chunkOffset;
      const c: EstargzChunk = {
        entryIndex: index, name: e.name, chunkOffset, chunkSize, offset: e.offset ?? 0, innerOffset: e.innerOffset ?? 0, end: tocOffset,
        digest: e.chunkDigest ?? (e.type === 'reg' && chunkSize === file.size ? e.digest : undefined),
      };
      if (chunkOffset !== file.next || chunkSize <= 0 || chunkOffset + chunkSize > file.size) {
        throw this.chunkError('BAD_LAZY_FORMAT', c, `chunk [${chunkOffset}, ${chunkOffset + chunkSize}) does not continue the file at ${file.next} within its ${file.size} bytes`);
      }
      if (c.offset >= tocOffset) {
        const where = c.offset >= this.source.size ? `outside the ${this.source.size}-byte blob` : `not before the TOC at ${tocOffset}`;
        throw this.chunkError('BAD_LAZY_FORMAT', c, `chunk at file offset ${chunkOffset} has compressed offset ${c.offset}, ${where}`);
      }
      file.next = chunkOffset + chunkSize;
      chunks.push(c);
      let list = this.fileChunks.get(file.index);
      if (!list) this.fileChunks.set(file.index, list = []);
      list.push(c);
    });
    // Each chunk's member ends at the next member start in the blob, whatever the TOC order.
    const starts = [...new Set(chunks.map((c) => c.offset))].sort((a, b) => a - b);
    for (const c of chunks) {
      const k = upperBound(starts, c.offset);
      if (k < starts.length) c.end = starts[k];
    }
    return chunks;
  }

  private chunkContext(c: EstargzChunk): ErrorContext {
    return { file: this.source.name, entry: c.name, offset: c.offset, offsetSpace: 'compressed' };
  }

  private chunkError(code: 'BAD_LAZY_FORMAT' | 'DIGEST_MISMATCH', c: EstargzChunk, message: string): LayerlabError {
    return new LayerlabError(code, message, this.chunkContext(c));
  }
}

/**
 * A TOC name as the reference looks it up (spec §4.6): Go's `path.Clean("/" + name)` without the
 * leading '/', so `./bin/` → `bin`, `/etc/x` → `etc/x`, `./` → '' and `a/../b` → `b`.
 */
export function cleanTocName(name: string): string {
  const parts: string[] = [];
  for (const p of name.split('/')) {
    if (p === '..') parts.pop();
    else if (p !== '' && p !== '.') parts.push(p);
  }
  return parts.join('/');
}

/** Index of the first element greater than x in a sorted array. */
function upperBound(sorted: number[], x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
