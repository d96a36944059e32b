import { formatCount, shortDigest } from '../../core/display.ts';

/**
 * What IndexBrowser.svelte shows: plain rows a format's panel makes from its index (an eStargz
 * TOC, a zstd:chunked manifest, a tar-split), so the browser knows no format.
 */

/** A column: its header and the classes of its cells (`num`, `mono`, `faint`, `name`). */
export interface IndexColumn {
  label: string;
  cls?: string;
  title?: string;
}

/** A cell: its text, a tooltip, a faint suffix (a link target), extra classes. */
export interface IndexCell {
  text: string;
  title?: string;
  suffix?: string;
  cls?: string;
}

export interface IndexRow {
  /** Stable id (the entry's index in the format's list); what `selected` holds. */
  key: number;
  /** What the filter matches. */
  name: string;
  cells: (string | IndexCell)[];
  /** Classes of the row (`zeros` marks a run of zeros). */
  cls?: string;
}

/** The selected entry: its facts and its chunks. */
export interface IndexDetail {
  heading: string;
  name: string;
  facts: { label: string; value: string; cls?: string }[];
  chunks: { columns: IndexColumn[]; rows: IndexRow[] };
  /** Shown instead of the chunk table when there are no chunks. */
  empty: string;
}

export const cellText = (c: string | IndexCell): IndexCell => (typeof c === 'string' ? { text: c } : c);

/**
 * The fields an eStargz TOC entry and a zstd:chunked manifest entry share: both are CRFS-shaped
 * (stargz's TOC is what containers/storage's manifest started from).
 */
export interface CrfsEntry {
  name: string;
  type: string;
  linkName?: string;
  size?: number;
  chunkSize?: number;
  offset?: number;
  chunkOffset?: number;
  digest?: string;
  chunkDigest?: string;
  mode?: number;
  uid?: number;
  gid?: number;
  modtime?: string;
}

/** Columns of a CRFS entries table (crfsRow's cells). */
export const CRFS_COLUMNS: IndexColumn[] = [
  { label: '#', cls: 'num faint' }, { label: 'Name', cls: 'mono name' }, { label: 'Type', cls: 'mono' }, { label: 'Size', cls: 'num' },
  { label: 'Offset', cls: 'num mono', title: 'Where its data starts in the blob (compressed)' },
  { label: 'Chunks', cls: 'num', title: 'Chunks of a file; for a chunk entry, where it starts in the file' }, { label: 'Digest', cls: 'mono faint' },
];

/** One entry as a row of CRFS_COLUMNS; `chunks` is the file's chunk count (reg entries). */
export function crfsRow(e: CrfsEntry, i: number, chunks: number, o: { cls?: string; chunkNote?: string } = {}): IndexRow {
  const digest = e.digest ?? e.chunkDigest;
  return {
    key: i,
    name: e.name,
    cls: o.cls,
    cells: [
      String(i),
      { text: e.name, title: e.name, suffix: e.linkName ? ` → ${e.linkName}` : undefined },
      e.type,
      e.type === 'chunk' ? (e.chunkSize ? formatCount(e.chunkSize) : '') : e.size !== undefined ? formatCount(e.size) : '',
      e.offset !== undefined ? formatCount(e.offset) : '',
      e.type === 'reg' ? String(chunks) : e.type === 'chunk' ? `@${formatCount(e.chunkOffset ?? 0)}${o.chunkNote ?? ''}` : '',
      { text: digest ? shortDigest(digest, 10) : '', title: digest },
    ],
  };
}

/** The selected entry's usual facts: type, size, mode, owner, time, link, digest. */
export function crfsFacts(e: CrfsEntry, owner = ''): IndexDetail['facts'] {
  const facts: IndexDetail['facts'] = [{ label: 'Type', value: e.type, cls: 'mono' }];
  if (e.size !== undefined) facts.push({ label: 'Size', value: `${formatCount(e.size)} bytes`, cls: 'num' });
  if (e.mode !== undefined) facts.push({ label: 'Mode', value: e.mode.toString(8).padStart(4, '0'), cls: 'mono' });
  if (e.uid !== undefined || e.gid !== undefined) facts.push({ label: 'Owner', value: `${e.uid ?? 0}:${e.gid ?? 0}${owner}`, cls: 'mono' });
  if (e.modtime) facts.push({ label: 'Modified', value: e.modtime, cls: 'mono' });
  if (e.linkName) facts.push({ label: 'Link', value: e.linkName, cls: 'mono wrap' });
  if (e.digest) facts.push({ label: 'Digest', value: e.digest, cls: 'mono wrap' });
  return facts;
}

/** The detail of a selected CRFS entry: its facts and its chunk table. */
export function crfsDetail(e: CrfsEntry, facts: IndexDetail['facts'], chunks: IndexDetail['chunks']): IndexDetail {
  return {
    heading: e.type === 'chunk' ? 'Chunk entry' : 'Entry',
    name: e.name,
    facts,
    chunks,
    empty: `No data chunks (${e.type === 'reg' ? 'an empty file' : `a ${e.type} entry`}).`,
  };
}
