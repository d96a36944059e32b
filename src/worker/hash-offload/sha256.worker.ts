/// <reference lib="webworker" />
/**
 * The other core's half of a layer scan: SHA-256 of the stored and the uncompressed stream, while
 * the engine worker decompresses and parses. Messages arrive in order per port, so updates and
 * the final digest need no sequencing of their own.
 */
import { createSha256 } from '../../core/digest/sha256.ts';
import type { StreamHasher } from '../../core/digest/digest.ts';
import type { HashRequest, HashReply } from './protocol.ts';

const hashers = new Map<number, StreamHasher | Promise<StreamHasher>>();

async function hasher(id: number): Promise<StreamHasher> {
  let h = hashers.get(id);
  if (!h) hashers.set(id, h = createSha256());
  return h;
}

// Each message is handled in arrival order: the chain keeps a slow first createSha256() from
// letting a later update overtake an earlier one.
let chain: Promise<void> = Promise.resolve();
self.onmessage = (ev: MessageEvent<HashRequest>) => {
  const m = ev.data;
  chain = chain.then(async () => {
    const h = await hasher(m.id);
    if (m.op === 'update') {
      h.update(new Uint8Array(m.buffer, m.byteOffset, m.byteLength));
    } else {
      hashers.delete(m.id);
      const reply: HashReply = { id: m.id, digest: h.digest() };
      self.postMessage(reply);
    }
  });
};
