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
import { inlineCompressionPool } from '../../compress/compression-pool.ts';
import { createSha256 } from '../../digest/sha256.ts';
import { LayerlabError, toLayerlabError, type ErrorContext } from '../../errors.ts';
import { cleanTocName } from './reader.ts';
import { MemberStream } from './member-stream.ts';
import { GZIP_MEMBERS, memberLevel, type MemberCompressor } from './member-compressor.ts';
import { TOC_TAR_NAME } from './types.ts';
import { ESTARGZ_WRITE_DEFAULTS, TocBuilder, runPass, type EstargzWriteOptions, type EstargzWriteResult, type FileDataSink, type Normalized } from './toc-builder.ts';
import { writeBuild } from './build.ts';

export { ESTARGZ_WRITE_DEFAULTS, type EstargzWriteOptions, type EstargzWriteResult } from './toc-builder.ts';
export { footerBytes } from './footer.ts';
export { GZIP_MEMBERS, ZSTD_MEMBERS, MEMBER_COMPRESSORS, type EstargzCompression, type MemberCompressor } from './member-compressor.ts';

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
  const compressor = options.compressor ?? GZIP_MEMBERS;
  const o = normalize(options, compressor, ctx);
  const ownPool = !options.pool;
  const pool = options.pool ?? inlineCompressionPool();
  const diffId = await createSha256();
  const stream = new MemberStream(pool, compressor, o.level, sink, diffId, o.chunkSize + Math.max(o.chunkSize, 1 << 20), Math.max(2, 2 * pool.size));
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

function normalize(o: EstargzWriteOptions, compressor: MemberCompressor, ctx: ErrorContext): Normalized {
  const bad = (m: string) => new LayerlabError('UNSUPPORTED', `estargz writer: ${m}`, ctx);
  if (o.mode !== 'lossless' && o.mode !== 'build') throw bad(`mode must be 'lossless' or 'build', got ${JSON.stringify(o.mode)}`);
  const chunkSize = o.chunkSize || ESTARGZ_WRITE_DEFAULTS.chunkSize;
  if (!Number.isSafeInteger(chunkSize) || chunkSize < 1 || chunkSize > 1 << 30) throw bad(`chunkSize ${o.chunkSize} is not an integer from 1 to 1 GiB`);
  const minChunkSize = o.minChunkSize ?? 0;
  if (!Number.isSafeInteger(minChunkSize) || minChunkSize < 0) throw bad(`minChunkSize ${o.minChunkSize} is not a non-negative integer`);
  const level = memberLevel(compressor, o.level, ctx);
  const prioritized = o.prioritizedFiles ?? [];
  if (o.mode === 'lossless' && prioritized.length) throw bad('prioritized files need Build mode (lossless keeps the input order)');
  return { mode: o.mode, chunkSize, minChunkSize, level, prioritized, allowMissing: !!o.allowMissingPrioritized, signal: o.signal, onProgress: o.onProgress, file: o.file, ctx };
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

