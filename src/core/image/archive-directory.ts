import type { ByteSource } from '../bytes/byte-source.ts';
import { sliceSource } from '../bytes/byte-source.ts';
import type { DirectorySource } from '../bytes/directory-source.ts';
import { normalizeRelative } from '../bytes/directory-source.ts';
import { LayerlabError, checkAborted } from '../errors.ts';
import { decompress } from '../compress/decompress.ts';
import type { Compression } from '../compress/sniff.ts';
import { TarParser } from '../tar/tar-parser.ts';
import type { TarEntry } from '../tar/tar-types.ts';
import type { BlobSpool, SpoolWriter } from '../store/blob-spool.ts';
import { memorySpool } from '../store/blob-spool.ts';
import type { LongOperation } from '../progress.ts';

/** Symlink hops followed inside an archive before giving up (a loop guard). */
const MAX_LINK_HOPS = 16;

type Member =
  | { kind: 'file'; source?: ByteSource; size: number; entry: TarEntry }
  | { kind: 'symlink' | 'hardlink'; target: string }
  | { kind: 'dir' };

/** The members of a tar, by normalised path; top-level names tell what the archive is. */
export interface ArchiveListing {
  members: Map<string, Member>;
  topLevel: Set<string>;
  /** Set when the archive could not be read to the end: what was listed before it still counts. */
  error?: LayerlabError;
}

/**
 * Lists a tar without keeping any data: which members exist and what they are. `compression`
 * is undone on the way. Throws BAD_TAR / TRUNCATED if the bytes are not a tar.
 */
export async function listArchive(src: ByteSource, compression: Compression, o: LongOperation = {}): Promise<ArchiveListing> {
  return walkArchive(src, compression, undefined, o);
}

/**
 * A DirectorySource over a tar archive (an OCI archive or a docker-archive). Uncompressed
 * archives are served as slices of the original bytes (random access, nothing copied);
 * compressed ones are decompressed once and the members that `want` selects are spooled.
 */
export async function archiveDirectory(src: ByteSource, compression: Compression, o: LongOperation & {
  spool?: BlobSpool; want?: (path: string) => boolean; listing?: ArchiveListing;
} = {}): Promise<DirectorySource> {
  const listing = compression === 'none'
    ? (o.listing ?? await walkArchive(src, 'none', undefined, o))
    : await walkArchive(src, compression, { spool: o.spool ?? memorySpool, want: o.want ?? (() => true) }, o);
  const members = listing.members;
  const resolve = (path: string): Member | undefined => {
    let p = normalizeRelative(path);
    for (let hop = 0; hop <= MAX_LINK_HOPS; hop++) {
      const m = members.get(p);
      if (!m || m.kind === 'file' || m.kind === 'dir') return m;
      // Symlink targets are relative to the link's directory; hard link targets to the archive root.
      p = m.kind === 'symlink' ? resolvePath(p, m.target) : normalizeRelative(m.target);
    }
    throw new LayerlabError('BAD_TAR', `too many link hops resolving ${path}`, { file: src.name, entry: path });
  };
  return {
    name: src.name,
    async open(path) {
      const m = resolve(path);
      if (!m || m.kind !== 'file') return undefined;
      if (m.source) return m.source;
      if (compression === 'none') {
        // A member cut off by the end of the archive is served as far as it goes: reading it then
        // fails where the bytes stop, with everything before that still counted.
        const have = Math.max(0, Math.min(m.size, src.size - m.entry.dataOffset));
        return sliceSource(src, Math.min(m.entry.dataOffset, src.size), have, `${src.name}:${normalizeRelative(path)}`);
      }
      return undefined; // not spooled: not wanted
    },
  };
}

function resolvePath(linkPath: string, target: string): string {
  if (target.startsWith('/')) return normalizeRelative(target);
  const parts = linkPath.split('/');
  parts.pop();
  for (const c of target.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') parts.pop(); else parts.push(c);
  }
  return parts.join('/');
}

async function walkArchive(src: ByteSource, compression: Compression,
  spooling: { spool: BlobSpool; want: (path: string) => boolean } | undefined, o: LongOperation): Promise<ArchiveListing> {
  const members = new Map<string, Member>();
  const topLevel = new Set<string>();
  const pending: Promise<void>[] = [];
  let open: SpoolWriter | undefined;
  const parser = new TarParser({
    entry(e) {
      const path = normalizeRelative(e.name);
      if (!path) return;
      topLevel.add(path.split('/')[0]);
      if (e.type === 'symlink' || e.type === 'hardlink') { members.set(path, { kind: e.type, target: e.linkname }); return; }
      if (e.type === 'dir') { members.set(path, { kind: 'dir' }); return; }
      if (e.type !== 'file') return;
      const m: Member = { kind: 'file', size: e.size, entry: e };
      members.set(path, m);
      if (!spooling || !spooling.want(path)) return;
      const w = spooling.spool.create(`${src.name}:${path}`, e.size);
      open = w;
      return {
        data: (chunk) => w.write(chunk),
        end: () => {
          open = undefined;
          pending.push(w.finish().then((s) => { m.source = s; }));
        },
      };
    },
  }, { file: src.name });
  // Uncompressed archives are never spooled (archiveDirectory serves them in place): seek through.
  if (compression === 'none') {
    try {
      await walkHeaders(src, parser, o);
    } catch (e) {
      if (!(e instanceof LayerlabError) || e.code === 'ABORTED' || members.size === 0) throw e;
      return { members, topLevel, error: e };
    }
    return { members, topLevel };
  }
  const input = src.stream({ signal: o.signal });
  let read = 0;
  try {
    const chunks = decompress(countBytes(input, (n) => { read += n; }), compression, { signal: o.signal, file: src.name, reopen: () => src.stream({ signal: o.signal }) });
    for await (const chunk of chunks) {
      checkAborted(o.signal, { file: src.name });
      parser.push(chunk);
      o.onProgress?.({ phase: 'open', layerDone: read, layerTotal: src.size, done: read, total: src.size, message: `reading ${src.name}` });
    }
    parser.finish();
    await Promise.all(pending);
  } catch (e) {
    open?.discard();
    throw e;
  }
  return { members, topLevel };
}

/** Header reads are this big: a block of small members costs one read, a big member is seeked over. */
const WALK_READ = 64 << 10;

/**
 * Lists an uncompressed tar by reading headers only: member data nobody wants is skipped by
 * seeking, so opening a multi-GB docker save costs a few reads, not a pass over every byte.
 */
async function walkHeaders(src: ByteSource, parser: TarParser, o: LongOperation): Promise<void> {
  let pos = 0;
  while (pos < src.size) {
    checkAborted(o.signal, { file: src.name, offset: pos });
    const chunk = await src.read(pos, Math.min(WALK_READ, src.size - pos), o.signal);
    if (chunk.length === 0) break;
    parser.push(chunk);
    pos += chunk.length + parser.skipUnwantedData();
    o.onProgress?.({ phase: 'open', layerDone: Math.min(pos, src.size), layerTotal: src.size, done: Math.min(pos, src.size), total: src.size, message: `reading ${src.name}` });
  }
  if (pos > src.size) {
    throw new LayerlabError('TRUNCATED', `the archive ends ${pos - src.size} bytes before the end of its last member`, { file: src.name, offset: src.size });
  }
  parser.finish();
}

async function* countBytes(src: AsyncIterable<Uint8Array>, add: (n: number) => void): AsyncIterable<Uint8Array> {
  for await (const c of src) { add(c.length); yield c; }
}
