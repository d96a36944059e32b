/**
 * One-shot BLAKE3-256 through layerlab's own SIMD module (wasm/assembly/blake3.ts: four chunks
 * per step in v128 lanes; ~2.3× hash-wasm's scalar BLAKE3 on 1 MiB inputs). Made for hashing
 * Nydus chunks in a hot loop:
 *
 *   await initBlake3Wasm();             // once per realm (worker, page, Node process)
 *   const hex = blake3HexWasmSync(bytes);
 *
 * or `await blake3HexWasm(bytes)`, which initialises on first use. One instance per realm with
 * module-global state: a call runs from start to end without a pause, so calls cannot interleave.
 * Input of any size goes through the module's fixed 1 MiB buffer in pieces, so its memory stays
 * at ~1.1 MiB whatever the input size. Needs WebAssembly SIMD (Chrome 91, Firefox 89, Safari
 * 16.4, Node 16.4): `initBlake3Wasm()` rejects where the module does not compile.
 */
import { LayerlabError } from '../errors.ts';
import { loadWasm } from './load.ts';
import { toHex } from '../bytes/hex.ts';

interface Blake3Exports {
  memory: WebAssembly.Memory;
  bufferPointer(): number;
  bufferSize(): number;
  reset(): void;
  /** A positive multiple of 1024 bytes at bufferPointer(), never the end of the input; 0 = ok. */
  update(len: number): number;
  /** The final len bytes (0 only for the empty input); pointer to the 32-byte digest, 0 = bad len. */
  finish(len: number): number;
}

let exports: Blake3Exports | undefined;
let ready: Promise<void> | undefined;

/** Loads the module (once; a failed load can be retried). */
export function initBlake3Wasm(): Promise<void> {
  ready ??= loadWasm('blake3', new URL('../../wasm-build/blake3.wasm', import.meta.url)).then(
    (inst) => {
      exports = inst.exports as unknown as Blake3Exports;
    },
    (e: unknown) => {
      ready = undefined;
      throw e;
    },
  );
  return ready;
}

/**
 * The 32-byte BLAKE3-256 digest of `bytes` (a fresh array). Requires `initBlake3Wasm()` to have
 * resolved. `pieceBytes` (tests only) streams the input through the buffer in pieces of that
 * size: a positive multiple of 1024 up to the buffer size (1 MiB, the default).
 */
export function blake3Wasm(bytes: Uint8Array, pieceBytes?: number): Uint8Array {
  const x = exports;
  if (!x) throw new LayerlabError('INTERNAL', 'blake3 wasm used before initBlake3Wasm() resolved');
  const size = x.bufferSize();
  const piece = pieceBytes ?? size;
  if (!(piece > 0 && piece <= size && piece % 1024 === 0)) throw new LayerlabError('INTERNAL', `blake3 wasm: bad piece size ${piece}`);
  const ptr = x.bufferPointer();
  // The module never allocates, so its memory never grows and this view stays attached.
  const mem = new Uint8Array(x.memory.buffer);
  x.reset();
  let p = 0;
  // Only pieces with input after them go to update(): the last chunk may be the root.
  while (bytes.length - p > piece) {
    mem.set(bytes.subarray(p, p + piece), ptr);
    if (x.update(piece) !== 0) throw new LayerlabError('INTERNAL', 'blake3 wasm: update refused its input');
    p += piece;
  }
  mem.set(bytes.subarray(p), ptr);
  const out = x.finish(bytes.length - p);
  if (out === 0) throw new LayerlabError('INTERNAL', 'blake3 wasm: finish refused its input');
  return mem.slice(out, out + 32);
}

/** Hex BLAKE3-256 of `bytes`; requires `initBlake3Wasm()` to have resolved. */
export function blake3HexWasmSync(bytes: Uint8Array): string {
  return toHex(blake3Wasm(bytes));
}

/** Hex BLAKE3-256 of `bytes`, loading the module on first use. */
export async function blake3HexWasm(bytes: Uint8Array): Promise<string> {
  if (!exports) await initBlake3Wasm();
  return blake3HexWasmSync(bytes);
}
