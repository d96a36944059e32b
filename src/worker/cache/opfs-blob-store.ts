/// <reference lib="webworker" />
import { fromBlob } from '../../core/bytes/blob-source.ts';
import type { ByteSource } from '../../core/bytes/byte-source.ts';
import type { Digest } from '../../core/digest/digest.ts';
import { LayerlabError } from '../../core/errors.ts';
import type { BlobInfo, BlobStore, BlobWriter } from '../../core/store/content-store.ts';
import { entriesOf, opfsDir, opfsFile, opfsRemove } from './opfs.ts';
import { VerifiedFileWriter } from './verified-file-writer.ts';

const HEX64 = /^[0-9a-f]{64}$/;

/**
 * Content-addressed blobs in OPFS: `blobs/sha256/<hex>`. A blob is written under `tmp/`, checked
 * (VerifiedFileWriter), and only then moved to its digest name, so a name in `blobs/` is a
 * promise that the bytes hash to it.
 */
export class OpfsBlobStore implements BlobStore {
  async open(digest: Digest, name?: string): Promise<ByteSource | undefined> {
    const hex = hexOf(digest);
    if (!hex) return undefined;
    const fh = await opfsFile(await opfsDir('blobs/sha256'), hex);
    if (!fh) return undefined;
    return fromBlob(await fh.getFile(), name ?? digest);
  }

  create(expected?: Digest): BlobWriter {
    const tmpName = crypto.randomUUID();
    const dirs = Promise.all([opfsDir('tmp'), opfsDir('blobs/sha256')]);
    // The writer needs its folder synchronously; chain through a lazily created one.
    let writer: VerifiedFileWriter | undefined;
    let pending: Uint8Array[] = [];
    let discarded = false;
    const ready = dirs.then(([tmp]) => {
      writer = new VerifiedFileWriter(tmp, tmpName, expected ?? 'blob');
      for (const c of pending) writer.write(c);
      pending = [];
      if (discarded) writer.discard();
      return writer;
    });
    return {
      write(chunk) {
        if (writer) writer.write(chunk);
        else pending.push(chunk.slice());
      },
      async finish(): Promise<BlobInfo> {
        const w = await ready;
        const [tmp, blobs] = await dirs;
        const done = await w.finish();
        if (expected && done.digest !== expected) {
          await opfsRemove(tmp, tmpName);
          throw new LayerlabError('DIGEST_MISMATCH', `expected ${expected}, the bytes are ${done.digest}`, { file: expected });
        }
        const hex = hexOf(done.digest)!;
        if (await opfsFile(blobs, hex)) {
          await opfsRemove(tmp, tmpName); // already stored (same digest, same bytes)
        } else {
          await moveInto(done.file, tmp, tmpName, blobs, hex);
        }
        return { digest: done.digest, size: done.size };
      },
      discard() {
        discarded = true;
        writer?.discard();
        pending = [];
      },
    };
  }

  async list(): Promise<BlobInfo[]> {
    const out: BlobInfo[] = [];
    for await (const [name, h] of entriesOf(await opfsDir('blobs/sha256'))) {
      if (h.kind !== 'file' || !HEX64.test(name)) continue;
      try {
        out.push({ digest: `sha256:${name}`, size: (await (h as FileSystemFileHandle).getFile()).size });
      } catch { /* being written or removed right now */ }
    }
    return out;
  }

  async remove(digest: Digest): Promise<void> {
    const hex = hexOf(digest);
    if (hex) await opfsRemove(await opfsDir('blobs/sha256'), hex);
  }

  async clear(): Promise<void> {
    const root = await opfsDir('');
    await opfsRemove(root, 'blobs', true);
    await opfsRemove(root, 'tmp', true);
  }
}

function hexOf(d: Digest): string | undefined {
  const m = /^sha256:([0-9a-f]{64})$/.exec(d);
  return m?.[1];
}

/** OPFS `move` (Chromium ≥ 110, Firefox, Safari); a streamed copy where it is missing. */
async function moveInto(file: FileSystemFileHandle, from: FileSystemDirectoryHandle, fromName: string,
  to: FileSystemDirectoryHandle, name: string): Promise<void> {
  const movable = file as FileSystemFileHandle & { move?: (dir: FileSystemDirectoryHandle, name: string) => Promise<void> };
  if (typeof movable.move === 'function') {
    await movable.move(to, name);
    return;
  }
  const target = await to.getFileHandle(name, { create: true });
  const w = await target.createWritable();
  await (await file.getFile()).stream().pipeTo(w);
  await opfsRemove(from, fromName);
}
