/// <reference lib="webworker" />
import { LayerlabError } from '../../core/errors.ts';
import { createSha256 } from '../../core/digest/sha256.ts';
import type { Digest, StreamHasher } from '../../core/digest/digest.ts';
import { opfsRemove } from './opfs.ts';

/** Bytes re-read per step when verifying (large enough that per-call overhead vanishes). */
const VERIFY_STEP = 4 << 20;

interface Live {
  file: FileSystemFileHandle;
  access: FileSystemSyncAccessHandle;
  hasher: StreamHasher;
}

export interface WrittenFile {
  file: FileSystemFileHandle;
  digest: Digest;
  size: number;
}

/**
 * Writes one OPFS file through a sync access handle, hashing as it goes, and on `finish`
 * re-reads the file and checks the bytes on disk hash the same. That is the "every write is
 * verified" rule: a short write, a quota failure half way, or a storage bug becomes an error
 * instead of a cache entry that silently serves wrong bytes.
 *
 * `write` is synchronous because its callers are (the tar parser pushes members synchronously),
 * but opening a sync access handle is not. Until the handle is ready, chunks are copied into a
 * queue; in practice that is the first chunk or two.
 */
export class VerifiedFileWriter {
  readonly #dir: FileSystemDirectoryHandle;
  readonly #name: string;
  readonly #label: string;
  #live: Live | undefined;
  #ready: Promise<Live>;
  #queue: Uint8Array[] = [];
  #pos = 0;
  #failure: unknown;
  #closed = false;

  constructor(dir: FileSystemDirectoryHandle, name: string, label = name) {
    this.#dir = dir;
    this.#name = name;
    this.#label = label;
    this.#ready = (async () => {
      const file = await dir.getFileHandle(name, { create: true });
      const access = await file.createSyncAccessHandle();
      access.truncate(0);
      return { file, access, hasher: await createSha256() };
    })();
    this.#ready.then((live) => {
      if (this.#closed) { this.#release(live); return; }
      this.#live = live;
      try { this.#drain(); } catch (e) { this.#failure = e; }
    }, (e) => { this.#failure = e; });
  }

  /** Bytes accepted so far. */
  get size(): number {
    return this.#pos + this.#queue.reduce((s, c) => s + c.length, 0);
  }

  write(chunk: Uint8Array): void {
    if (this.#failure) throw this.#ioError('cannot write', this.#failure);
    if (this.#closed) throw new LayerlabError('INTERNAL', 'write after finish or discard', { file: this.#label });
    if (chunk.length === 0) return;
    // The caller may reuse its buffer once we return: keep a copy only while we cannot write.
    if (this.#live) this.#writeNow(this.#live, chunk);
    else this.#queue.push(chunk.slice());
  }

  async finish(): Promise<WrittenFile> {
    let live: Live;
    try {
      live = await this.#ready;
    } catch (e) {
      this.#closed = true;
      throw this.#ioError('cannot create', e);
    }
    this.#closed = true;
    if (this.#failure) { this.#release(live); throw this.#ioError('cannot write', this.#failure); }
    try { this.#drain(); } catch (e) { this.#release(live); throw this.#ioError('cannot write', e); }
    const { access, hasher, file } = live;
    try {
      access.flush();
      const onDisk = access.getSize();
      const check = await createSha256();
      const buf = new Uint8Array(VERIFY_STEP);
      let at = 0;
      while (at < onDisk) {
        const n = access.read(buf, { at });
        if (n <= 0) break;
        check.update(n === buf.length ? buf : buf.subarray(0, n));
        at += n;
      }
      access.close();
      const written = hasher.digest();
      const reread = check.digest();
      if (onDisk !== this.#pos || at !== this.#pos || reread !== written) {
        await opfsRemove(this.#dir, this.#name);
        throw new LayerlabError('DIGEST_MISMATCH',
          `the stored copy does not read back as written (${this.#pos} bytes ${written}, on disk ${onDisk} bytes ${reread})`, { file: this.#label });
      }
      return { file, digest: written, size: this.#pos };
    } catch (e) {
      this.#release(live);
      if (e instanceof LayerlabError) throw e;
      throw this.#ioError('cannot verify', e);
    }
  }

  /** Drops the file. A no-op once `finish` has been called (its outcome stands). */
  discard(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue = [];
    if (this.#live) this.#release(this.#live);
  }

  #drain(): void {
    const live = this.#live;
    if (!live) return;
    const q = this.#queue;
    this.#queue = [];
    for (const c of q) this.#writeNow(live, c);
  }

  #writeNow(live: Live, chunk: Uint8Array): void {
    let off = 0;
    while (off < chunk.length) {
      const n = live.access.write(off === 0 ? chunk : chunk.subarray(off), { at: this.#pos + off });
      if (n <= 0) throw this.#ioError('short write', new Error(`wrote ${off} of ${chunk.length} bytes`));
      off += n;
    }
    this.#pos += chunk.length;
    live.hasher.update(chunk);
  }

  #release(live: Live): void {
    try { live.access.close(); } catch { /* already closed */ }
    void opfsRemove(this.#dir, this.#name);
  }

  #ioError(what: string, e: unknown): LayerlabError {
    if (e instanceof LayerlabError) return e;
    const msg = (e as Error)?.message ?? String(e);
    const quota = (e as { name?: string })?.name === 'QuotaExceededError';
    return new LayerlabError('IO', `${what} the browser's local copy: ${quota ? 'storage quota exceeded' : msg}`, { file: this.#label }, { cause: e });
  }
}
