/**
 * CRC-64/ISO in WebAssembly (wasm/assembly/crc64.ts: slicing-by-8 on i64, the checksum tar-split
 * records per file, spec zstd-chunked.md §4). Used by Crc64Iso (core/formats/zstd-chunked/
 * crc64.ts) once `initCrc64Wasm()` has resolved in the realm; the JS table loop stays the
 * fallback and the test oracle. Stateless between calls: the running value is passed in and out.
 */
import { LayerlabError } from '../errors.ts';
import { lazyWasm } from './load.ts';

interface Crc64Exports {
  memory: WebAssembly.Memory;
  bufferPointer(): number;
  bufferSize(): number;
  /** Running (un-inverted) value after IN[0, len). */
  update(crc: bigint, len: number): bigint;
}

const mod = lazyWasm<Crc64Exports>('crc64', new URL('../../wasm-build/crc64.wasm', import.meta.url));

/** Loads the module (once; a failed load can be retried). */
export async function initCrc64Wasm(): Promise<void> {
  await mod.init();
}

/** Whether crc64UpdateWasm can be called. */
export function crc64WasmReady(): boolean {
  return mod.get() !== undefined;
}

/** The running CRC-64/ISO value (un-inverted, as 64-bit unsigned) after `data`. */
export function crc64UpdateWasm(crc: bigint, data: Uint8Array): bigint {
  const x = mod.get();
  if (!x) throw new LayerlabError('INTERNAL', 'crc64 wasm used before initCrc64Wasm() resolved');
  const size = x.bufferSize();
  const ptr = x.bufferPointer();
  // The module never allocates, so its memory never grows and this view stays attached.
  const mem = new Uint8Array(x.memory.buffer);
  let c = crc;
  for (let at = 0; at < data.length; at += size) {
    const piece = data.subarray(at, at + size);
    mem.set(piece, ptr);
    c = BigInt.asUintN(64, x.update(c, piece.length));
  }
  return c;
}
