/// <reference lib="webworker" />
import { fromBlob } from '../../core/bytes/blob-source.ts';
import { memorySpool, type BlobSpool, type SpoolWriter } from '../../core/store/blob-spool.ts';
import { entriesOf, opfsDir, opfsRemove } from './opfs.ts';
import { VerifiedFileWriter } from './verified-file-writer.ts';

/**
 * Where the members of a *compressed* archive go so they can be read at random later (a
 * tar+gzip OCI archive has no random access). One folder per opened image under
 * `spool/<session>/<image>/`; `release()` deletes it when the image is closed. Every member is
 * verified when it is finished (VerifiedFileWriter). Without OPFS the spool keeps members in
 * memory, which is what the engine does by default.
 */
export class OpfsSpool implements BlobSpool {
  readonly #dir: FileSystemDirectoryHandle | undefined;
  readonly #session: string;
  readonly #image: string;

  private constructor(session: string, image: string, dir: FileSystemDirectoryHandle | undefined) {
    this.#session = session;
    this.#image = image;
    this.#dir = dir;
  }

  /** A spool for one image. Async only to make the folder, so that `create` can be synchronous. */
  static async open(session: string, image: string): Promise<OpfsSpool> {
    const dir = await opfsDir(`spool/${session}/${image}`).catch(() => undefined);
    return new OpfsSpool(session, image, dir);
  }

  /** The spool's folder (undefined without OPFS: members are then kept in memory). */
  get dir(): FileSystemDirectoryHandle | undefined {
    return this.#dir;
  }

  create(name: string, sizeHint: number): SpoolWriter {
    const dir = this.#dir;
    if (!dir) return memorySpool.create(name, sizeHint);
    const w = new VerifiedFileWriter(dir, crypto.randomUUID(), name);
    return {
      write: (chunk) => w.write(chunk),
      finish: async () => fromBlob(await (await w.finish()).file.getFile(), name),
      discard: () => w.discard(),
    };
  }

  /** Deletes this image's spooled members. */
  async release(): Promise<void> {
    try { await opfsRemove(await opfsDir(`spool/${this.#session}`, false), this.#image, true); } catch { /* gone already */ }
  }

  /**
   * Claims `session` for as long as this worker lives (a Web Lock), then removes spool folders
   * of sessions nobody holds: tabs that closed or crashed without cleaning up. A folder of
   * another open tab is left alone, since that tab may still read from it.
   */
  static async sweep(session: string): Promise<void> {
    const locks = navigator.locks;
    if (!locks) return;
    void locks.request(lockName(session), () => new Promise<never>(() => {}));
    await OpfsSpool.sweepStale(session);
  }

  /**
   * The removal part of `sweep`, safe to repeat: a worker that was just terminated (a cancel that
   * did not stop in time) may still hold its files for a moment, so its successor looks again.
   */
  static async sweepStale(session: string): Promise<void> {
    const locks = navigator.locks;
    if (!locks) return;
    try {
      const held = new Set(((await locks.query()).held ?? []).map((l) => l.name));
      const spool = await opfsDir('spool');
      const stale: string[] = [];
      for await (const [name] of entriesOf(spool)) if (name !== session && !held.has(lockName(name))) stale.push(name);
      for (const name of stale) await opfsRemove(spool, name, true);
    } catch { /* no OPFS */ }
  }
}

function lockName(session: string): string {
  return `layerlab-spool-${session}`;
}
