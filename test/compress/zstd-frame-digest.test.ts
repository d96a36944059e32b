/**
 * `zstd-frame` jobs with `digest` (the zstd:chunked writer's one-frame chunks, spec
 * zstd-chunked.md §3 chunkDigest): the same frame as without, plus the input's sha256 — inline and
 * in Node worker threads.
 */
import { describe, it, expect, afterAll } from 'vitest';
import { createHash } from 'node:crypto';
import { nodeCompressionPool } from '../../src/cli/node-compression-pool.ts';
import { inlineCompressionPool } from '../../src/core/compress/compression-pool.ts';

const workers = nodeCompressionPool(1);
afterAll(() => workers.close());

describe('zstd-frame digest', () => {
  it('returns the sha256 of the input next to the same frame, inline and in a worker', async () => {
    const data = Uint8Array.from({ length: 70_000 }, (_, i) => (i * 31) & 0xff);
    const want = createHash('sha256').update(data).digest('hex');
    const plain = await inlineCompressionPool().run(data.slice(), { kind: 'zstd-frame', level: 3 });
    expect(plain.digest).toBeUndefined();
    for (const pool of [inlineCompressionPool(), workers]) {
      const r = await pool.run(data.slice(), { kind: 'zstd-frame', level: 3, digest: 'sha256' });
      expect(r.digest).toBe(want);
      expect(Buffer.from(r.data).equals(Buffer.from(plain.data))).toBe(true);
    }
  });
});
