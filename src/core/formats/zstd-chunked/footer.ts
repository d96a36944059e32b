import type { ByteSource } from '../../bytes/byte-source.ts';
import { LayerlabError } from '../../errors.ts';
import {
  FOOTER_PAYLOAD, FOOTER_TAIL, MAGIC_V1, MAGIC_V2, MANIFEST_TYPE_CRFS, SKIPPABLE_MAGIC, ZSTD_MAGIC,
  type BlobSpan, type FooterKind, type ZstdChunkedFooter,
} from './types.ts';

/**
 * Finds a zstd:chunked footer in the last bytes of a blob of `blobSize` bytes, by the spec's
 * byte-level rule (zstd-chunked.md §9, rules 2–6): the 64-byte current footer first, then the
 * interim 56-byte one, then the 40-byte v1 one (order matters only for crafted blobs: a v2
 * footer's last 8 bytes put `GNUlInUx` where v1 expects `GnUlInUx`).
 *
 * `head` is the blob's first 4 bytes (rule 1: a zstd frame). undefined: not zstd:chunked (a plain
 * zstd layer never ends in a skippable frame with this magic). Throws BAD_LAZY_FORMAT when a
 * footer is there but points outside the blob: a damaged zstd:chunked blob, not another format.
 */
export function parseZstdChunkedFooter(head: Uint8Array, tail: Uint8Array, blobSize: number, file?: string): ZstdChunkedFooter | undefined {
  if (!ZSTD_MAGIC.every((b, i) => head[i] === b)) return undefined;
  const kind = footerKind(tail);
  if (!kind) return undefined;
  const payload = FOOTER_PAYLOAD[kind];
  const f = tail.subarray(tail.length - payload);
  const at = blobSize - payload - 8;
  const fail = (why: string): never => {
    throw new LayerlabError('BAD_LAZY_FORMAT', `zstd:chunked ${kind} footer: ${why}`, { file, offset: at, offsetSpace: 'compressed' });
  };
  const manifest = span(f, 0);
  const type = le64(f, 24);
  if (type !== MANIFEST_TYPE_CRFS) fail(`manifest type ${type}, expected ${MANIFEST_TYPE_CRFS} (ManifestTypeCRFS)`);
  const inside = (s: BlobSpan, what: string, end: number) => {
    if (!(s.offset >= 8 && s.offset + s.length <= end)) fail(`the ${what} at ${s.offset} (+${s.length}) is not inside the blob before the footer (8..${end})`);
  };
  inside(manifest, 'manifest', at);
  let tarSplit: BlobSpan | undefined;
  if (kind === 'v2-64') {
    tarSplit = span(f, 32);
    inside(tarSplit, 'tar-split', at);
    // Spec §9 rule 6: the tar-split frame follows the manifest frame.
    if (tarSplit.offset < manifest.offset + manifest.length + 8) fail(`the tar-split at ${tarSplit.offset} does not follow the manifest (which ends at ${manifest.offset + manifest.length})`);
  }
  return { kind, size: payload + 8, manifest, tarSplit };
}

function footerKind(tail: Uint8Array): FooterKind | undefined {
  const n = tail.length;
  const frameAt = (payload: number) => n - payload - 8;
  const isFrame = (payload: number) => {
    const at = frameAt(payload);
    return at >= 0 && SKIPPABLE_MAGIC.every((b, i) => tail[at + i] === b) && le32(tail, at + 4) === payload;
  };
  // Rule 2: the current footer, magic in its last 8 bytes.
  if (isFrame(64) && ascii(tail, n - 8, 8) === MAGIC_V2) return 'v2-64';
  // Rule 3: interim, the v1 magic at its bytes 32..39, then 16 zero bytes.
  if (isFrame(56) && ascii(tail, n - 56 + 32, 8) === MAGIC_V1) return 'interim-56';
  // Rule 4: v1 (containers/storage ≤ 1.46 and stargz-snapshotter's zstd variant).
  if (isFrame(40) && ascii(tail, n - 8, 8) === MAGIC_V1) return 'v1-40';
  return undefined;
}

/** Reads the head and tail of `src` and parses them (see parseZstdChunkedFooter): two small reads. */
export async function readZstdChunkedFooter(src: ByteSource, signal?: AbortSignal): Promise<ZstdChunkedFooter | undefined> {
  if (src.size < 8 + FOOTER_PAYLOAD['v1-40'] + 4) return undefined;
  const n = Math.min(src.size, FOOTER_TAIL);
  const [head, tail] = await Promise.all([src.read(0, 4, signal), src.read(src.size - n, n, signal)]);
  return parseZstdChunkedFooter(head, tail, src.size, src.name);
}

/**
 * Checks the 8 bytes before a span are its skippable frame's header (spec §9 rule 6): the magic
 * and the LE32 length. `header` is blob[offset−8, offset).
 */
export function checkFrameHeader(header: Uint8Array, s: BlobSpan, what: string, file?: string): void {
  if (!SKIPPABLE_MAGIC.every((b, i) => header[i] === b) || le32(header, 4) !== s.length) {
    throw new LayerlabError('BAD_LAZY_FORMAT', `zstd:chunked: the ${what} at ${s.offset} is not the payload of a skippable frame of ${s.length} bytes`,
      { file, offset: s.offset - 8, offsetSpace: 'compressed' });
  }
}

/**
 * The footer's skippable frame, ready to append (spec §2): `v1-40` as containers/storage ≤ 1.46
 * and stargz-snapshotter write it, `v2-64` as containers/storage ≥ 1.50 does (tar-split required).
 */
export function zstdChunkedFooterBytes(kind: 'v1-40' | 'v2-64', manifest: BlobSpan, tarSplit?: BlobSpan): Uint8Array {
  const payload = FOOTER_PAYLOAD[kind];
  const out = new Uint8Array(8 + payload);
  const dv = new DataView(out.buffer);
  out.set(SKIPPABLE_MAGIC);
  dv.setUint32(4, payload, true);
  const put = (at: number, v: number) => dv.setBigUint64(8 + at, BigInt(v), true);
  put(0, manifest.offset);
  put(8, manifest.length);
  put(16, manifest.uncompressedLength);
  put(24, MANIFEST_TYPE_CRFS);
  if (kind === 'v1-40') {
    for (let i = 0; i < 8; i++) out[8 + 32 + i] = MAGIC_V1.charCodeAt(i);
  } else {
    if (!tarSplit) throw new LayerlabError('INTERNAL', 'a v2 zstd:chunked footer needs its tar-split span');
    put(32, tarSplit.offset);
    put(40, tarSplit.length);
    put(48, tarSplit.uncompressedLength);
    for (let i = 0; i < 8; i++) out[8 + 56 + i] = MAGIC_V2.charCodeAt(i);
  }
  return out;
}

function span(f: Uint8Array, at: number): BlobSpan {
  return { offset: le64(f, at), length: le64(f, at + 8), uncompressedLength: le64(f, at + 16) };
}

/** An LE64 field; beyond 2^53 it is no offset in any blob, and Infinity fails every bound check. */
function le64(b: Uint8Array, at: number): number {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength).getBigUint64(at, true);
  return v > BigInt(Number.MAX_SAFE_INTEGER) ? Infinity : Number(v);
}

function le32(b: Uint8Array, at: number): number {
  return new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(at, true);
}

function ascii(b: Uint8Array, at: number, length: number): string {
  return at < 0 ? '' : String.fromCharCode(...b.subarray(at, at + length));
}
