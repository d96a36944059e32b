import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { ByteSource } from '../../src/core/bytes/byte-source.ts';
import { fromBytes } from '../../src/core/bytes/memory-source.ts';
import { openImage } from '../../src/core/image/open-image.ts';
import { analyzeImage } from '../../src/core/analysis/analyze-image.ts';
import { ROOT } from '../helpers/cli.ts';
import { tarOf, file, dir } from '../helpers/tar-builder.ts';

/** "Data streams once": a counting source shows how many bytes opening + analysing really read. */
function counting(src: ByteSource): ByteSource & { read_: number } {
  const c = {
    name: src.name, size: src.size, read_: 0,
    async read(off: number, len: number, s?: AbortSignal) { const b = await src.read(off, len, s); c.read_ += b.length; return b; },
    async *stream(o = {}) { for await (const b of src.stream(o)) { c.read_ += b.length; yield b; } },
  };
  return c;
}

describe('each byte is read once', () => {
  it('a gzip lone layer: opening (which must tell layer from archive) is the analysis pass', async () => {
    const layer = gzipSync(tarOf(dir('a/'), ...Array.from({ length: 50 }, (_, i) => file(`a/f${i}`, 'x'.repeat(1000 + i)))));
    const src = counting(fromBytes(layer, 'layer.tar.gz'));
    const img = await openImage({ kind: 'file', source: src });
    const { report } = await analyzeImage(img);
    expect(report.layers[0].entries.file).toBe(50);
    expect(report.layers[0].diffIDCheck).toBe('unchecked');
    // the head and tail sniffs are re-reads of at most 2.5 KiB; the stream itself happens once
    expect(src.read_).toBeLessThan(layer.length + 2560 + 1);
  });

  it('an uncompressed docker-archive: headers are sought, each layer is streamed once', async () => {
    const tar = readFileSync(resolve(ROOT, '.cache/corpus/layered-docker-archive/image.tar'));
    const src = counting(fromBytes(tar, 'image.tar'));
    const img = await openImage({ kind: 'file', source: src });
    await analyzeImage(img, { contentHash: 'none' });
    const layerBytes = img.layers.reduce((s, l) => s + l.source.size, 0);
    expect(src.read_).toBeGreaterThanOrEqual(layerBytes);
    expect(src.read_ - layerBytes).toBeLessThan(1 << 20); // header walk + JSON: well under a MiB
  });
});
