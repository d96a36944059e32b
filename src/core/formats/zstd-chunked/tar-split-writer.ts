/**
 * The tar-split stream of a zstd:chunked blob (spec zstd-chunked.md §4): newline-delimited JSON
 * in vbatts/tar-split's `storage.Entry` shape, as its JSON packer writes it (`json.Encoder`, so
 * Go's escaping and a `\n` after each object), zstd-compressed. With it, containers/storage
 * rebuilds the exact layer tar from the files it already has.
 *
 * Entry shape (struct order, `omitempty` on name/name_raw/size):
 *   segment `{"type":2,"payload":"<base64 raw bytes>","position":N}`
 *   file    `{"type":1,"name":"…","size":S,"payload":"<base64 CRC-64/ISO>","position":N}`
 * A name that is not valid UTF-8 goes to `name_raw` (base64) instead (the packer's rule); an empty
 * file's payload is `null` (no checksum computed); `position` counts entries from 0.
 *
 * Segmentation follows tar-split's disassembler (tar/asm `NewInputTarStream`): before each entry
 * one segment with the raw bytes its tar reader consumed since the last entry's data (the previous
 * entry's padding and this entry's headers, extension headers included); at the end one segment
 * with the last padding and the end-of-archive blocks, then whatever follows in segments of at most
 * 1 MiB, then the empty segment its final `Read` (0 bytes, EOF) adds. (How the bytes after the
 * end-of-archive are cut depends on the reader's `Read` sizes upstream; the rebuilt tar does not.)
 *
 * Unlike tar-split's packer we accept duplicate paths (it refuses them with ErrDuplicatePath):
 * layers with them exist (our t1 fixture), and the reference `mkv2` tar-split keeps them too.
 *
 * Compression: the text is cut after whole lines into pieces of about TAR_SPLIT_FRAME_BYTES, each
 * one zstd frame (a zstd stream may hold several frames; Go's decoder reads them as one), so a
 * layer with 100 000 entries does not hold ~100 MB of JSON at once — only its compressed form.
 */
import { GoJsonBuilder, isValidUtf8 } from '../../bytes/go-json.ts';
import { concatBytes } from '../../bytes/concat.ts';
import { TAR_SPLIT_FILE, TAR_SPLIT_SEGMENT } from './types.ts';

/** Uncompressed tar-split bytes per zstd frame. */
export const TAR_SPLIT_FRAME_BYTES = 1 << 20;
/** tar-split's disassembler reads what follows the end-of-archive in pieces of this size. */
export const TAR_SPLIT_PADDING_CHUNK = 1 << 20;

export interface TarSplitResult {
  /** The compressed stream (the skippable frame's payload). */
  compressed: Uint8Array;
  uncompressedLength: number;
  entries: number;
}

export class TarSplitWriter {
  private readonly text = new GoJsonBuilder(TAR_SPLIT_FRAME_BYTES + (64 << 10));
  private position = 0;
  private uncompressed = 0;
  private readonly frames: Promise<Uint8Array>[] = [];
  private compressedSoFar: Uint8Array[] = [];

  /** `compress` turns a piece of text into one zstd frame (the caller's pool job). */
  constructor(private readonly compress: (text: Uint8Array) => Promise<Uint8Array>, private readonly maxPending = 2) {}

  /** A raw-bytes segment; its payload is `parts` joined. */
  async segment(parts: readonly Uint8Array[]): Promise<void> {
    this.text.ascii(`{"type":${TAR_SPLIT_SEGMENT},"payload":`).base64(concatBytes(parts));
    await this.endLine();
  }

  /** A file entry (every tar entry gets one); `crc` is undefined for size 0 (JSON `null`). */
  async file(nameBytes: Uint8Array, size: number, crc: Uint8Array | undefined): Promise<void> {
    this.text.ascii(`{"type":${TAR_SPLIT_FILE}`);
    if (nameBytes.length > 0) {
      if (isValidUtf8(nameBytes)) this.text.ascii(',"name":').stringBytes(nameBytes);
      else this.text.ascii(',"name_raw":').base64(nameBytes);
    }
    if (size) this.text.ascii(`,"size":${size}`);
    this.text.ascii(',"payload":');
    if (crc) this.text.base64(crc);
    else this.text.ascii('null');
    await this.endLine();
  }

  /** The bytes after the archive's last entry (see the file comment): `tail` is [eoa, …). */
  async trailer(endOfArchive: readonly Uint8Array[], after: readonly Uint8Array[]): Promise<void> {
    if (endOfArchive.some((p) => p.length > 0)) await this.segment(endOfArchive);
    const rest = concatBytes(after);
    for (let at = 0; at < rest.length; at += TAR_SPLIT_PADDING_CHUNK) await this.segment([rest.subarray(at, at + TAR_SPLIT_PADDING_CHUNK)]);
    await this.segment([]);
  }

  private async endLine(): Promise<void> {
    this.text.ascii(`,"position":${this.position++}}\n`);
    if (this.text.length >= TAR_SPLIT_FRAME_BYTES) await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.text.length === 0) return;
    const piece = this.text.take();
    this.uncompressed += piece.length;
    const p = this.compress(piece);
    p.catch(() => {}); // awaited in order below; no unhandled rejection meanwhile
    this.frames.push(p);
    while (this.frames.length > this.maxPending) this.compressedSoFar.push(await this.frames.shift()!);
  }

  async finish(): Promise<TarSplitResult> {
    await this.flush();
    for (const p of this.frames.splice(0)) this.compressedSoFar.push(await p);
    const compressed = concatBytes(this.compressedSoFar);
    this.compressedSoFar = [compressed];
    return { compressed: compressed.length === 0 ? new Uint8Array(0) : compressed, uncompressedLength: this.uncompressed, entries: this.position };
  }

  /** Lets pending compressions settle (after a failure). */
  async abandon(): Promise<void> {
    await Promise.allSettled(this.frames.splice(0));
  }
}
