import { blake3Hex } from './blake3.ts';
import { sha256Hex } from './sha256.ts';

/** The digesters content-addressed chunks are named by (Nydus: spec nydus.md §3.2). */
export type ChunkDigester = 'blake3' | 'sha256';

/** Bare hex digest of one chunk, as Nydus stores it in chunk infos and blob.digest. */
export async function chunkDigestHex(data: Uint8Array, digester: ChunkDigester): Promise<string> {
  if (digester === 'sha256') return sha256Hex(data);
  return blake3Hex(data);
}
