/** Messages between the engine worker and its SHA-256 worker (./sha256.worker.ts). */
export type HashRequest =
  | { op: 'update'; id: number; buffer: ArrayBuffer; byteOffset: number; byteLength: number }
  | { op: 'digest'; id: number };

export interface HashReply {
  id: number;
  digest: string;
}
