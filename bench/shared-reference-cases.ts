/**
 * References that run the same in Node and Chromium: the raw native DecompressionStream and raw
 * fflate, without our framing, so the cost of the engine's gunzip can be read off the same run.
 */
import { Gunzip } from 'fflate';
import type { BenchCase } from './cases.ts';

export const SHARED_REFERENCE_CASES: BenchCase[] = [
  {
    name: 'ref: DecompressionStream gzip, raw', reference: 'gzip -dc', input: 'gz',
    async run(ctx) {
      const src = await ctx.open('gz');
      const it = src.stream()[Symbol.asyncIterator]();
      const rs = new ReadableStream<Uint8Array>({
        async pull(c) {
          const r = await it.next();
          if (r.done) c.close();
          else c.enqueue(r.value);
        },
      });
      const out = rs.pipeThrough(new DecompressionStream('gzip') as unknown as TransformStream<Uint8Array, Uint8Array>).getReader();
      let n = 0;
      for (;;) {
        const r = await out.read();
        if (r.done) break;
        n += r.value.length;
      }
      return { bytes: n };
    },
  },
  {
    name: 'ref: fflate Gunzip raw, 1 MiB pushes (no CRC)', reference: 'gzip -dc', input: 'gz',
    async run(ctx) {
      const src = await ctx.open('gz');
      let n = 0;
      const g = new Gunzip((d) => void (n += d.length));
      for await (const c of src.stream({ chunkSize: 1 << 20 })) g.push(c, false);
      g.push(new Uint8Array(0), true);
      return { bytes: n };
    },
  },
];
