/**
 * A deliberately small eStargz writer for tests, independent of src/core (node:zlib members,
 * node:crypto digests, the test tar DSL): spec §2 for one regular file after another. It makes
 * blobs no fixture has (100 MB, broken TOCs) so the reader can be tested against them. The real
 * writer is a later piece of work; this one only needs to be right for regular files.
 */
import { gzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { concat, header, padded } from '../helpers/tar-builder.ts';

export interface BuiltFile {
  name: string;
  size: number;
  /** Produces the file's bytes [at, at + n) on demand, so 100 MB never has to be held twice. */
  bytes(at: number, n: number): Uint8Array;
}

export interface BuildOptions {
  chunkSize?: number;
  level?: number;
  /** Changes the TOC object before it is serialised (broken offsets, digests). */
  editToc?(toc: { version: number; entries: Record<string, unknown>[] }): void;
  /** Replaces the serialised TOC JSON (not JSON at all, too large …). */
  tocJson?: Uint8Array;
}

export interface Built {
  blob: Uint8Array;
  tocOffset: number;
  tocJson: Uint8Array;
  tocDigest: string;
}

const sha256 = (b: Uint8Array) => 'sha256:' + createHash('sha256').update(b).digest('hex');

export function buildEstargz(files: BuiltFile[], o: BuildOptions = {}): Built {
  const chunkSize = o.chunkSize ?? 4 << 20;
  const level = o.level ?? 1;
  const out: Uint8Array[] = [];
  let n = 0;
  let open: Uint8Array[] | undefined;
  const closeMember = () => {
    if (!open) return;
    const m = gzipSync(concat(...open), { level });
    out.push(m);
    n += m.length;
    open = undefined;
  };
  const entries: Record<string, unknown>[] = [];
  for (const f of files) {
    (open ??= []).push(header({ name: f.name }, f.size));
    const whole = createHash('sha256');
    const first = entries.length;
    for (let at = 0; at < f.size; at += chunkSize) {
      const len = Math.min(chunkSize, f.size - at);
      const chunk = f.bytes(at, len);
      whole.update(chunk);
      closeMember(); // a member starts at every chunk (spec §2 step 4)
      const e: Record<string, unknown> = at === 0
        ? { name: f.name, type: 'reg', size: f.size, mode: 420, offset: n }
        : { name: f.name, type: 'chunk', offset: n, chunkOffset: at };
      if (f.size - at >= chunkSize) e.chunkSize = chunkSize;
      e.chunkDigest = sha256(chunk);
      entries.push(e);
      open = [chunk];
    }
    if (f.size === 0) entries.push({ name: f.name, type: 'reg', mode: 420 });
    entries[first].digest = 'sha256:' + whole.digest('hex');
    (open ??= []).push(new Uint8Array((512 - (f.size % 512)) % 512)); // the payload's tar padding
  }
  closeMember();
  const tocOffset = n;
  const toc = { version: 1, entries };
  o.editToc?.(toc);
  const tocJson = o.tocJson ?? new TextEncoder().encode(JSON.stringify(toc, null, '\t'));
  const tocMember = gzipSync(concat(header({ name: 'stargz.index.json', mode: 0, mtime: 0 }, tocJson.length), padded(tocJson), new Uint8Array(1024)), { level });
  return { blob: concat(...out, tocMember, footer(tocOffset)), tocOffset, tocJson, tocDigest: sha256(tocJson) };
}

/** The 51-byte footer, byte by byte as spec §5.1 draws it. */
export function footer(tocOffset: number, hex = tocOffset.toString(16).padStart(16, '0')): Uint8Array {
  const enc = new TextEncoder();
  return concat(
    new Uint8Array([0x1f, 0x8b, 0x08, 0x04, 0, 0, 0, 0, 0, 0xff, 26, 0, 0x53, 0x47, 22, 0]),
    enc.encode(hex), enc.encode('STARGZ'),
    new Uint8Array([0x01, 0x00, 0x00, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0]),
  );
}

/** A file held in memory. */
export function memoryFile(name: string, data: string | Uint8Array): BuiltFile {
  const d = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  return { name, size: d.length, bytes: (at, k) => d.subarray(at, at + k) };
}

/**
 * `size` bytes of text-like data from a seed: xorshift picks letters from a 16-character
 * alphabet, so it compresses about 2:1 and every file differs.
 */
export function generatedFile(name: string, size: number, seed: number): BuiltFile {
  const ALPHABET = new TextEncoder().encode('etaoin shrdlu\ncm');
  return {
    name, size,
    bytes(at, k) {
      const b = new Uint8Array(k);
      let x = (seed * 2654435761 + at * 40503 + 1) >>> 0 || 1;
      for (let i = 0; i < k; i++) {
        x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
        b[i] = ALPHABET[x & 15];
      }
      return b;
    },
  };
}
