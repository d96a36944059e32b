/**
 * Node-only references, measured in the same run as the engine cases: what Node's own zlib and
 * crypto do (which core cannot import), the raw libraries without our framing, and the
 * layer pipeline with node:crypto installed through setSha256Factory (what the CLI would do).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import type { BenchCase } from '../cases.ts';
import { SHARED_REFERENCE_CASES } from '../shared-reference-cases.ts';
import { decompress } from '../../src/core/compress/decompress.ts';
import { createSha256, setSha256Factory } from '../../src/core/digest/sha256.ts';

export const NODE_REFERENCE_CASES: BenchCase[] = [
  {
    name: 'ref: node zlib createGunzip', reference: 'gzip -dc', input: 'gz',
    async run(ctx) {
      const src = await ctx.open('gz');
      let n = 0;
      for await (const c of createReadStream(src.name, { highWaterMark: 1 << 20 }).pipe(createGunzip()) as AsyncIterable<Buffer>) n += c.length;
      return { bytes: n };
    },
  },
  ...SHARED_REFERENCE_CASES,
  {
    name: 'ref: node:crypto sha256 stream', reference: 'sha256sum', input: 'tar',
    async run(ctx) {
      const src = await ctx.open('tar');
      const h = createHash('sha256');
      let n = 0;
      for await (const c of src.stream()) {
        h.update(c);
        n += c.length;
      }
      return { bytes: n, check: 'sha256:' + h.digest('hex') };
    },
  },
  {
    name: 'layer pipeline gz, node:crypto via setSha256Factory', reference: 'tar -tzf', input: 'gz',
    async run(ctx) {
      setSha256Factory(() => {
        const h = createHash('sha256');
        return { update: (b) => void h.update(b), digest: () => `sha256:${h.digest('hex')}` };
      });
      try {
        const src = await ctx.open('gz');
        const stored = await createSha256();
        const diff = await createSha256();
        let n = 0;
        const storedChunks = async function* () {
          for await (const c of src.stream()) {
            stored.update(c);
            yield c;
          }
        };
        for await (const c of decompress(storedChunks(), 'gzip', { reopen: () => src.stream() })) {
          diff.update(c);
          n += c.length;
        }
        stored.digest();
        return { bytes: n, check: diff.digest() };
      } finally {
        setSha256Factory(undefined);
      }
    },
  },
];
