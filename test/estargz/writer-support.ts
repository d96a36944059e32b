/** Shared bits of the eStargz writer tests: run the writer into memory, read TOCs independently. */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { expect } from 'vitest';
import { gunzipSync } from 'node:zlib';
import { writeEstargz, type EstargzWriteOptions, type EstargzWriteResult } from '../../src/core/formats/estargz/writer.ts';

/** Streams `bytes` in pieces of odd sizes (the writer must not care where chunks split). */
export function chunked(bytes: Uint8Array, step = 65_537): () => AsyncIterable<Uint8Array> {
  return async function* () {
    for (let i = 0; i < bytes.length; i += step) yield bytes.slice(i, i + step);
  };
}

export async function writeToMemory(tar: Uint8Array, o: EstargzWriteOptions, step?: number): Promise<{ blob: Buffer; r: EstargzWriteResult }> {
  const parts: Buffer[] = [];
  const r = await writeEstargz(chunked(tar, step), (c) => { parts.push(Buffer.from(c)); }, o);
  return { blob: Buffer.concat(parts), r };
}

/** `zstd -dc` (the native tool, not our decoder): skippable frames are passed over. */
export function zstdDecompress(bytes: Uint8Array): Buffer {
  const r = spawnSync('zstd', ['-dcq'], { input: bytes, maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`zstd -dc failed: ${r.stderr}`);
  return r.stdout;
}

/** The zstd variant's 40-byte footer (estargz.md §10), read with DataView: TOC offset, lengths. */
export function zstdFooterOf(blob: Buffer): { offset: number; length: number; uncompressedLength: number; type: number; magic: string } {
  const f = blob.subarray(blob.length - 40);
  const n = (at: number) => Number(f.readBigUInt64LE(at));
  return { offset: n(0), length: n(8), uncompressedLength: n(16), type: n(24), magic: f.subarray(32).toString('latin1') };
}

/** Whether a blob ends in the zstd variant's footer (`GnUlInUx`, in a 40-byte skippable frame). */
export const isZstdVariant = (blob: Buffer) => blob.subarray(blob.length - 48, blob.length - 44).equals(Buffer.from([0x50, 0x2a, 0x4d, 0x18]));

/**
 * The TOC JSON bytes of a blob, read from the footer's offset with node:zlib (gzip: the TOC tar
 * member) or the zstd tool (zstd variant: the TOC frame inside its skippable frame) — not our reader.
 */
export function tocJsonOf(blob: Buffer): Buffer {
  if (isZstdVariant(blob)) {
    const z = zstdFooterOf(blob);
    return zstdDecompress(blob.subarray(z.offset, z.offset + z.length));
  }
  const footer = blob.subarray(blob.length - 51);
  const tocOffset = parseInt(footer.subarray(16, 32).toString('latin1'), 16);
  const tar = gunzipSync(blob.subarray(tocOffset, blob.length - 51));
  if (tar.subarray(0, 18).toString('latin1') !== 'stargz.index.json\0') throw new Error('no TOC entry in the TOC member');
  const size = parseInt(tar.subarray(124, 136).toString('latin1'), 8);
  return tar.subarray(512, 512 + size);
}

/** The TOC parsed, with the compressed offsets (which depend on the deflate bytes) removed. */
export function withoutOffsets(json: Buffer | string): unknown {
  const toc = JSON.parse(json.toString());
  for (const e of toc.entries ?? []) {
    delete e.offset;
    delete e.innerOffset;
  }
  return toc;
}

/** The TOC text with every offset value replaced by 0: equal texts = byte-identical serialization. */
export function offsetsZeroed(json: Buffer | string): string {
  return json.toString().replace(/"offset": [0-9]+/g, '"offset": 0');
}

const sha256 = (b: Uint8Array) => 'sha256:' + createHash('sha256').update(b).digest('hex');
const TOC_KEY = 'containerd.io/snapshot/stargz/toc.digest';
const SIZE_KEY = 'io.containers.estargz.uncompressed-size';
const CHECKSUM_KEY = 'io.containers.zstd-chunked.manifest-checksum';
const POSITION_KEY = 'io.containers.zstd-chunked.manifest-position';

/**
 * Checks a zstd eStargz blob's layer annotations against its bytes (spec §10): TOC digest, size of
 * the decompressed stream, TOC position and checksum — read with the zstd tool, not our reader.
 */
export function expectZstdAnnotationsTrue(blob: Buffer, a: Record<string, string>): void {
  const z = zstdFooterOf(blob);
  expect([z.type, z.magic]).toEqual([1, 'GnUlInUx']);
  const compressedToc = blob.subarray(z.offset, z.offset + z.length);
  // The skippable frame around the TOC (spec §10): magic and LE32 length just before the offset.
  expect([...blob.subarray(z.offset - 8, z.offset - 4)]).toEqual([0x50, 0x2a, 0x4d, 0x18]);
  expect(blob.readUInt32LE(z.offset - 4)).toBe(z.length);
  const json = zstdDecompress(compressedToc);
  expect(json.length).toBe(z.uncompressedLength);
  expect(a[TOC_KEY]).toBe(sha256(json));
  expect(a[CHECKSUM_KEY]).toBe(sha256(compressedToc));
  expect(a[POSITION_KEY]).toBe(`${z.offset}:${z.length}:${z.uncompressedLength}:1`);
  expect(a[SIZE_KEY]).toBe(String(zstdDecompress(blob).length));
}
