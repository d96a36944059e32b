import { Gzip, gzipSync } from 'fflate';
import { LayerlabError } from '../errors.ts';

export type GzipLevel = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9;

export interface GzipEncoderOptions {
  /** Deflate level, default 6 (BuildKit's and the gzip CLI's default; eStargz tools use 9). */
  level?: GzipLevel;
  /** Receives the compressed bytes, synchronously, in order. */
  ondata(chunk: Uint8Array): void;
}

export interface GzipEncoder {
  /** Compresses `chunk` into the current member, opening one if none is open. */
  push(chunk: Uint8Array): void;
  /**
   * Ends the open member (RFC 1952 trailer written, all its bytes delivered to `ondata` before
   * this returns, so a byte count of ondata gives exact member offsets). The next `push` opens
   * a new member. Nothing happens when no member is open: an empty member takes a deliberate
   * `push(new Uint8Array(0))` first. eStargz puts every file and chunk in its own member.
   */
  endMember(): void;
  /** Ends the stream. If nothing was ever pushed, writes one empty member so the output is valid gzip. */
  finish(): void;
  /** Compressed bytes delivered so far. */
  readonly compressedSize: number;
  /** Members started so far. */
  readonly members: number;
}

/**
 * Streaming gzip with a level and member control, built on fflate's `Gzip` (one per member).
 *
 * Why not CompressionStream('gzip'): it has no level, it cannot end a member without ending the
 * stream, and it is asynchronous, so member offsets would need a flush round trip per member.
 * Where none of that matters — a whole member or a whole layer at level 6, zlib's only level —
 * the pool (compression-pool.ts) and the plain gzip layer writer use CompressionStream, which
 * streams 2–2.5× faster than fflate in current Chromium and Node (bench/README.md). Headers carry
 * MTIME 0 and no name, so output depends only on the input.
 */
export function createGzipEncoder(o: GzipEncoderOptions): GzipEncoder {
  const level = o.level ?? 6;
  let gz: Gzip | undefined;
  let done = false;
  let size = 0;
  let members = 0;
  const ondata = (d: Uint8Array) => {
    if (!d.length) return;
    size += d.length;
    o.ondata(d);
  };
  const open = () => {
    if (done) throw new LayerlabError('INTERNAL', 'gzip encoder used after finish()');
    members++;
    return new Gzip({ level, mtime: 0 }, ondata);
  };
  return {
    push(chunk) {
      (gz ??= open()).push(chunk, false);
    },
    endMember() {
      if (!gz) return;
      gz.push(EMPTY, true);
      gz = undefined;
    },
    finish() {
      if (done) return;
      if (!gz && members === 0) gz = open();
      this.endMember();
      done = true;
    },
    get compressedSize() {
      return size;
    },
    get members() {
      return members;
    },
  };
}

const EMPTY = new Uint8Array(0);

/**
 * One complete gzip member of data held whole (MTIME 0, no name). fflate's one-shot path, not the
 * streaming class: fflate 0.8.3's streaming Deflate keeps 32 KiB of zeroed look-back in front of
 * the data and, within the first 32 KiB, can emit a match that reaches into it when the data
 * starts with zero bytes — output zlib refuses ("invalid distance too far back"). Found on a 4 KiB
 * eStargz chunk of /usr/bin/addpart (8 zero bytes, then a table). The one-shot path has no
 * look-back. The streaming encoder above is used for tar streams, which start with a member name.
 */
export function gzipWhole(data: Uint8Array, level: GzipLevel): Uint8Array {
  return gzipSync(data, { level, mtime: 0 });
}

