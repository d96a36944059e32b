import { LayerlabError, type ErrorContext } from '../../errors.ts';

/**
 * Decodes one raw LZ4 block (lz4 "Block format": sequences of token, literals, 2-byte offset,
 * match length; no frame, no size prefix), as nydus stores lz4_block chunks and CI arrays
 * (spec §3.3). The uncompressed size must be known: nydus takes it from the chunk record.
 * Small on purpose: no other code in layerlab reads LZ4.
 */
export function decodeLz4Block(src: Uint8Array, size: number, context: ErrorContext = {}): Uint8Array {
  const out = new Uint8Array(size);
  let ip = 0;
  let op = 0;
  const bad = (why: string) => new LayerlabError('BAD_COMPRESSION', `lz4 block: ${why}`, { ...context, offset: (context.offset ?? 0) + ip, offsetSpace: 'file' });
  while (ip < src.length) {
    const token = src[ip++];
    let lit = token >> 4;
    if (lit === 15) {
      let b: number;
      do { if (ip >= src.length) throw bad('literal length runs past the end'); b = src[ip++]; lit += b; } while (b === 255);
    }
    if (ip + lit > src.length || op + lit > size) throw bad('literals run past the end');
    out.set(src.subarray(ip, ip + lit), op);
    ip += lit;
    op += lit;
    if (ip >= src.length) break; // the last sequence has literals only
    if (ip + 2 > src.length) throw bad('match offset runs past the end');
    const dist = src[ip] | (src[ip + 1] << 8);
    ip += 2;
    if (dist === 0 || dist > op) throw bad(`match offset ${dist} outside the output`);
    let len = (token & 15) + 4;
    if ((token & 15) === 15) {
      let b: number;
      do { if (ip >= src.length) throw bad('match length runs past the end'); b = src[ip++]; len += b; } while (b === 255);
    }
    if (op + len > size) throw bad('output longer than the stated size');
    for (let i = 0; i < len; i++, op++) out[op] = out[op - dist]; // overlapping copies repeat bytes
  }
  if (op !== size) throw bad(`decoded ${op} bytes, expected ${size}`);
  return out;
}
