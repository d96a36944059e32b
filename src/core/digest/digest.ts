/** `algorithm:hex`, e.g. `sha256:e3b0…`. A branded string so a random string is not a digest. */
export type Digest = string & { readonly __digest?: never };

export interface StreamHasher {
  update(bytes: Uint8Array): void;
  /** `sha256:<hex>`; the hasher cannot be used after this. */
  digest(): Digest;
}
