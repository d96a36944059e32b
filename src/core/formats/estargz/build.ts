/**
 * eStargz Build mode (`estargz.Build` with one worker; spec §6): a plan pass over the tar, then
 * the data — duplicates collapsed to the last copy, old landmarks dropped, prioritized files
 * (with their parent directories and hard-link targets) first, then a landmark, then the rest in
 * input order, headers re-encoded. The policy lives here; the TOC and member mechanics in
 * ./toc-builder.ts.
 */
import { LayerlabError } from '../../errors.ts';
import { encodeEntryHeader, type TarWriterEntry } from '../../tar/tar-header-encoder.ts';
import type { TarEntry } from '../../tar/tar-types.ts';
import { cleanTocName } from './reader.ts';
import { NO_PREFETCH_LANDMARK, PREFETCH_LANDMARK, TOC_TAR_NAME } from './types.ts';

import { TocBuilder, runPass, tocType, pad512, type FileDataSink, type Normalized } from './toc-builder.ts';

/** Prioritized files read ahead of their turn are held in memory up to this many bytes. */
const REORDER_BUDGET = 64 << 20;
const LANDMARK_CONTENT = new Uint8Array([0x0f]);

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

export async function writeBuild(tar: () => AsyncIterable<Uint8Array>, w: TocBuilder, o: Normalized): Promise<number> {
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
