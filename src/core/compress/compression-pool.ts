/**
 * Compression off the calling thread: independent gzip members (eStargz) and zstd frames (Nydus,
 * zstd:chunked) compressed by a pool of workers, so a converter can keep every core busy while it
 * parses, hashes and writes in order.
 *
 * One implementation of each codec: every pool slot runs `compressRequest` below over the shared
 * encoders (gzipWhole; the libzstd wasm call createZstdEncoder makes). The same input
 * therefore gives the same bytes whether it was compressed inline, in a browser Worker or in a
 * Node worker thread. Nydus chunks are digested there too (`chunk`), so the calling thread only
 * parses, places and hashes the output stream.
 *
 * Ownership: a pool may transfer the buffers of `parts` to another thread. Callers hand them over
 * and must not read or write them afterwards (the eStargz writer assembles each member into a
 * buffer of its own for this).
 */
import { LayerlabError, toLayerlabError, type SerializedError } from '../errors.ts';
import { gzipWhole, type GzipLevel } from './gzip-encoder.ts';
import { concatBytes } from '../bytes/concat.ts';
import { loadZstdWasm } from './zstd-wasm.ts';
import { encodeLz4Block } from './lz4-block-encoder.ts';
import { chunkDigestHex, type ChunkDigester } from '../digest/chunk-digest.ts';

export interface CompressionPool {
  /** Number of jobs that really run at once (1 for the inline pool). */
  readonly size: number;
  /**
   * One complete gzip member (RFC 1952) of the concatenated parts, with the header Go's
   * `gzip.Writer` writes: no name, MTIME 0, XFL 2 at level 9 / 4 at level 1 / 0 otherwise, OS 255.
   * Deflate by fflate, or by the platform's zlib for large level-6 members (gzipMemberBytes).
   */
  gzipMember(parts: Uint8Array[], level: number): Promise<Uint8Array>;
  /** One complete zstd frame (with its content size) of `data`. */
  zstdFrame(data: Uint8Array, level: number): Promise<Uint8Array>;
  /**
   * A content-addressed chunk (Nydus, spec nydus.md §3.1–3.3): the digest of `data` and the bytes
   * to store — compressed when that is smaller, else `data` itself (given back, as it may have
   * crossed to a worker). Digest and compression both run off the calling thread.
   */
  chunk(data: Uint8Array, job: ChunkJob): Promise<StoredChunk>;
  /** Ends the workers; pending jobs fail with ABORTED. Idempotent. */
  close(): void;
}

/** How one chunk is digested and stored. */
export interface ChunkJob {
  digester: ChunkDigester;
  compressor: 'zstd' | 'lz4_block' | 'none';
  /** zstd level. */
  level: number;
}

export interface StoredChunk {
  /** Bare hex digest of the uncompressed chunk. */
  digest: string;
  /** The bytes to store: compressed, or the chunk itself when compression does not shrink it. */
  data: Uint8Array;
  compressed: boolean;
}

/** A job as it crosses to a worker. */
export type CompressionRequest =
  | { id: number; kind: 'gzip'; data: Uint8Array; level: number }
  | { id: number; kind: 'zstd'; data: Uint8Array; level: number }
  | { id: number; kind: 'chunk'; data: Uint8Array; job: ChunkJob };

export type CompressionResponse =
  | { id: number; ok: true; data: Uint8Array; digest?: string; compressed?: boolean }
  | { id: number; ok: false; error: SerializedError };

/** Concatenates parts into one buffer of its own (one part that owns its whole buffer is kept). */
export function joinParts(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length !== 1) return concatBytes(parts);
  const p = parts[0];
  return p.byteOffset === 0 && p.byteLength === p.buffer.byteLength ? p : p.slice();
}

/** Go `compress/gzip` header bytes 8 (XFL) and 9 (OS) for a level. */
function goXfl(level: number): number {
  return level === 9 ? 2 : level === 1 ? 4 : 0;
}

function checkLevel(level: number, lo: number, hi: number, what: string): void {
  if (!Number.isInteger(level) || level < lo || level > hi) {
    throw new LayerlabError('UNSUPPORTED', `${what} level ${level} is not an integer from ${lo} to ${hi}`);
  }
}

/**
 * A complete gzip member of `data` with the shared encoder (fflate's one-shot path, gzipWhole),
 * its header set to what Go writes (spec estargz.md §2: `1f 8b 08 00 00000000 XFL ff`). The
 * deflate bytes are fflate's. `data` is compressed as one piece, so the output depends only on the
 * bytes, not on how a caller split them.
 */
export function gzipMemberSync(data: Uint8Array, level: number): Uint8Array {
  checkLevel(level, 0, 9, 'gzip');
  const member = gzipWhole(data, level as GzipLevel);
  // fflate writes MTIME 0 (mtime: 0), FLG 0; XFL by its own rule and OS 3 (Unix).
  member[8] = goXfl(level);
  member[9] = 0xff;
  return member;
}

/**
 * Members at least this large are compressed at level 6 by the platform's CompressionStream
 * (native zlib, whose default level is 6) where the runtime has one; smaller ones by fflate,
 * because a native stream costs ~0.3 ms to set up. The rule depends only on size and level, so
 * every pool of one runtime gives the same bytes.
 */
export const NATIVE_GZIP_MIN = 32 << 10;

/**
 * A complete gzip member of `data` with Go's header bytes (see gzipMemberSync). Level 6 members
 * of NATIVE_GZIP_MIN bytes or more use CompressionStream('gzip') — 2.5× fflate's speed in
 * Chromium (bench: 36 vs 14 MB/s) and 2× in Node; everything else the shared fflate encoder.
 */
export async function gzipMemberBytes(data: Uint8Array, level: number): Promise<Uint8Array> {
  if (level !== 6 || data.length < NATIVE_GZIP_MIN || typeof CompressionStream !== 'function') return gzipMemberSync(data, level);
  const cs = new CompressionStream('gzip');
  const writer = cs.writable.getWriter();
  void writer.write(data as Uint8Array<ArrayBuffer>).catch(() => {});
  void writer.close().catch(() => {});
  const reader = cs.readable.getReader();
  const out: Uint8Array[] = [];
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    out.push(value);
  }
  const member = joinParts(out);
  // zlib writes FLG 0 and MTIME 0; XFL and OS by its own rules.
  member[8] = goXfl(level);
  member[9] = 0xff;
  return member;
}

/**
 * One zstd frame of `data`, content size in the header: the shared libzstd wasm, the very call
 * createZstdEncoder makes per frame (same bytes), without staging the input in a frame buffer.
 */
export async function zstdFrameAsync(data: Uint8Array, level: number): Promise<Uint8Array> {
  checkLevel(level, -131072, 22, 'zstd');
  return (await loadZstdWasm()).compress(data, level);
}

/** Digests and compresses one chunk ("keep raw if not smaller", nydus.md §3.3). */
export async function storeChunk(data: Uint8Array, job: ChunkJob): Promise<StoredChunk> {
  const digest = await chunkDigestHex(data, job.digester);
  if (job.compressor === 'none') return { digest, data, compressed: false };
  const z = job.compressor === 'lz4_block' ? encodeLz4Block(data) : await zstdFrameAsync(data, job.level);
  return z.length < data.length ? { digest, data: z, compressed: true } : { digest, data, compressed: false };
}

/** What a pool slot does with one request (shared by the browser and Node worker entries). */
export async function compressRequest(req: CompressionRequest): Promise<CompressionResponse> {
  try {
    if (req.kind === 'chunk') {
      const c = await storeChunk(req.data, req.job);
      return { id: req.id, ok: true, data: c.data, digest: c.digest, compressed: c.compressed };
    }
    const data = req.kind === 'gzip' ? await gzipMemberBytes(req.data, req.level) : await zstdFrameAsync(req.data, req.level);
    return { id: req.id, ok: true, data };
  } catch (e) {
    return { id: req.id, ok: false, error: toLayerlabError(e).toJSON() };
  }
}

/** Same thread, shared encoders: the reference behaviour, and the fallback without workers. */
export function inlineCompressionPool(): CompressionPool {
  let closed = false;
  const check = () => {
    if (closed) throw new LayerlabError('ABORTED', 'the compression pool is closed');
  };
  return {
    size: 1,
    async gzipMember(parts, level) {
      check();
      return gzipMemberBytes(joinParts(parts), level);
    },
    async zstdFrame(data, level) {
      check();
      return zstdFrameAsync(data, level);
    },
    async chunk(data, job) {
      check();
      return storeChunk(data, job);
    },
    close() {
      closed = true;
    },
  };
}

/** The little a pool needs from a worker, browser `Worker` or Node `worker_threads.Worker`. */
export interface PoolWorkerPort {
  post(req: CompressionRequest, transfer: ArrayBuffer[]): void;
  /** Installs the handlers (called once). */
  listen(onResponse: (res: CompressionResponse) => void, onError: (e: unknown) => void): void;
  terminate(): void;
  /** Told whether the worker has jobs (Node: ref it only then, so an idle pool never keeps a process alive). */
  active?(busy: boolean): void;
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** Jobs queued per slot, so a slot never waits for a round trip between two jobs. */
const PER_SLOT = 2;

/**
 * A pool over `size` workers made by `spawn` (each running `compressRequest`). Jobs go to the slot
 * with the fewest outstanding (at most two each), the rest wait here in order. Buffers are
 * transferred both ways. A worker that dies fails its jobs and the pool.
 */
export function workerCompressionPool(size: number, spawn: (slot: number) => PoolWorkerPort): CompressionPool {
  const n = Math.max(1, Math.floor(size));
  type Done = Extract<CompressionResponse, { ok: true }>;
  interface Job { req: CompressionRequest; resolve(r: Done): void; reject(e: unknown): void }
  interface Slot { port: PoolWorkerPort | undefined; busy: Map<number, Job> }
  const slots: Slot[] = Array.from({ length: n }, () => ({ port: undefined, busy: new Map() }));
  const queue: Job[] = [];
  let nextId = 1;
  let failure: unknown;

  const portOf = (i: number): PoolWorkerPort => {
    const s = slots[i];
    if (s.port) return s.port;
    const port = spawn(i);
    s.port = port;
    port.listen((res) => {
      const job = s.busy.get(res.id);
      if (!job) return;
      s.busy.delete(res.id);
      if (s.busy.size === 0) port.active?.(false);
      if (res.ok) job.resolve(res);
      else job.reject(new LayerlabError(res.error.code, res.error.message, res.error.context));
      pump();
    }, (e) => fail(toLayerlabError(e, {})));
    return port;
  };

  const fail = (e: unknown) => {
    if (failure === undefined) failure = e;
    for (const s of slots) {
      for (const job of s.busy.values()) job.reject(e);
      s.busy.clear();
      s.port?.terminate();
      s.port = undefined;
    }
    for (const job of queue.splice(0)) job.reject(e);
  };

  const pump = () => {
    while (queue.length) {
      let best = -1;
      for (let i = 0; i < n; i++) {
        const b = slots[i].busy.size;
        if (b < PER_SLOT && (best < 0 || b < slots[best].busy.size)) best = i;
      }
      if (best < 0) return;
      const job = queue.shift()!;
      const port = portOf(best);
      slots[best].busy.set(job.req.id, job);
      if (slots[best].busy.size === 1) port.active?.(true);
      const buf = job.req.data.buffer;
      // Transfer only a buffer the view covers whole (the caller gave it up); copy otherwise.
      const whole = job.req.data.byteOffset === 0 && job.req.data.byteLength === buf.byteLength && buf instanceof ArrayBuffer;
      port.post(job.req, whole ? [buf as ArrayBuffer] : []);
    }
  };

  const submit = (req: DistributiveOmit<CompressionRequest, 'id'>) => new Promise<Done>((resolve, reject) => {
    if (failure !== undefined) return reject(failure);
    queue.push({ req: { ...req, id: nextId++ } as CompressionRequest, resolve, reject });
    pump();
  });

  return {
    size: n,
    async gzipMember(parts, level) {
      return (await submit({ kind: 'gzip', data: joinParts(parts), level })).data;
    },
    async zstdFrame(data, level) {
      return (await submit({ kind: 'zstd', data, level })).data;
    },
    async chunk(data, job) {
      const r = await submit({ kind: 'chunk', data, job });
      return { digest: r.digest!, data: r.data, compressed: r.compressed! };
    },
    close() {
      if (failure === undefined) fail(new LayerlabError('ABORTED', 'the compression pool was closed'));
    },
  };
}
