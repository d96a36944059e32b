/**
 * Compression off the calling thread: independent units (gzip members, zstd frames, content-
 * addressed chunks) compressed by a pool of workers, so a chunked writer can keep every core busy
 * while it parses, hashes and writes in order. A pool takes jobs described as data
 * (CompressionJob), not one method per format.
 *
 * One implementation of each codec: every pool slot runs `compressRequest` below over the shared
 * encoders (gzipWhole; the libzstd wasm call createZstdEncoder makes). The same input
 * therefore gives the same bytes whether it was compressed inline, in a browser Worker or in a
 * Node worker thread. Content-addressed chunks are digested there too (`chunk`), so the calling
 * thread only parses, places and hashes the output stream.
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
   * Runs one job over `data` (which the pool may transfer to another thread: the caller gives it
   * up). Every slot runs `runCompressionJob`, so the bytes do not depend on where the job ran.
   */
  run(data: Uint8Array, job: CompressionJob): Promise<CompressedUnit>;
  /** Ends the workers; pending jobs fail with ABORTED. Idempotent. */
  close(): void;
}

/**
 * One unit of work, described as data so it can cross to a worker. A chunked writer names the
 * unit its format stores (a gzip member, a zstd frame, a content-addressed chunk); the pool
 * knows no format.
 */
export type CompressionJob =
  /**
   * One complete gzip member (RFC 1952) with the header Go's `gzip.Writer` writes: no name,
   * MTIME 0, XFL 2 at level 9 / 4 at level 1 / 0 otherwise, OS 255. Deflate by fflate, or by the
   * platform's zlib for large level-6 members (gzipMemberBytes).
   */
  | { kind: 'gzip-member'; level: number }
  /**
   * One complete zstd frame with its content size; with `digest`, also the digest of the input
   * (the zstd:chunked writer: a chunk that is one frame is digested here, off the calling thread,
   * spec zstd-chunked.md §3 `chunkDigest`).
   */
  | { kind: 'zstd-frame'; level: number; digest?: ChunkDigester }
  /**
   * A content-addressed chunk (Nydus, spec nydus.md §3.1–3.3): the digest of `data` and the bytes
   * to store — compressed when that is smaller, else `data` itself (given back, as it may have
   * crossed to a worker).
   */
  | ({ kind: 'chunk' } & ChunkJob);

/** What a job gives back. */
export interface CompressedUnit {
  data: Uint8Array;
  /** `chunk`, and `zstd-frame` with `digest`: bare hex digest of the uncompressed input. */
  digest?: string;
  /** `chunk`: whether `data` is compressed. */
  compressed?: boolean;
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
export interface CompressionRequest { id: number; data: Uint8Array; job: CompressionJob }

export type CompressionResponse =
  | ({ id: number; ok: true } & CompressedUnit)
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

/** One job, here: what every pool slot runs (shared by the inline pool and the worker entries). */
export async function runCompressionJob(data: Uint8Array, job: CompressionJob): Promise<CompressedUnit> {
  switch (job.kind) {
    case 'gzip-member': return { data: await gzipMemberBytes(data, job.level) };
    case 'zstd-frame': {
      // Digested before compressing: a pool may reuse nothing of `data` afterwards either way.
      const digest = job.digest ? await chunkDigestHex(data, job.digest) : undefined;
      const frame = await zstdFrameAsync(data, job.level);
      return digest === undefined ? { data: frame } : { data: frame, digest };
    }
    case 'chunk': return storeChunk(data, job);
    default: throw new LayerlabError('INTERNAL', `unknown compression job ${JSON.stringify((job as { kind: unknown }).kind)}`);
  }
}

/** What a pool slot does with one request (shared by the browser and Node worker entries). */
export async function compressRequest(req: CompressionRequest): Promise<CompressionResponse> {
  try {
    return { id: req.id, ok: true, ...await runCompressionJob(req.data, req.job) };
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
    async run(data, job) {
      check();
      return runCompressionJob(data, job);
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

  const submit = (data: Uint8Array, job: CompressionJob) => new Promise<Done>((resolve, reject) => {
    if (failure !== undefined) return reject(failure);
    queue.push({ req: { id: nextId++, data, job }, resolve, reject });
    pump();
  });

  return {
    size: n,
    async run(data, job) {
      const { data: out, digest, compressed } = await submit(data, job);
      if (job.kind === 'chunk') return { data: out, digest, compressed };
      return digest === undefined ? { data: out } : { data: out, digest };
    },
    close() {
      if (failure === undefined) fail(new LayerlabError('ABORTED', 'the compression pool was closed'));
    },
  };
}
