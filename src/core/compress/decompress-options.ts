/** Options every decoder of the one decompression path (./decompress.ts) takes. */
export interface DecompressOptions {
  /** Checked between chunks; cancelling ends the stream with LayerlabError('ABORTED'). */
  signal?: AbortSignal;
  /** Named in errors (ErrorContext.file). */
  file?: string;
  /**
   * Called at the start of every gzip member / zstd data frame, the first one included, with its
   * offset in the compressed stream and the uncompressed offset its output starts at (eStargz
   * and zstd:chunked chunk maps). For gzip this selects the JS decoder: only it sees members.
   */
  onMember?(compressedOffset: number, uncompressedOffset: number): void;
  /**
   * Opens the same compressed bytes again from the start. Gzip only: lets the decoder restart
   * after the native DecompressionStream gives up (Chromium stops at the second member) without
   * keeping what it fed in memory. Without it, up to 8 MiB is kept for that purpose, and larger
   * layers in Chromium are decoded by the slower JS path. Pass `() => source.stream()` of the raw
   * ByteSource (not a hashing or counting wrapper: only a prefix is re-read, once).
   */
  reopen?(): AsyncIterable<Uint8Array>;
}
