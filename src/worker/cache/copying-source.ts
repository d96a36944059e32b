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
}

/**
 * Wraps a source so that the first read of it from start to end (which opening an archive does
 * anyway) also writes a verified copy into the blob store. No extra read of the input: the copy
 * rides along with the engine's own stream. Used to keep dropped files and URLs readable after a
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
  };
}
