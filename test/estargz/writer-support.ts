/** Shared bits of the eStargz writer tests: run the writer into memory, read TOCs independently. */
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

/** The TOC JSON bytes of a blob, read with node:zlib from the footer's offset (not our reader). */
export function tocJsonOf(blob: Buffer): Buffer {
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
