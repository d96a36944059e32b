import type { ByteSource } from '../bytes/byte-source.ts';
import type { DirectorySource } from '../bytes/directory-source.ts';
import { LayerlabError } from '../errors.ts';
import { parseDigest, sha256Digest } from '../digest/sha256.ts';
import type { Digest } from '../digest/digest.ts';
import type { Descriptor } from './types.ts';

/** Manifests, indexes and configs are small; anything bigger than this is hostile or broken. */
export const MAX_JSON_BYTES = 64 << 20;

export async function readJsonSource<T>(src: ByteSource, what: string, signal?: AbortSignal): Promise<{ value: T; bytes: Uint8Array }> {
  if (src.size > MAX_JSON_BYTES) {
    throw new LayerlabError('TOO_LARGE', `${what} is ${src.size} bytes; a ${what} over ${MAX_JSON_BYTES} bytes is not plausible`, { file: src.name });
  }
  const bytes = await src.read(0, src.size, signal);
  let value: T;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as T;
  } catch (e) {
    throw new LayerlabError('BAD_JSON', `${what} is not valid JSON: ${(e as Error).message}`, { file: src.name }, { cause: e });
  }
  if (typeof value !== 'object' || value === null) {
    throw new LayerlabError('BAD_JSON', `${what} is not a JSON object`, { file: src.name });
  }
  return { value, bytes };
}

/** `blobs/<alg>/<hex>` of an OCI layout (image-layout.md "Blobs"); the digest is validated first, so it cannot name a path outside `blobs/`. */
export function blobPath(digest: Digest): string {
  const { algorithm, hex } = parseDigest(digest);
  return `blobs/${algorithm}/${hex}`;
}

/** Checks that a parsed descriptor has the fields descriptor.md requires. */
export function checkDescriptor(d: unknown, where: string, file: string): Descriptor {
  const o = d as Partial<Descriptor> | null;
  if (!o || typeof o !== 'object' || typeof o.digest !== 'string' || typeof o.size !== 'number' || !Number.isSafeInteger(o.size) || o.size < 0) {
    throw new LayerlabError('BAD_JSON', `${where} is not a valid descriptor (needs digest and a non-negative integer size)`, { file });
  }
  if (o.mediaType !== undefined && typeof o.mediaType !== 'string') {
    throw new LayerlabError('BAD_JSON', `${where} has a non-string mediaType`, { file });
  }
  parseDigest(o.digest, file);
  return o as Descriptor;
}

/**
 * Opens the blob a descriptor names in an OCI layout and checks its size. Returns the source and
 * where it lives. Missing → MISSING_BLOB; wrong size → SIZE_MISMATCH (always fatal for that blob:
 * the descriptor and the bytes disagree on what the blob is).
 */
export async function openBlob(dir: DirectorySource, d: Descriptor, what: string): Promise<{ source: ByteSource; path: string }> {
  const path = blobPath(d.digest);
  const source = await dir.open(path);
  if (!source) {
    throw new LayerlabError('MISSING_BLOB', `${what} ${d.digest} is missing: no ${path}`, { file: `${dir.name}/${path}` });
  }
  if (source.size !== d.size) {
    throw new LayerlabError('SIZE_MISMATCH', `${what} ${d.digest} is ${source.size} bytes, the descriptor says ${d.size}`, { file: `${dir.name}/${path}` });
  }
  return { source, path };
}

/** Reads a small JSON blob named by a descriptor and compares its sha256 with the digest. */
export async function readJsonBlob<T>(dir: DirectorySource, d: Descriptor, what: string, signal?: AbortSignal):
  Promise<{ value: T; bytes: Uint8Array; digestError?: LayerlabError }> {
  const { source, path } = await openBlob(dir, d, what);
  const { value, bytes } = await readJsonSource<T>(source, what, signal);
  const actual = await sha256Digest(bytes);
  const digestError = parseDigest(d.digest).algorithm === 'sha256' && actual !== d.digest
    ? new LayerlabError('DIGEST_MISMATCH', `${what} digest mismatch: descriptor says ${d.digest}, content is ${actual}`, { file: `${dir.name}/${path}` })
    : undefined;
  return { value, bytes, digestError };
}
