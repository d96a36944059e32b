import { LayerlabError } from '../../errors.ts';
import { indexEntryKey } from '../../layer/index-entry.ts';
import type { ManifestEntry } from './types.ts';

/** One payload extent of a file: its own zstd frame(s) in the blob (spec §1, §3). */
export interface ZstdChunkedChunk {
  /** Index of the manifest entry (`reg` or `chunk`) that describes it. */
  entryIndex: number;
  name: string;
  /** Where the chunk lies in the file, and its length. */
  chunkOffset: number;
  chunkSize: number;
  /** Compressed extent [offset, end): decompresses to exactly `chunkSize` bytes (spec §1). */
  offset: number;
  end: number;
  /** `chunkDigest`, or for a one-chunk file the file's `digest` (spec §7 step 4). */
  digest?: string;
  /** A run of zeros (`chunkType` "zeros"): synthesised on read, not fetched (spec §3). */
  zeros: boolean;
}

export interface ChunkIndex {
  chunks: ZstdChunkedChunk[];
  /** Index of a `reg` entry → its chunks in file order. */
  fileChunks: Map<number, ZstdChunkedChunk[]>;
  /** Tree key (layer/index-entry.ts indexEntryKey) → index of the last non-chunk entry of that name (tar order: the last wins). */
  byKey: Map<string, number>;
  /** Names given by more than one non-chunk entry: [first index, later index]. */
  duplicates: { name: string; first: number; later: number }[];
}

/**
 * The chunk map of a containers/storage manifest (spec §3 "Layout rules"): a `reg` entry with
 * data describes its first chunk (the whole file when it has no `chunkSize`), `chunk` entries of
 * the same name follow, contiguous in the file and in increasing blob order; chunk i's extent
 * ends where chunk i+1 starts, the last at the `reg` entry's `endOffset`. Anything else is
 * BAD_LAZY_FORMAT naming the entry and its offset.
 */
export function indexChunks(entries: readonly ManifestEntry[], dataEnd: number, file: string): ChunkIndex {
  const index: ChunkIndex = { chunks: [], fileChunks: new Map(), byKey: new Map(), duplicates: [] };
  const fail = (e: ManifestEntry, i: number, why: string): never => {
    throw new LayerlabError('BAD_LAZY_FORMAT', `zstd:chunked manifest entry ${i} (${e.type} ${JSON.stringify(e.name)}): ${why}`,
      { file, entry: e.name, offset: e.offset, offsetSpace: 'compressed' });
  };
  // The file whose chunk entries may follow.
  let open: { index: number; entry: ManifestEntry; size: number; next: number; list: ZstdChunkedChunk[] } | undefined;
  const close = () => {
    if (!open) return;
    const { entry, index: i, size, next, list } = open;
    if (next !== size) fail(entry, i, `its chunks cover ${next} of its ${size} bytes`);
    const last = list[list.length - 1];
    // 1.43 always writes endOffset; stargz-era readers filled a missing one from the next
    // payload (spec §9, compatibility notes): the end of the data frames is the safe bound.
    last.end = entry.endOffset ?? dataEnd;
    if (last.end <= last.offset) fail(entry, i, `endOffset ${last.end} is not after its last chunk's offset ${last.offset}`);
    open = undefined;
  };
  entries.forEach((e, i) => {
    if (e.type !== 'chunk') {
      close();
      const key = indexEntryKey(e.name);
      const before = index.byKey.get(key);
      if (before !== undefined) index.duplicates.push({ name: e.name, first: before, later: i });
      index.byKey.set(key, i);
      if (e.type !== 'reg' || !e.size) return;
      if (e.offset === undefined) fail(e, i, `${e.size} bytes of data but no offset`);
      open = { index: i, entry: e, size: e.size, next: 0, list: [] };
      index.fileChunks.set(i, open.list);
    } else if (!open || open.entry.name !== e.name) {
      fail(e, i, 'a chunk entry that does not follow the reg entry of its file');
    }
    const f = open!;
    const chunkOffset = e.type === 'chunk' ? e.chunkOffset ?? 0 : 0;
    const chunkSize = e.chunkSize ?? (e.type === 'reg' ? f.size : 0);
    if (e.offset === undefined) fail(e, i, 'no offset');
    if (chunkOffset !== f.next || chunkSize <= 0 || chunkOffset + chunkSize > f.size) {
      fail(e, i, `chunk [${chunkOffset}, ${chunkOffset + chunkSize}) does not continue the file at ${f.next} within its ${f.size} bytes`);
    }
    const prev = f.list[f.list.length - 1];
    if (prev) {
      if (e.offset! <= prev.offset) fail(e, i, `chunk offset ${e.offset} is not after the previous chunk's ${prev.offset}`);
      prev.end = e.offset!;
    }
    const single = e.type === 'reg' && e.chunkSize === undefined;
    const c: ZstdChunkedChunk = {
      entryIndex: i, name: e.name, chunkOffset, chunkSize, offset: e.offset!, end: dataEnd,
      digest: e.chunkDigest || (single ? e.digest : undefined), zeros: e.chunkType === 'zeros',
    };
    f.next = chunkOffset + chunkSize;
    f.list.push(c);
    index.chunks.push(c);
  });
  close();
  return index;
}
