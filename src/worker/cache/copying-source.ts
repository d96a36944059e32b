import type { ByteSource, StreamOptions } from '../../core/bytes/byte-source.ts';
import type { BlobInfo, BlobStore } from '../../core/store/content-store.ts';

export interface CopyingSource {
  source: ByteSource;
  /**
   * Settles once a copy is stored (the BlobInfo), or with undefined when no complete front-to-back
   * read happened before `stop()`. Never rejects: a failed copy only means no copy.
   */
  copied: Promise<BlobInfo | undefined>;
  /** No more copying: settles `copied` if it has not started. */
  stop(): void;
  /**
   * The engine is done with the source: if its reads never covered the whole file front to back
   * (an uncompressed archive is read by seeking from header to header), read it once now, in the
   * background, to make the copy.
   */
  finish(): void;
}

/**
 * Wraps a source so that the first read of it from start to end (which opening a compressed
 * archive does anyway) also writes a verified copy into the blob store: the copy rides along with
 * the engine's own stream. When the engine never streams the whole file (it seeks through an
 * uncompressed archive), `finish()` reads it once more for the copy. Used to keep dropped files and URLs readable after a
 * reload, and to spare the network on later reads of a URL.
 */
export function copyingSource(src: ByteSource, blobs: BlobStore): CopyingSource {
  let state: 'idle' | 'copying' | 'done' = 'idle';
  let settle!: (v: BlobInfo | undefined) => void;
  const copied = new Promise<BlobInfo | undefined>((r) => { settle = r; });

  async function* tee(o: StreamOptions): AsyncIterable<Uint8Array> {
    state = 'copying';
    const w = blobs.create();
    let pos = 0;
    let ok = true;
    try {
      for await (const chunk of src.stream(o)) {
        try { w.write(chunk); } catch { ok = false; }
        pos += chunk.length;
        yield chunk;
      }
    } finally {
      // A consumer may stop right after the last chunk: what counts is whether every byte passed.
      if (ok && pos === src.size) {
        state = 'done';
        w.finish().then(settle, () => settle(undefined));
      } else {
        w.discard();
        state = 'idle'; // a later full read may try again
      }
    }
  }

  const source: ByteSource = {
    name: src.name,
    size: src.size,
    read: (offset, length, signal) => src.read(offset, length, signal),
    stream(o = {}) {
      const whole = (o.start ?? 0) === 0 && (o.end ?? src.size) >= src.size;
      return state === 'idle' && whole && src.size > 0 ? tee(o) : src.stream(o);
    },
  };
  return {
    source,
    copied,
    stop() {
      if (state === 'idle') { state = 'done'; settle(undefined); }
    },
    finish() {
      if (state !== 'idle' || src.size === 0) return;
      void (async () => {
        try {
          for await (const _ of tee({})) { /* the tee writes the copy */ }
        } catch {
          /* no copy, as documented: `copied` settles below */
        }
        // tee() set 'done' if the copy went through (TS cannot see that across the await).
        if ((state as typeof state | 'done') !== 'done') { state = 'done'; settle(undefined); }
      })();
    },
  };
}
