/**
 * The compressed side of the eStargz writer (spec §2): uncompressed bytes go into the "open"
 * member; closing it hands the member to the compression pool as its compressor's job; finished members reach the
 * sink strictly in order. Compressed offsets are only known once earlier members are compressed,
 * so the writer records member *indexes* and resolves them to offsets at the end (`offsetOf`).
 *
 * Memory: the open member (≤ `memberCap` bytes, views of the input) plus at most `maxInFlight`
 * members being compressed and not yet written.
 */
import type { CompressionJob, CompressionPool } from '../../compress/compression-pool.ts';
import type { MemberCompressor } from './member-compressor.ts';
import { joinParts } from '../../compress/compression-pool.ts';
import { sha256Digest } from '../../digest/sha256.ts';
import type { Digest, StreamHasher } from '../../digest/digest.ts';
import { LayerlabError } from '../../errors.ts';

/** A chunk whose digest is taken from the assembled member (one-shot, fast WebCrypto). */
interface ChunkInMember {
  start: number;
  length: number;
  done(d: Digest): void;
}

export class MemberStream {
  /** Views making up the open member, in order. */
  private parts: Uint8Array[] = [];
  private fill = 0;
  private open = false;
  private chunks: ChunkInMember[] = [];
  /** Members submitted so far; the open one (if any) has index `submitted`. */
  private submitted = 0;
  private readonly inFlight: Promise<Uint8Array>[] = [];
  /** Compressed start offset of every member written so far, and of the next. */
  private readonly starts: number[] = [0];
  private written = 0;
  private uncompressed = 0;
  /** The open member compressed by trialSize(), valid while its fill is unchanged. */
  private trial: { fill: number; member: Uint8Array } | undefined;

  private readonly job: CompressionJob;

  constructor(
    private readonly pool: CompressionPool,
    /** What a member is (gzip today; zstd for the zstd variant). */
    readonly compressor: MemberCompressor,
    level: number,
    private readonly sink: (chunk: Uint8Array) => void | Promise<void>,
    readonly diffId: StreamHasher,
    /** Past this many uncompressed bytes a member is closed before more *non-data* bytes go in. */
    private readonly memberCap: number,
    private readonly maxInFlight: number,
  ) {
    this.job = compressor.job(level);
  }

  /** Index of the open member, or of the one the next write will open. */
  get memberIndex(): number {
    return this.submitted;
  }

  /** Uncompressed bytes in the open member so far (0 when none is open). */
  get openFill(): number {
    return this.fill;
  }

  get isOpen(): boolean {
    return this.open;
  }

  /** Every uncompressed byte written (the diffID stream's length). */
  get uncompressedSize(): number {
    return this.uncompressed;
  }

  /** Compressed bytes handed to the sink so far. */
  get compressedSize(): number {
    return this.written;
  }

  get members(): number {
    return this.submitted;
  }

  /** Tar headers, padding, trailers: may start a fresh member first when the open one is full. */
  async writeFraming(b: Uint8Array): Promise<void> {
    if (b.length === 0) return;
    if (this.open && this.fill >= this.memberCap) await this.closeMember();
    this.write(b);
  }

  /** Bytes into the open member (opening one); the caller keeps `b` unchanged until it closes. */
  write(b: Uint8Array): void {
    if (b.length === 0) return;
    this.open = true;
    this.parts.push(b);
    this.fill += b.length;
    this.uncompressed += b.length;
    this.diffId.update(b);
  }

  /**
   * Registers a chunk starting at the current fill of the open member; its sha256 is computed
   * when the member is assembled and passed to `done`.
   */
  digestChunk(length: number, done: (d: Digest) => void): void {
    this.chunks.push({ start: this.fill, length, done });
  }

  /** Ends the open member (no-op if none): assembled, chunk digests taken, sent to the pool. */
  async closeMember(): Promise<void> {
    if (!this.open) return;
    const data = joinParts(this.parts);
    const parts = this.parts;
    const trial = this.trial?.fill === this.fill ? this.trial.member : undefined;
    this.trial = undefined;
    this.parts = [];
    this.fill = 0;
    this.open = false;
    const chunks = this.chunks;
    this.chunks = [];
    // Digests before the buffer may be transferred away.
    for (const c of chunks) c.done(await sha256Digest(data.subarray(c.start, c.start + c.length)));
    // A single input view that was reused as is belongs to the input: give the pool a copy
    // (`new Uint8Array(view)`: on a Node Buffer `slice()` is another view of the same memory).
    const own = parts.length === 1 && data === parts[0] ? new Uint8Array(data) : data;
    this.submitted++;
    const p = trial ? Promise.resolve(trial) : this.compressMember(own);
    p.catch(() => {}); // awaited in order by drain(); avoid an unhandled rejection meanwhile
    this.inFlight.push(p);
    while (this.inFlight.length >= this.maxInFlight) await this.drainOne();
  }

  /**
   * Compresses the open member now to learn its size, without closing it (minChunkSize
   * decisions, spec §3). The result is kept: if the member is closed without further writes,
   * the same bytes are used.
   */
  async trialSize(): Promise<number> {
    if (!this.open) return 0;
    const data = joinParts(this.parts);
    this.parts = [data];
    const member = await this.compressMember(data.slice());
    this.trial = { fill: this.fill, member };
    return member.length;
  }

  private async drainOne(): Promise<void> {
    const m = await this.inFlight.shift()!;
    await this.sink(m);
    this.written += m.length;
    this.starts.push(this.written);
  }

  /** Writes every submitted member; afterwards every index below `members` has its offset. */
  async drain(): Promise<void> {
    while (this.inFlight.length) await this.drainOne();
  }

  /** Writes a finished member (TOC, footer) after everything before it, bypassing the pool. */
  async writeRaw(bytes: Uint8Array, uncompressed?: Uint8Array): Promise<void> {
    if (this.open) throw new LayerlabError('INTERNAL', 'estargz writer: raw bytes while a member is open');
    await this.drain();
    if (uncompressed) {
      this.uncompressed += uncompressed.length;
      this.diffId.update(uncompressed);
    }
    await this.sink(bytes);
    this.written += bytes.length;
    this.submitted++;
    this.starts.push(this.written);
  }

  /** Compressed offset of member `index` (valid after drain()). */
  offsetOf(index: number): number {
    const v = this.starts[index];
    if (v === undefined) throw new LayerlabError('INTERNAL', `estargz writer: member ${index} has no offset yet`);
    return v;
  }

  /** Compresses one member through the pool (the TOC member). */
  compress(data: Uint8Array): Promise<Uint8Array> {
    return this.compressMember(data);
  }

  private async compressMember(data: Uint8Array): Promise<Uint8Array> {
    return (await this.pool.run(data, this.job)).data;
  }

  /** Lets in-flight jobs settle without writing them (after a failure). */
  async abandon(): Promise<void> {
    await Promise.allSettled(this.inFlight.splice(0));
  }
}
