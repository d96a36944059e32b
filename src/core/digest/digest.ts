/** `algorithm:hex`, e.g. `sha256:e3b0…`. A branded string so a random string is not a digest. */
export type Digest = string & { readonly __digest?: never };

export interface StreamHasher {
  update(bytes: Uint8Array): void;
  /** `sha256:<hex>`; the hasher cannot be used after this. */
  digest(): Digest;
  /**
   * The digest of what was hashed so far, the hasher going on (a prefix's digest for free:
   * Nydus' image.blob is a prefix of the layer stream). Optional: callers fall back to a
   * second hasher.
   */
  peek?(): Digest;
}

/**
 * A SHA-256 that may run elsewhere (another worker): `update` hands the bytes over — with
 * `disposable` the caller promises never to touch them again, so they can be transferred instead
 * of copied — and `digest` resolves once every update has been hashed.
 */
export interface OffloadedHasher {
  update(bytes: Uint8Array, disposable?: boolean): void;
  digest(): Promise<Digest>;
}

/** Makes the two streaming hashers of a layer scan (stored digest, diffID). */
export type LayerHasherFactory = () => Promise<OffloadedHasher>;

/** The outcome of checking a digest against a claim: no claim to check against is `unchecked`. */
export type Verification = 'ok' | 'mismatch' | 'unchecked';
