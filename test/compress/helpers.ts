import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LayerlabError } from '../../src/core/errors.ts';

export const FIXTURES = '/work/shared/fixtures';

/** `bytes` as a source: chunks of the given sizes in turn (the last size repeats). */
export async function* chunked(bytes: Uint8Array, sizes: number | number[] = 1 << 20): AsyncGenerator<Uint8Array> {
  const s = Array.isArray(sizes) ? sizes : [sizes];
  let k = 0;
  for (let p = 0; p < bytes.length;) {
    const n = s[Math.min(k++, s.length - 1)];
    yield bytes.subarray(p, p + n);
    p += n;
  }
}

/** Everything an async iterable yields, joined. */
export async function collect(it: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const c of it) parts.push(c);
  return Buffer.concat(parts);
}

/** The error an async iterable ends with, and how many bytes came before it. */
export async function failure(it: AsyncIterable<Uint8Array>): Promise<{ error: LayerlabError; delivered: number }> {
  let delivered = 0;
  try {
    for await (const c of it) delivered += c.length;
  } catch (e) {
    if (!(e instanceof LayerlabError)) throw e;
    return { error: e, delivered };
  }
  throw new Error(`expected an error, got a complete stream of ${delivered} bytes`);
}

export function sha256(b: Uint8Array): string {
  return 'sha256:' + createHash('sha256').update(b).digest('hex');
}

/** Runs a CLI (gzip, zstd) on stdin, returning stdout. */
export function cli(cmd: string, args: string[], input?: Uint8Array): Buffer {
  return execFileSync(cmd, args, { input, maxBuffer: 1 << 30 });
}

/** Writes `bytes` to a temp file, runs `f(path)`, removes it. */
export function withTempFile<T>(bytes: Uint8Array, name: string, f: (path: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'layerlab-compress-'));
  try {
    const p = join(dir, name);
    writeFileSync(p, bytes);
    return f(p);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Real, compressible content: text and binaries from the system, deterministic per size. */
export function realContent(size: number, seed = 0): Uint8Array {
  const pool = [
    '/usr/share/common-licenses/GPL-3', '/usr/share/common-licenses/Apache-2.0', '/usr/bin/tar', '/usr/bin/gzip',
    '/etc/services',
  ].flatMap((p) => {
    try {
      return [readFileSync(p)];
    } catch {
      return [];
    }
  });
  const out = new Uint8Array(size);
  let p = 0;
  for (let k = seed; p < size; k++) {
    const src = pool[k % pool.length];
    const n = Math.min(src.length, size - p);
    out.set(src.subarray(0, n), p);
    p += n;
  }
  return out;
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  return Buffer.concat(parts);
}
