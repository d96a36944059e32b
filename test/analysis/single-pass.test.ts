import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { fromBytes } from '../../src/core/bytes/memory-source.ts';
import { openImage } from '../../src/core/image/open-image.ts';
import { analyzeImage } from '../../src/core/analysis/analyze-image.ts';
import { ROOT } from '../helpers/cli.ts';
import { countingSource } from '../helpers/counting-source.ts';
import { tarOf, file, dir } from '../helpers/tar-builder.ts';


describe('each byte is read once', () => {
  it('a gzip lone layer: opening (which must tell layer from archive) is the analysis pass', async () => {
    const layer = gzipSync(tarOf(dir('a/'), ...Array.from({ length: 50 }, (_, i) => file(`a/f${i}`, 'x'.repeat(1000 + i)))));
    const src = countingSource(fromBytes(layer, 'layer.tar.gz'));
    const img = await openImage({ kind: 'file', source: src });
    const { report } = await analyzeImage(img);
    expect(report.layers[0].entries.file).toBe(50);
    expect(report.layers[0].diffIDCheck).toBe('unchecked');
    // the head and tail sniffs are re-reads of at most 2.5 KiB; the stream itself happens once
    expect(src.bytesRead).toBeLessThan(layer.length + 2560 + 1);
  });

  it('an uncompressed docker-archive: headers are sought, each layer is streamed once', async () => {
    const tar = readFileSync(resolve(ROOT, '.cache/corpus/layered-docker-archive/image.tar'));
    const src = countingSource(fromBytes(tar, 'image.tar'));
    const img = await openImage({ kind: 'file', source: src });
    await analyzeImage(img, { contentHash: 'none' });
    const layerBytes = img.layers.reduce((s, l) => s + l.source.size, 0);
    expect(src.bytesRead).toBeGreaterThanOrEqual(layerBytes);
    expect(src.bytesRead - layerBytes).toBeLessThan(1 << 20); // header walk + JSON: well under a MiB
  });
});
