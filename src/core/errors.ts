/**
 * The one error type of layerlab. Every failure that a user can cause (bad input, wrong digest,
 * truncated data, cancel) is a LayerlabError carrying where it happened: the file (as the user
 * named it), the layer (index and/or digest), the tar entry and the byte offset. Boundaries that
 * know more add it with `withContext` instead of wrapping the error in another one.
 */
export type ErrorCode =
  | 'ABORTED'            // the user cancelled
  | 'TRUNCATED'          // input ends before a structure it started
  | 'BAD_TAR'            // malformed tar header / record
  | 'UNSAFE_PATH'        // tar member escapes its root (../, absolute) where that matters
  | 'UNSUPPORTED'        // valid input we do not handle (e.g. GNU sparse data)
  | 'TOO_LARGE'          // a size field beyond what we accept
  | 'BAD_COMPRESSION'    // gzip / zstd stream is corrupt
  | 'DIGEST_MISMATCH'    // content does not match its digest
  | 'SIZE_MISMATCH'      // content does not match its descriptor size
  | 'MISSING_BLOB'       // a referenced blob is absent
  | 'BAD_JSON'           // manifest / index / config / eStargz TOC is not the JSON we expect
  | 'BAD_LAZY_FORMAT'    // a lazy-pull layer's footer, TOC or chunk map contradicts itself or the blob
  | 'UNKNOWN_FORMAT'     // the input is not an image or layer we can read
  | 'UNKNOWN_MEDIA_TYPE'
  | 'NO_PLATFORM'        // no manifest for the wanted platform
  | 'NOT_FOUND'          // a path the user asked for does not exist
  | 'IO'                 // the byte source failed (HTTP status, file read)
  | 'INTERNAL';

export interface ErrorContext {
  /** The file or URL as the user named it, or a path inside it ("image.tar:blobs/sha256/ab…"). */
  file?: string;
  /** Layer index in manifest order. */
  layer?: number;
  /** Layer digest, when known. */
  layerDigest?: string;
  /** Tar member name. */
  entry?: string;
  /** Byte offset; `offsetSpace` says in which stream. */
  offset?: number;
  offsetSpace?: 'file' | 'compressed' | 'uncompressed';
  /** NO_PLATFORM: the platforms the index does offer, so a UI can offer them. */
  platforms?: string[];
}

export class LayerlabError extends Error {
  override readonly name = 'LayerlabError';
  readonly code: ErrorCode;
  readonly context: ErrorContext;

  constructor(code: ErrorCode, message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.context = { ...context };
  }

  /** Adds what an outer boundary knows; inner facts win (they are more precise). */
  withContext(outer: ErrorContext): this {
    for (const [k, v] of Object.entries(outer) as [keyof ErrorContext, never][]) {
      if (this.context[k] === undefined && v !== undefined) (this.context as Record<string, unknown>)[k] = v;
    }
    return this;
  }

  /** One line for a person: message, then where. */
  describe(): string {
    const c = this.context;
    const where: string[] = [];
    if (c.layer !== undefined) where.push(`layer ${c.layer}${c.layerDigest ? ` (${shortDigest(c.layerDigest)})` : ''}`);
    else if (c.layerDigest) where.push(`layer ${shortDigest(c.layerDigest)}`);
    if (c.entry !== undefined) where.push(`entry ${JSON.stringify(c.entry)}`);
    if (c.offset !== undefined) where.push(`${c.offsetSpace && c.offsetSpace !== 'file' ? c.offsetSpace + ' ' : ''}offset ${c.offset}`);
    if (c.file) where.push(c.file);
    return where.length ? `${this.message} (${where.join(', ')})` : this.message;
  }

  /** Plain object for structured clone (comlink) and `--json`. */
  toJSON(): SerializedError {
    return { name: 'LayerlabError', code: this.code, message: this.message, context: this.context, text: this.describe() };
  }
}

export interface SerializedError {
  name: 'LayerlabError';
  code: ErrorCode;
  message: string;
  context: ErrorContext;
  text: string;
}

export function shortDigest(d: string, hex = 12): string {
  const i = d.indexOf(':');
  return i >= 0 ? d.slice(0, i + 1 + hex) : d.slice(0, hex);
}

/** Turns anything thrown into a LayerlabError, keeping the original as `cause`. */
export function toLayerlabError(e: unknown, context: ErrorContext = {}): LayerlabError {
  if (e instanceof LayerlabError) return e.withContext(context);
  if (isAbort(e)) return new LayerlabError('ABORTED', 'cancelled', context, { cause: e });
  const msg = e instanceof Error ? e.message : String(e);
  return new LayerlabError('INTERNAL', msg, context, { cause: e });
}

export function isAbort(e: unknown): boolean {
  return (e instanceof LayerlabError && e.code === 'ABORTED') ||
    (typeof e === 'object' && e !== null && (e as { name?: string }).name === 'AbortError');
}

/** `signal.throwIfAborted()` that throws our error type. */
export function checkAborted(signal: AbortSignal | undefined, context: ErrorContext = {}): void {
  if (signal?.aborted) throw new LayerlabError('ABORTED', 'cancelled', context, { cause: signal.reason });
}
