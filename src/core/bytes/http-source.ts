import { type ByteSource, streamByReads } from './byte-source.ts';
import { fromBytes } from './memory-source.ts';
import { LayerlabError, checkAborted } from '../errors.ts';

/**
 * An HTTP(S) URL as a ByteSource, read with Range requests (RFC 9110 §14). The size comes from a
 * `Range: bytes=0-0` probe (Content-Range). A server that ignores Range (answers 200 with the
 * whole body) is read once in full and served from memory, which is the only correct fallback.
 * The server must allow CORS for the page's origin; errors say so when fetch fails opaquely.
 * When the browser hides Content-Range (cross-origin, not exposed), the size comes from a HEAD.
 */
export async function fromUrl(url: string, o: { signal?: AbortSignal; fetch?: typeof fetch } = {}): Promise<ByteSource> {
  const f = o.fetch ?? fetch;
  const name = url;
  let probe: Response;
  try {
    probe = await f(url, { headers: { Range: 'bytes=0-0' }, signal: o.signal });
  } catch (e) {
    checkAborted(o.signal, { file: name });
    throw new LayerlabError('IO', `cannot fetch (network error, or the server does not allow cross-origin reads): ${(e as Error).message}`, { file: name }, { cause: e });
  }
  if (probe.status === 206) {
    let total = parseContentRangeTotal(probe.headers.get('content-range'));
    await probe.body?.cancel();
    // Cross-origin, browsers hide Content-Range unless the server exposes it
    // (Access-Control-Expose-Headers); Content-Length of a HEAD is always readable.
    if (total === undefined) total = await headLength(url, f, o.signal);
    if (total !== undefined) return rangeSource(url, name, total, f);
  }
  if (!probe.ok && probe.status !== 206) {
    throw new LayerlabError('IO', `HTTP ${probe.status} ${probe.statusText}`, { file: name });
  }
  // No usable Range support: one full GET (this response may already be it).
  const full = probe.status === 200 ? probe : await f(url, { signal: o.signal });
  if (!full.ok) throw new LayerlabError('IO', `HTTP ${full.status} ${full.statusText}`, { file: name });
  return fromBytes(new Uint8Array(await full.arrayBuffer()), name);
}

async function headLength(url: string, f: typeof fetch, signal?: AbortSignal): Promise<number | undefined> {
  try {
    const r = await f(url, { method: 'HEAD', signal });
    const n = Number(r.headers.get('content-length'));
    return r.ok && Number.isSafeInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

function parseContentRangeTotal(h: string | null): number | undefined {
  const m = h && /\/(\d+)\s*$/.exec(h);
  return m ? Number(m[1]) : undefined;
}

function rangeSource(url: string, name: string, size: number, f: typeof fetch): ByteSource {
  const src: ByteSource = {
    name, size,
    async read(offset, length, signal) {
      const end = Math.min(size, offset + length);
      if (end <= offset) return new Uint8Array(0);
      const r = await f(url, { headers: { Range: `bytes=${offset}-${end - 1}` }, signal });
      if (r.status !== 206) {
        throw new LayerlabError('IO', `expected 206 Partial Content for a range read, got HTTP ${r.status}`, { file: name, offset });
      }
      const b = new Uint8Array(await r.arrayBuffer());
      if (b.length !== end - offset) {
        throw new LayerlabError('TRUNCATED', `range read returned ${b.length} of ${end - offset} bytes`, { file: name, offset });
      }
      return b;
    },
    stream: (so = {}) => streamByReads(src, { chunkSize: 8 << 20, ...so }),
  };
  return src;
}
