import { createHash } from 'node:crypto';
import { setSha256Factory } from '../core/digest/sha256.ts';
import type { Digest } from '../core/digest/digest.ts';

/** The CLI hashes with Node's OpenSSL (SHA-NI), about 4× hash-wasm (bench/README.md). */
export function useNodeSha256(): void {
  setSha256Factory(() => {
    const h = createHash('sha256');
    return {
      update: (b) => { h.update(b); },
      digest: () => `sha256:${h.digest('hex')}` as Digest,
      peek: () => `sha256:${h.copy().digest('hex')}` as Digest,
    };
  });
}
