/**
 * A streaming tar writer. Bytes leave through the `ondata` callback in archive order, as they
 * are produced (fflate's shape): headers as fresh arrays, member data as the very chunks the
 * caller passed (no copy), padding as fresh zero arrays, so a consumer may transfer or keep
 * any chunk. Nothing is buffered beyond one member's header blocks.
 *
 * Encoding follows Go's archive/tar and GNU tar `--format=posix`: see tar-header-encoder.ts.
 */
import { LayerlabError } from '../errors.ts';
import type { TarBodySink } from './tar-types.ts';
import { BLOCK } from './ustar-layout.ts';
import { encodeEntryHeader, type TarWriterEntry } from './tar-header-encoder.ts';

export type { TarWriterEntry } from './tar-header-encoder.ts';
export { encodeEntryHeader } from './tar-header-encoder.ts';

export interface TarWriterOptions {
  /**
   * After the two end-of-archive blocks, pad the archive to a multiple of this many bytes.
   * 512 (the default) adds nothing, as Go's archive/tar; GNU tar's default record is 10240.
   */
  recordSize?: number;
}

export class TarWriter {
  private readonly ondata: (chunk: Uint8Array) => void;
  private readonly recordSize: number;
  private written = 0;
  private open: string | undefined;
  private finished = false;

  constructor(ondata: (chunk: Uint8Array) => void, options: TarWriterOptions = {}) {
    this.ondata = ondata;
    this.recordSize = options.recordSize ?? BLOCK;
    if (!Number.isInteger(this.recordSize) || this.recordSize <= 0 || this.recordSize % BLOCK !== 0) {
      throw new LayerlabError('INTERNAL', `tar writer: recordSize must be a positive multiple of 512, got ${options.recordSize}`);
    }
  }

  /** Bytes written so far. */
  get offset(): number {
    return this.written;
  }

  /**
   * Writes `entry`'s header now and returns the sink for its `entry.size` data bytes; call
   * `end()` after the last one (also for size 0). Members are written one at a time.
   */
  beginEntry(entry: TarWriterEntry): TarBodySink {
    this.checkIdle(entry.name);
    const { bytes, size } = encodeEntryHeader(entry);
    this.emit(bytes);
    const name = entry.name;
    this.open = name;
    let left = size;
    let ended = false;
    return {
      data: (chunk: Uint8Array) => {
        if (ended) throw internal(`data() after end() for ${JSON.stringify(name)}`, name);
        if (chunk.length > left) {
          throw new LayerlabError('SIZE_MISMATCH', `tar writer: ${JSON.stringify(name)} was declared as ${size} bytes, more arrived`, { entry: name });
        }
        left -= chunk.length;
        if (chunk.length) this.emit(chunk);
      },
      end: () => {
        if (ended) return;
        if (left !== 0) {
          throw new LayerlabError('SIZE_MISMATCH', `tar writer: ${JSON.stringify(name)} was declared as ${size} bytes, ${size - left} arrived`, { entry: name });
        }
        ended = true;
        const pad = (BLOCK - (size % BLOCK)) % BLOCK;
        if (pad) this.emit(new Uint8Array(pad));
        this.open = undefined;
      },
    };
  }

  /**
   * Writes one member with its whole body. `entry.size` defaults to the length of a Uint8Array
   * body; an async body needs `entry.size` and must deliver exactly that many bytes.
   */
  async addEntry(entry: TarWriterEntry, body?: Uint8Array | AsyncIterable<Uint8Array>): Promise<void> {
    const size = entry.size ?? (body instanceof Uint8Array ? body.length : 0);
    const sink = this.beginEntry({ ...entry, size });
    if (body instanceof Uint8Array) sink.data(body);
    else if (body) for await (const chunk of body) sink.data(chunk);
    sink.end();
  }

  /** Writes the end-of-archive marker (two zero blocks, POSIX) and any record padding. */
  finish(): void {
    this.checkIdle(undefined);
    this.finished = true;
    let trailer = 2 * BLOCK;
    const rem = (this.written + trailer) % this.recordSize;
    if (rem) trailer += this.recordSize - rem;
    this.emit(new Uint8Array(trailer));
  }

  private checkIdle(entry: string | undefined): void {
    if (this.finished) throw internal('the archive is already finished', entry);
    if (this.open !== undefined) throw internal(`the data of ${JSON.stringify(this.open)} is not complete (call end() on its sink)`, entry);
  }

  private emit(chunk: Uint8Array): void {
    this.written += chunk.length;
    this.ondata(chunk);
  }
}

function internal(message: string, entry: string | undefined): LayerlabError {
  return new LayerlabError('INTERNAL', `tar writer: ${message}`, { entry });
}
