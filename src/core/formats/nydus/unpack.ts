/**
 * Nydus layer → OCI layer tar (spec §7.1, `nydus-image unpack`): the per-layer bootstrap walked
 * depth-first, children in stored (byte-sorted) order, root omitted; regular files are their
 * chunks decompressed in order; the first name of a hardlinked inode is the file, later names
 * are hard links to it; sockets are dropped; xattrs become PAX `SCHILY.xattr.*` records.
 *
 * Differences from nydus-image: hard-link targets are written relative (`usr/bin/a`, as every
 * OCI tar writer does) instead of nydus' absolute `/usr/bin/a`, and uname/gname stay empty
 * (nydus looks them up in the unpacking host's passwd, which is host-dependent).
 *
 * Memory: one chunk at a time (plus the decoded bootstrap).
 */
import type { ByteSource } from '../../bytes/byte-source.ts';
import { checkAborted, toLayerlabError, type ErrorContext } from '../../errors.ts';
import { TarWriter, type TarWriterEntry } from '../../tar/tar-writer.ts';
import { decodeBootstrap, INLINE_BLOB_ID } from './open-bootstrap.ts';
import { openNydusLayerBlob, readEntry } from './layer-blob.ts';
import { NydusReader } from './reader.ts';
import { rdevParts } from './rafs-common.ts';
import { RECORD, type BlobInfo, type Bootstrap } from './types.ts';
import { decodeUtf8Lossy } from '../../tar/header-fields.ts';
import { byteStringBytes } from '../../bytes/byte-string.ts';

export interface UnpackOptions {
  /**
   * The data blob of a blob-table entry: the nydus layer itself serves its own blob (`"x"×64` in
   * an inlined bootstrap); lower layers' blobs are needed when the layer references them (chunk
   * dictionary dedup).
   */
  blobOf: (blob: BlobInfo) => ByteSource | undefined;
  /** Check every chunk digest while reading (default true). */
  verify?: boolean;
  signal?: AbortSignal;
  /** Bytes of tar produced so far. */
  onProgress?: (bytesOut: number) => void;
  file?: string;
  layer?: number;
}

const TYPE: Record<string, TarWriterEntry['type'] | undefined> = { dir: 'dir', file: 'file', symlink: 'symlink', char: 'char', block: 'block', fifo: 'fifo' };

/** Streams the OCI tar of a decoded (per-layer) bootstrap; blob data through `blobOf`. */
export async function* unpackNydusBootstrap(boot: Bootstrap, o: UnpackOptions): AsyncGenerator<Uint8Array> {
  const base: ErrorContext = { file: o.file, layer: o.layer };
  const reader = new NydusReader(boot, o.blobOf);
  let out: Uint8Array[] = [];
  let produced = 0;
  const tw = new TarWriter((c) => { out.push(c); produced += c.length; });
  const flush = function* () { const o2 = out; out = []; yield* o2; };
  const firstName = new Map<number, { name: string; bytes?: Uint8Array }>();
  try {
    for (const n of boot.nodes) {
      if (n.path === '/') continue;
      const ctx: ErrorContext = { ...base, entry: n.path };
      checkAborted(o.signal, ctx);
      const type = TYPE[n.type];
      if (!type) continue; // sockets
      // A name (or symlink target) that is not UTF-8 is written with its exact bytes.
      const rawName = n.rawPath !== undefined ? byteStringBytes(n.rawPath.slice(1) + (type === 'dir' ? '/' : '')) : undefined;
      const name = rawName ? decodeUtf8Lossy(rawName).replace(/\/$/, '') : n.path.slice(1);
      const entry: TarWriterEntry = {
        name: type === 'dir' ? name + '/' : name, nameBytes: rawName, type, mode: n.mode & 0o7777, uid: n.uid, gid: n.gid, mtime: n.mtime, xattrs: n.xattrs, size: 0,
      };
      if (n.type === 'symlink') {
        entry.linknameBytes = n.rawSymlink !== undefined ? byteStringBytes(n.rawSymlink) : undefined;
        entry.linkname = entry.linknameBytes ? decodeUtf8Lossy(entry.linknameBytes) : n.symlink ?? '';
      }
      if (n.type === 'char' || n.type === 'block') { const d = rdevParts(n.rdev); entry.devmajor = d.major; entry.devminor = d.minor; }
      if (n.type === 'file') {
        const first = firstName.get(n.nid);
        if (first !== undefined) {
          tw.beginEntry({ ...entry, type: 'hardlink', linkname: first.name, linknameBytes: first.bytes, xattrs: undefined }).end();
          yield* flush();
          continue;
        }
        firstName.set(n.nid, { name, bytes: rawName });
        entry.size = n.size;
        const sink = tw.beginEntry(entry);
        yield* flush();
        for (const ref of n.chunks) {
          checkAborted(o.signal, ctx);
          const info = await reader.chunkInfo(ref, n, o.signal);
          const data = await reader.readChunk(ref, info, n, { verify: o.verify, signal: o.signal });
          sink.data(data.subarray(0, Math.min(data.length, n.size - ref.fileOffset)));
          yield* flush();
        }
        sink.end();
      } else {
        tw.beginEntry(entry).end();
      }
      yield* flush();
      o.onProgress?.(produced);
    }
    tw.finish();
    yield* flush();
    o.onProgress?.(produced);
  } catch (e) {
    throw toLayerlabError(e, base);
  }
}

/**
 * A per-layer nydus tar (image.boot inlined, §2) → its OCI tar stream. `lowerBlobs` resolves
 * blobs of other layers by id (needed only when the layer was built against a chunk dictionary).
 */
export async function* unpackNydusLayer(layer: ByteSource, o: Omit<UnpackOptions, 'blobOf'> & { lowerBlobs?: (id: string) => ByteSource | undefined } = {}): AsyncGenerator<Uint8Array> {
  const ctx: ErrorContext = { file: o.file ?? layer.name, layer: o.layer };
  let boot: Bootstrap;
  try {
    const blob = await openNydusLayerBlob(layer, { signal: o.signal, context: ctx });
    boot = decodeBootstrap(await readEntry(blob, RECORD.boot, o.signal), { ...ctx, entry: RECORD.boot }, o.signal);
  } catch (e) {
    throw toLayerlabError(e, ctx);
  }
  const blobOf = (b: BlobInfo) => (b.id === INLINE_BLOB_ID || (b.features & 0x2) !== 0 ? layer : o.lowerBlobs?.(b.id));
  yield* unpackNydusBootstrap(boot, { ...o, blobOf, file: ctx.file });
}

