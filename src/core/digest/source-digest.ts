import type { ByteSource } from '../bytes/byte-source.ts';
import type { Digest, LayerHasherFactory, OffloadedHasher } from './digest.ts';
import { createSha256 } from './sha256.ts';

/** The default LayerHasherFactory: the one SHA-256 helper, right here, synchronously. */
export async function localHasher(): Promise<OffloadedHasher> {
  const h = await createSha256();
  return { update: (b) => h.update(b), digest: async () => h.digest() };
}

/**
 * sha256 of a blob as stored, read front to back and never decompressed (a Nydus blob, an
 * eStargz blob listed from its TOC, a layer copied unchanged). `onBytes` gets the bytes read so far.
 */
export async function sourceDigest(src: ByteSource, o: { signal?: AbortSignal; hasher?: LayerHasherFactory; onBytes?(n: number): void } = {}): Promise<Digest> {
  const h = await (o.hasher ?? localHasher)();
  let n = 0;
  for await (const c of src.stream({ signal: o.signal })) {
    h.update(c);
    n += c.length;
    o.onBytes?.(n);
  }
  return h.digest();
}
