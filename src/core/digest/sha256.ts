import { createSHA256 } from 'hash-wasm';
import { LayerlabError } from '../errors.ts';
import type { Digest, StreamHasher } from './digest.ts';
import { toHex } from '../bytes/hex.ts';

/**
 * SHA-256, the digest of everything OCI (image-spec descriptor.md "Digests").
 *
 * Streaming: hash-wasm (wasm; ~400 MB/s in Chromium and Node). WebCrypto has no streaming API.
 * Node's own crypto is ~4× faster, and the CLI hashes every layer twice (stored and diffID), so
 * it can install it with `setSha256Factory` (core cannot import `node:`; bench/README.md has the
 * numbers). One-shot (`sha256Digest`) uses WebCrypto where it exists (~1 GB/s; absent outside
 * secure contexts, so hash-wasm remains the fallback).
 */

export type Sha256Factory = () => StreamHasher;

let factory: Sha256Factory | undefined;

/** Installs a faster streaming SHA-256 (the CLI: node:crypto). `undefined` restores hash-wasm. */
export function setSha256Factory(f: Sha256Factory | undefined): void {
  factory = f;
}

/** A streaming SHA-256 whose `digest()` is `sha256:<hex>`. */
export async function createSha256(): Promise<StreamHasher> {
  if (factory) return factory();
  const h = await createSHA256(); // hash-wasm compiles its module once and caches it
  return {
    update(bytes) {
      h.update(bytes);
    },
    digest() {
      return `sha256:${h.digest('hex')}` as Digest;
    },
    peek() {
      // hash-wasm's state can be saved and restored: finish a copy, keep the original going.
      const state = h.save();
      const d = `sha256:${h.digest('hex')}` as Digest;
      h.load(state);
      return d;
    },
  };
}

/** Hex SHA-256 of a buffer held in memory (JSON blobs, configs, small files). */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const subtle = globalThis.crypto?.subtle;
  if (subtle) {
    try {
      return toHex(new Uint8Array(await subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>)));
    } catch {
      // e.g. a view on a SharedArrayBuffer, which WebCrypto refuses: fall through
    }
  }
  const h = await createSha256();
  h.update(bytes);
  return h.digest().slice('sha256:'.length);
}

/** `sha256:<hex>` of a buffer held in memory. */
export async function sha256Digest(bytes: Uint8Array): Promise<Digest> {
  return `sha256:${await sha256Hex(bytes)}` as Digest;
}

export type DigestAlgorithm = 'sha256' | 'sha512';

/** A digest taken apart. */
export interface ParsedDigest {
  algorithm: DigestAlgorithm;
  hex: string;
  digest: Digest;
}

const ENCODED_LENGTH: Record<DigestAlgorithm, number> = { sha256: 64, sha512: 128 };

/**
 * Validates `algorithm:encoded` against the registered algorithms of image-spec descriptor.md:
 * sha256 (64) and sha512 (128) lowercase hex. Anything else is BAD_JSON (it comes from a manifest,
 * index or config) — and since the result names a path (`blobs/<alg>/<hex>`), nothing that
 * could escape that folder gets through.
 */
export function parseDigest(s: unknown, file?: string): ParsedDigest {
  if (typeof s === 'string') {
    const i = s.indexOf(':');
    const algorithm = s.slice(0, i) as DigestAlgorithm;
    const hex = s.slice(i + 1);
    const len = i > 0 && Object.hasOwn(ENCODED_LENGTH, algorithm) ? ENCODED_LENGTH[algorithm] : 0;
    if (len && hex.length === len && /^[0-9a-f]+$/.test(hex)) return { algorithm, hex, digest: s as Digest };
  }
  const shown = typeof s === 'string' ? JSON.stringify(s.length > 80 ? s.slice(0, 80) + '…' : s) : String(s);
  throw new LayerlabError('BAD_JSON', `${shown} is not a valid digest (expected sha256:<64 hex> or sha512:<128 hex>)`, file !== undefined ? { file } : {});
}

