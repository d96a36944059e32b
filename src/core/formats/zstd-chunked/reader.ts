import type { ByteSource } from '../../bytes/byte-source.ts';
import { decompress } from '../../compress/decompress.ts';
import type { Digest } from '../../digest/digest.ts';
import { createSha256, sha256Digest } from '../../digest/sha256.ts';
import { LayerlabError, checkAborted, isAbort, toLayerlabError, type ErrorContext } from '../../errors.ts';
import { indexChunks, type ChunkIndex, type ZstdChunkedChunk } from './chunk-index.ts';
import { readZstdChunkedFooter } from './footer.ts';
import { inflateExact } from './inflate.ts';
import { readFramePayload, readManifest } from './manifest.ts';
import { indexEntryKey } from '../../layer/index-entry.ts';
import { rebuildTar, tarSplitEntries } from './tar-split.ts';
import {
  ANNOTATION_PREFIXES, MAX_MANIFEST_BYTES, MANIFEST_CHECKSUM, MANIFEST_POSITION, STARGZ_TOC_DIGEST, TARSPLIT_CHECKSUM, TARSPLIT_POSITION,
  type BlobSpan, type Manifest, type ManifestEntry, type ZstdChunkedFlavour, type ZstdChunkedFooter, type ZstdChunkedSummary,
} from './types.ts';

export interface OpenZstdChunkedOptions {
  /** The layer descriptor's annotations: checksums checked, positions compared, tar-split found (spec §5). */
  annotations?: Record<string, string>;
  signal?: AbortSignal;
}

/** Where the tar-split is and what authenticates it (spec §3, §5). */
export interface TarSplitLocation {
  span: BlobSpan;
  /** Found through the footer (v2-64) or the `tarsplit-position` annotation (interim-56). */
  from: 'footer' | 'annotation';
  /** `tarSplitDigest` of the manifest, else the `tarsplit-checksum` annotation; undefined: not trusted. */
  digest?: string;
}

export interface ZstdChunkedVerifyOptions {
  signal?: AbortSignal;
  /** The layer's diffID (the image config's): the rebuilt tar must hash to it. Without it, the whole stream is decompressed and hashed to get it. */
  diffId?: string;
  /** Compressed bytes read of the total, per phase. */
  onProgress?(p: { phase: 'chunks' | 'tar-split' | 'diffid'; done: number; total: number }): void;
}

export interface ZstdChunkedVerifyReport {
  variant: ZstdChunkedSummary['variant'];
  manifestDigest: string;
  manifestDigestCheck: ZstdChunkedSummary['manifestDigestCheck'];
  entries: number;
  chunks: number;
  /** `zeros` chunks among them (fetched and checked like the others). */
  zeroChunks: number;
  /** Multi-chunk files whose whole-file `digest` was checked too. */
  files: number;
  compressedBytes: number;
  tarSplit: ZstdChunkedSummary['tarSplit'];
  /** What is worth knowing but no fault (duplicate names). */
  notes: string[];
  /** The tar rebuilt from the tar-split (when it is trusted): its sha256 and size, against the diffID. */
  rebuilt?: { digest: string; size: number; diffId?: string; diffIdCheck: 'ok' | 'mismatch' | 'unchecked' };
  problems: LayerlabError[];
}

/** Hard links are followed at most this deep (a manifest can make a cycle). */
const MAX_LINK_HOPS = 64;

/** An annotation under either key prefix (spec §5: `io.github.containers.` since 1.44, `io.containers.` before). */
export function zstdChunkedAnnotation(annotations: Record<string, string> | undefined, key: string): string | undefined {
  for (const p of ANNOTATION_PREFIXES) {
    const v = annotations?.[p + key];
    if (v !== undefined) return v;
  }
  return undefined;
}

/**
 * Refuses a descriptor that claims both a zstd:chunked manifest and an eStargz TOC, as
 * containers/storage does ("both zstd:chunked and eStargz TOC found", spec §5). The old-prefix
 * checksum with a TOC digest is stargz-snapshotter's own zstd variant (shape B), not a conflict.
 */
export function checkAnnotationConflict(annotations: Record<string, string> | undefined, ctx: ErrorContext): void {
  if (annotations?.[STARGZ_TOC_DIGEST] !== undefined && annotations[ANNOTATION_PREFIXES[0] + MANIFEST_CHECKSUM] !== undefined) {
    throw new LayerlabError('BAD_LAZY_FORMAT',
      `both zstd:chunked and eStargz TOC found: the descriptor carries ${ANNOTATION_PREFIXES[0] + MANIFEST_CHECKSUM} and ${STARGZ_TOC_DIGEST}`, ctx);
  }
}

/**
 * Opens a blob as containers/storage zstd:chunked (shapes A, C, D of spec §9), reading only its
 * footer and manifest. undefined: not zstd:chunked, or stargz-snapshotter's zstd eStargz (B, the
 * eStargz format's). Throws a LayerlabError when the footer is there but what it points at is
 * broken (a damaged zstd:chunked blob, not another format).
 */
export async function probeZstdChunked(src: ByteSource, o: OpenZstdChunkedOptions = {}): Promise<ZstdChunkedReader | undefined> {
  checkAnnotationConflict(o.annotations, { file: src.name });
  const footer = await readZstdChunkedFooter(src, o.signal);
  if (!footer) return undefined;
  const read = await readManifest(src, footer.manifest, { signal: o.signal });
  if (read.flavour === 'stargz-snapshotter') return undefined;
  return new ZstdChunkedReader(src, footer, read.json, read.manifest, read.compressedDigest, read.flavour, o.annotations);
}

/** As probeZstdChunked, but a blob that is not containers/storage zstd:chunked is UNKNOWN_FORMAT. */
export async function openZstdChunked(src: ByteSource, o: OpenZstdChunkedOptions = {}): Promise<ZstdChunkedReader> {
  const r = await probeZstdChunked(src, o);
  if (r) return r;
  const footer = await readZstdChunkedFooter(src, o.signal);
  throw new LayerlabError('UNKNOWN_FORMAT', footer
    ? 'this is stargz-snapshotter\'s eStargz zstd variant (its manifest is an eStargz TOC): read it as eStargz'
    : 'not a zstd:chunked blob: it does not start with a zstd frame and end with a 40-, 56- or 64-byte zstd:chunked footer',
  { file: src.name, offset: Math.max(0, src.size - 72), offsetSpace: 'compressed' });
}

/**
 * An opened zstd:chunked blob: footer, manifest (raw JSON kept), a name index and the chunk map,
 * checked on construction. Files are read by fetching only their chunks' frames, each
 * decompressed on its own to exactly its size and checked against its digest (spec §7 step 4).
 */
export class ZstdChunkedReader {
  readonly index: ChunkIndex;
  readonly manifestDigestCheck: ZstdChunkedSummary['manifestDigestCheck'];
  /** The `manifest-position` annotation against the footer. */
  readonly positionCheck: ZstdChunkedSummary['positionCheck'];
  /** The `manifest-checksum` annotation (either prefix), when the layer has one. */
  readonly manifestChecksum?: string;
  readonly tarSplit?: TarSplitLocation;
  /** A tar-split frame that nothing authenticates: not used (spec §3). */
  readonly tarSplitUnauthenticated: boolean;
  /** Findings that do not stop reading: annotations that disagree with the footer. */
  readonly problems: LayerlabError[] = [];
  /**
   * Names given by more than one entry. A tar may repeat a name (the later member wins on
   * extraction, and the fixtures' t1 does), so this is a note, not a problem: lookups give the later one.
   */
  readonly notes: string[] = [];
  /** Where the data frames end: the manifest's skippable frame starts there. */
  readonly dataEnd: number;

  constructor(
    readonly source: ByteSource,
    readonly footer: ZstdChunkedFooter,
    /** The manifest JSON exactly as stored (decompressed). */
    readonly manifestJson: Uint8Array,
    readonly manifest: Manifest,
    /** sha256 of the compressed manifest (the `manifest-checksum` value). */
    readonly manifestDigest: Digest,
    readonly flavour: ZstdChunkedFlavour,
    annotations?: Record<string, string>,
  ) {
    const file = source.name;
    this.dataEnd = footer.manifest.offset - 8;
    this.index = indexChunks(manifest.entries, this.dataEnd, file);
    for (const d of this.index.duplicates) {
      this.notes.push(`manifest entries ${d.first} and ${d.later} both name ${JSON.stringify(d.name)}; the later one is the file (tar order)`);
    }
    const checksum = this.manifestChecksum = zstdChunkedAnnotation(annotations, MANIFEST_CHECKSUM);
    this.manifestDigestCheck = checksum === undefined ? 'unchecked' : checksum === manifestDigest ? 'ok' : 'mismatch';
    const position = zstdChunkedAnnotation(annotations, MANIFEST_POSITION);
    const m = footer.manifest;
    this.positionCheck = position === undefined ? 'unchecked' : position === `${m.offset}:${m.length}:${m.uncompressedLength}:1` ? 'ok' : 'mismatch';
    if (this.positionCheck === 'mismatch') {
      this.problems.push(new LayerlabError('BAD_LAZY_FORMAT', `zstd:chunked manifest-position annotation ${position} disagrees with the footer (${m.offset}:${m.length}:${m.uncompressedLength}:1); the footer is used`,
        { file, offset: source.size - footer.size, offsetSpace: 'compressed' }));
    }
    const annotated = parsePosition(zstdChunkedAnnotation(annotations, TARSPLIT_POSITION));
    const span = footer.tarSplit ?? annotated;
    if (span) {
      const digest = manifest.tarSplitDigest ?? zstdChunkedAnnotation(annotations, TARSPLIT_CHECKSUM);
      this.tarSplit = { span, from: footer.tarSplit ? 'footer' : 'annotation', digest };
    }
    this.tarSplitUnauthenticated = !!span && !this.tarSplit?.digest;
  }

  /** The manifest checksum annotation disagreeing with the manifest, as a problem (undefined: it agrees or is absent). */
  manifestMismatch(): LayerlabError | undefined {
    if (this.manifestDigestCheck !== 'mismatch') return undefined;
    return new LayerlabError('DIGEST_MISMATCH', `zstd:chunked manifest checksum mismatch: the annotation says ${this.manifestChecksum}, the manifest is ${this.manifestDigest}`,
      { file: this.source.name, offset: this.footer.manifest.offset, offsetSpace: 'compressed' });
  }

  /**
   * A manifest whose checksum annotation does not match is not trusted for reading files (its
   * chunk digests are what file bytes are checked against): containers/storage refuses it too.
   */
  private refuseUntrusted(): void {
    const mismatch = this.manifestMismatch();
    if (mismatch) throw mismatch;
  }

  get variant(): ZstdChunkedSummary['variant'] {
    return this.footer.kind;
  }

  summary(): ZstdChunkedSummary {
    return {
      variant: this.footer.kind, flavour: this.flavour, manifestDigest: this.manifestDigest, manifestOffset: this.footer.manifest.offset,
      manifestDigestCheck: this.manifestDigestCheck, positionCheck: this.positionCheck, entries: this.manifest.entries.length, chunks: this.index.chunks.length,
      tarSplit: !this.tarSplit ? 'absent' : this.tarSplitUnauthenticated ? 'unauthenticated' : 'present',
      ...(this.tarSplit ? { tarSplitOffset: this.tarSplit.span.offset } : {}),
    };
  }

  /** The entry a path names (`./`, leading and trailing `/` do not matter), links not followed; the last of duplicates. */
  lookup(path: string): ManifestEntry | undefined {
    const i = this.index.byKey.get(indexEntryKey(path));
    return i === undefined ? undefined : this.manifest.entries[i];
  }

  /**
   * Bytes [offset, offset + length) of a regular file (hard links followed through linkName, spec
   * §7 step 4), clipped to the file. Fetches only the frames of the chunks that overlap the range;
   * `zeros` chunks are synthesised.
   */
  async readFile(path: string, o: { offset?: number; length?: number; signal?: AbortSignal } = {}): Promise<Uint8Array> {
    this.refuseUntrusted();
    const i = this.resolveFile(path);
    const size = this.manifest.entries[i].size ?? 0;
    const from = Math.min(Math.max(0, o.offset ?? 0), size);
    const to = Math.min(size, o.length === undefined ? size : from + Math.max(0, o.length));
    const out = new Uint8Array(to - from);
    for (const c of this.index.fileChunks.get(i) ?? []) {
      if (c.chunkOffset >= to || c.chunkOffset + c.chunkSize <= from) continue;
      const bytes = await this.readChunk(c, { signal: o.signal });
      const a = Math.max(from, c.chunkOffset);
      const b = Math.min(to, c.chunkOffset + c.chunkSize);
      out.set(bytes.subarray(a - c.chunkOffset, b - c.chunkOffset), a - from);
    }
    return out;
  }

  /** A file's content chunk by chunk (the tar rebuild's source): one chunk in memory at a time. */
  async *fileContent(entryIndex: number, signal?: AbortSignal): AsyncGenerator<Uint8Array> {
    for (const c of this.index.fileChunks.get(entryIndex) ?? []) yield await this.readChunk(c, { signal });
  }

  /**
   * One chunk, verified: its extent [offset, end) decompressed on its own must give exactly
   * chunkSize bytes (a frame boundary at both ends, spec §1), whose sha256 is its digest. A
   * `zeros` chunk is made here, not fetched, unless `fetchZeros` (verify checks its frames too).
   */
  async readChunk(c: ZstdChunkedChunk, o: { signal?: AbortSignal; fetchZeros?: boolean } = {}): Promise<Uint8Array> {
    const ctx = { file: this.source.name, entry: c.name, offset: c.offset, offsetSpace: 'compressed' as const };
    checkAborted(o.signal, ctx);
    let bytes: Uint8Array;
    if (c.zeros && !o.fetchZeros) {
      bytes = new Uint8Array(c.chunkSize);
    } else {
      const stored = await this.source.read(c.offset, c.end - c.offset, o.signal);
      if (stored.length < c.end - c.offset) throw new LayerlabError('TRUNCATED', `chunk at file offset ${c.chunkOffset}: read ${stored.length} of ${c.end - c.offset} bytes`, ctx);
      bytes = await inflateExact(stored, c.chunkSize, `chunk at file offset ${c.chunkOffset} of ${JSON.stringify(c.name)}`, { file: this.source.name, entry: c.name, base: c.offset });
      if (c.zeros && bytes.some((b) => b !== 0)) throw new LayerlabError('BAD_LAZY_FORMAT', `chunk at file offset ${c.chunkOffset} is marked zeros but holds other bytes`, ctx);
    }
    if (c.digest) {
      const got = await sha256Digest(bytes);
      if (got !== c.digest) throw new LayerlabError('DIGEST_MISMATCH', `chunk at file offset ${c.chunkOffset} (${c.chunkSize} bytes) of ${JSON.stringify(c.name)} is ${got}, the manifest says ${c.digest}`, ctx);
    }
    return bytes;
  }

  /**
   * The tar-split's compressed bytes, read by range and authenticated (spec §3: a tar-split without
   * a digest is not trusted). Throws when there is none, it is unauthenticated, or its digest differs.
   */
  async readTarSplit(signal?: AbortSignal): Promise<{ location: TarSplitLocation; compressed: Uint8Array }> {
    const ctx = { file: this.source.name, offsetSpace: 'compressed' as const };
    const t = this.tarSplit;
    if (!t) throw new LayerlabError('NOT_FOUND', `this zstd:chunked blob (${this.variant}) has no tar-split`, ctx);
    if (!t.digest) {
      throw new LayerlabError('DIGEST_MISMATCH', 'the tar-split is not authenticated (no tarSplitDigest in the manifest, no tarsplit-checksum annotation), so it is not used (spec §3)', { ...ctx, offset: t.span.offset });
    }
    // Held whole so that it is authenticated before a byte of it is used; bounded like the manifest.
    if (t.span.length > MAX_MANIFEST_BYTES) {
      throw new LayerlabError('TOO_LARGE', `zstd:chunked tar-split: ${t.span.length} compressed bytes, at most ${MAX_MANIFEST_BYTES} are read`, { ...ctx, offset: t.span.offset });
    }
    const compressed = await readFramePayload(this.source, t.span, 'tar-split', signal);
    const got = await sha256Digest(compressed);
    if (got !== t.digest) throw new LayerlabError('DIGEST_MISMATCH', `zstd:chunked tar-split digest mismatch: the ${this.manifest.tarSplitDigest ? 'manifest' : 'annotation'} says ${t.digest}, the tar-split is ${got}`, { ...ctx, offset: t.span.offset });
    return { location: t, compressed };
  }

  /**
   * The original tar, rebuilt from the authenticated tar-split and the files read through the
   * manifest (spec §4), streamed. Its sha256 is the layer's diffID.
   */
  async *tar(signal?: AbortSignal): AsyncGenerator<Uint8Array> {
    this.refuseUntrusted();
    const { location, compressed } = await this.readTarSplit(signal);
    const ctx = { file: this.source.name };
    yield* rebuildTar(tarSplitEntries(compressed, location.span, ctx, signal), this.manifest.entries, (i, s) => this.fileContent(i, s), ctx, signal);
  }

  /**
   * Everything the blob states about itself (spec §1, §3, §4): every chunk (frame boundaries,
   * exact size, digest; zeros chunks fetched too), every multi-chunk file's whole digest, the
   * tar-split digest, and the rebuilt tar against the diffID. Mismatches are collected as
   * problems (with entry and offset), so one run reports them all; ABORTED ends it.
   */
  async verify(o: ZstdChunkedVerifyOptions = {}): Promise<ZstdChunkedVerifyReport> {
    const problems: LayerlabError[] = [...this.problems];
    const keep = (e: unknown) => {
      if (isAbort(e)) throw e;
      problems.push(toLayerlabError(e, { file: this.source.name }));
    };
    const mismatch = this.manifestMismatch();
    if (mismatch) problems.push(mismatch);
    const chunks = this.index.chunks;
    const total = chunks.reduce((s, c) => s + c.end - c.offset, 0);
    let done = 0;
    let files = 0;
    for (const [i, list] of this.index.fileChunks) {
      const e = this.manifest.entries[i];
      const whole = list.length > 1 && e.digest ? await createSha256() : undefined;
      let ok = true;
      for (const c of list) {
        try {
          const bytes = await this.readChunk(c, { signal: o.signal, fetchZeros: true });
          whole?.update(bytes);
        } catch (err) {
          ok = false;
          keep(err);
        }
        done += c.end - c.offset;
        o.onProgress?.({ phase: 'chunks', done, total });
      }
      if (whole && ok) {
        files++;
        const got = whole.digest();
        if (got !== e.digest) problems.push(new LayerlabError('DIGEST_MISMATCH', `file ${JSON.stringify(e.name)} is ${got}, the manifest says ${e.digest}`, { file: this.source.name, entry: e.name, offset: e.offset, offsetSpace: 'compressed' }));
      }
    }
    const report: ZstdChunkedVerifyReport = {
      variant: this.variant, manifestDigest: this.manifestDigest, manifestDigestCheck: this.manifestDigestCheck, entries: this.manifest.entries.length,
      chunks: chunks.length, zeroChunks: chunks.filter((c) => c.zeros).length, files, compressedBytes: total, tarSplit: this.summary().tarSplit, notes: [...this.notes], problems,
    };
    if (report.tarSplit === 'unauthenticated') {
      problems.push(new LayerlabError('DIGEST_MISMATCH', 'the tar-split is not authenticated (no tarSplitDigest, no tarsplit-checksum annotation): not used (spec §3)', { file: this.source.name, offset: this.tarSplit!.span.offset, offsetSpace: 'compressed' }));
    }
    if (report.tarSplit !== 'present') return report;
    try {
      const hash = await createSha256();
      let size = 0;
      for await (const piece of this.tar(o.signal)) {
        hash.update(piece);
        size += piece.length;
      }
      report.tarSplit = 'ok';
      const diffId = o.diffId ?? await this.streamDiffId(o);
      const digest = hash.digest();
      report.rebuilt = { digest, size, diffId, diffIdCheck: digest === diffId ? 'ok' : 'mismatch' };
      if (digest !== diffId) {
        problems.push(new LayerlabError('DIGEST_MISMATCH', `the tar rebuilt from the tar-split is ${digest} (${size} bytes), the layer's diffID is ${diffId}`, { file: this.source.name }));
      }
    } catch (err) {
      if (err instanceof LayerlabError && err.code === 'DIGEST_MISMATCH' && /tar-split digest mismatch/.test(err.message)) report.tarSplit = 'mismatch';
      keep(err);
    }
    return report;
  }

  /** sha256 of the whole decompressed stream (skippable frames ignored): the diffID by definition. */
  private async streamDiffId(o: ZstdChunkedVerifyOptions): Promise<string> {
    const hash = await createSha256();
    let done = 0;
    const src = this.source;
    async function* counted() {
      for await (const b of src.stream({ signal: o.signal })) {
        done += b.length;
        o.onProgress?.({ phase: 'diffid', done, total: src.size });
        yield b;
      }
    }
    for await (const d of decompress(counted(), 'zstd', { file: src.name, signal: o.signal })) hash.update(d);
    return hash.digest();
  }

  private resolveFile(path: string): number {
    const file = this.source.name;
    let i = this.index.byKey.get(indexEntryKey(path));
    for (let hops = 0; i !== undefined && this.manifest.entries[i].type === 'hardlink'; hops++) {
      const e = this.manifest.entries[i];
      if (hops === MAX_LINK_HOPS) throw new LayerlabError('BAD_LAZY_FORMAT', `hard link chain from ${JSON.stringify(path)} is longer than ${MAX_LINK_HOPS} (a cycle?)`, { file, entry: e.name });
      i = this.index.byKey.get(indexEntryKey(e.linkName ?? ''));
    }
    if (i === undefined) throw new LayerlabError('NOT_FOUND', `no ${JSON.stringify(path)} in the zstd:chunked manifest`, { file, entry: path });
    const e = this.manifest.entries[i];
    if (e.type !== 'reg') throw new LayerlabError('NOT_FOUND', `${JSON.stringify(e.name)} is a ${e.type}, not a regular file`, { file, entry: e.name });
    return i;
  }
}

/** `offset:compressedLen:uncompressedLen` (spec §5 `tarsplit-position`). */
function parsePosition(v: string | undefined): BlobSpan | undefined {
  const m = v === undefined ? null : /^(\d+):(\d+):(\d+)$/.exec(v);
  return m ? { offset: Number(m[1]), length: Number(m[2]), uncompressedLength: Number(m[3]) } : undefined;
}
