/**
 * Chromium-only references measured in the same worker and run: the raw native
 * DecompressionStream and fflate without our framing, WebCrypto's one-shot SHA-256, and
 * CompressionStream for the encoder choice.
 */
import type { BenchCase } from '../cases.ts';
import { SHARED_REFERENCE_CASES } from '../shared-reference-cases.ts';

export const CHROMIUM_REFERENCE_CASES: BenchCase[] = [
  ...SHARED_REFERENCE_CASES,
  {
    name: 'ref: WebCrypto sha256 one-shot (digest call only)', reference: 'sha256sum 64m', input: 'tar-64m',
    async run(ctx) {
      const src = await ctx.open('tar-64m');
      const all = await src.read(0, src.size);
      const t = performance.now();
      await crypto.subtle.digest('SHA-256', all as Uint8Array<ArrayBuffer>);
      // Only the digest is compared, not loading the 64 MiB it needs in memory first.
      return { bytes: src.size, ms: performance.now() - t };
    },
  },
  {
    name: 'ref: CompressionStream gzip (no level)', reference: 'gzip -6', input: 'tar-64m', runs: 1,
    async run(ctx) {
      const src = await ctx.open('tar-64m');
      const it = src.stream({ chunkSize: 1 << 20 })[Symbol.asyncIterator]();
      const rs = new ReadableStream<Uint8Array>({
        async pull(c) {
          const r = await it.next();
          if (r.done) c.close();
          else c.enqueue(r.value);
        },
      });
      const out = rs.pipeThrough(new CompressionStream('gzip') as unknown as TransformStream<Uint8Array, Uint8Array>).getReader();
      let n = 0;
      for (;;) {
        const r = await out.read();
        if (r.done) break;
        n += r.value.length;
      }
      return { bytes: src.size, extra: { ratio: +(n / src.size).toFixed(3) } };
    },
  },
];
