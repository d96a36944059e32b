import { createBLAKE3 } from 'hash-wasm';
import type { Digest, StreamHasher } from './digest.ts';
import { blake3HexWasmSync, initBlake3Wasm } from '../wasm/blake3.ts';

/**
 * A streaming BLAKE3-256 (hash-wasm; ~800 MB/s in Chromium) whose `digest()` is `blake3:<hex>`.
 * Nydus names blobs and chunks by BLAKE3 (shared/spec/nydus.md); strip the prefix for its
 * bare-hex fields.
 */
export async function createBlake3(): Promise<StreamHasher> {
  const h = await createBLAKE3();
  return {
    update(bytes) {
      h.update(bytes);
    },
    digest() {
      return `blake3:${h.digest('hex')}` as Digest;
    },
  };
}

let simd: Promise<boolean> | undefined;
let oneShot: Awaited<ReturnType<typeof createBLAKE3>> | undefined;

/**
 * Hex BLAKE3-256 of a buffer in memory: Nydus chunk digests, a hot loop. Our AssemblyScript
 * BLAKE3 with wasm SIMD (wasm/assembly/blake3.ts: four chunks per v128 lane group; 2.3× hash-wasm
 * in Node, 2.9× in Chromium on 1 MiB chunks); where wasm SIMD is missing (browsers before
 * 2021–2023) hash-wasm's, one hasher per realm re-initialised per call — it instantiates a new
 * wasm instance (and memory) per `createBLAKE3()`, which per chunk costs more than the hashing.
 * Both are shared safely: a call runs start to finish without a pause.
 */
export async function blake3Hex(bytes: Uint8Array): Promise<string> {
  simd ??= initBlake3Wasm().then(() => true, () => false);
  if (await simd) return blake3HexWasmSync(bytes);
  oneShot ??= await createBLAKE3();
  oneShot.init();
  oneShot.update(bytes);
  return oneShot.digest('hex');
}
