/**
 * Reading one small file from a ≥ 100 MB Nydus image fetches only its chunks: a counting byte
 * source under the whole OCI archive proves that open + analysis (without the blob digest pass)
 * + the read take under 1 % of the image's blob bytes, and that after a full analysis the read
 * alone is a few KiB.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { closeSync, mkdirSync, mkdtempSync, openSync, renameSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { layerlab } from '../helpers/cli.ts';
import { countingSource } from '../helpers/counting-source.ts';
import { fromPath } from '../../src/cli/node-sources.ts';
import { openImage } from '../../src/core/image/open-image.ts';
import { analyzeImage } from '../../src/core/analysis/analyze-image.ts';
import { readLayerFile } from '../../src/core/analysis/read-file.ts';
import { file, dir as tarDir, END, padded, header } from '../helpers/tar-builder.ts';

const BIG = 24 << 20; // 5 × 24 MiB of random bytes = 120 MiB
let out: string;
let blobBytes = 0;
const small = 'etc/small.txt';
const smallText = 'just a few bytes\n';

/** An OCI layout with one uncompressed layer: five incompressible files and one small one. */
function writeSourceImage(root: string): void {
  mkdirSync(join(root, 'blobs/sha256'), { recursive: true });
  const tmpTar = join(root, 'layer.tar');
  const fd = openSync(tmpTar, 'w');
  const h = createHash('sha256');
  const put = (b: Uint8Array) => { writeSync(fd, b); h.update(b); };
  put(tarDir('etc/'));
  put(file(small, smallText));
  put(tarDir('data/'));
  for (let i = 0; i < 5; i++) {
    put(header({ name: `data/random-${i}.bin`, size: BIG }, BIG));
    put(padded(randomBytes(BIG)));
  }
  put(END);
  closeSync(fd);
  const layerDigest = h.digest('hex');
  const size = statSync(tmpTar).size;
  renameSync(tmpTar, join(root, 'blobs/sha256', layerDigest));
  const blob = (obj: unknown) => {
    const b = Buffer.from(JSON.stringify(obj));
    const d = createHash('sha256').update(b).digest('hex');
    writeFileSync(join(root, 'blobs/sha256', d), b);
    return { digest: `sha256:${d}`, size: b.length };
  };
  const config = blob({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [`sha256:${layerDigest}`] }, history: [{ created_by: 'test' }] });
  const manifest = blob({
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: `sha256:${layerDigest}`, size }],
  });
  writeFileSync(join(root, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest }] }));
  writeFileSync(join(root, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
}

beforeAll(async () => {
  out = mkdtempSync(join(tmpdir(), 'layerlab-nydus-lazy-'));
  writeSourceImage(join(out, 'src'));
  const r = layerlab('convert', join(out, 'src'), '--to', 'nydus', '-o', join(out, 'nydus.tar'));
  expect(r.status, r.stderr).toBe(0);
  const img = await openImage({ kind: 'file', source: await fromPath(join(out, 'nydus.tar')) });
  blobBytes = img.layers.slice(0, -1).reduce((s, l) => s + l.source.size, 0);
  expect(blobBytes).toBeGreaterThan(100e6);
}, 300_000);

describe('lazy reads from a big Nydus image', () => {
  it('open + analysis without the digest pass + one small read take < 1 % of the blob bytes', async () => {
    const src = countingSource(await fromPath(join(out, 'nydus.tar')));
    const img = await openImage({ kind: 'file', source: src });
    const { trees, report } = await analyzeImage(img, { blobDigests: false, contentHash: 'none' });
    expect(report.nydus?.input).toBe('image');
    expect(report.layers[0].lazyFormat).toBe('nydus');
    const node = trees.merged.find((n) => n.path === small)!;
    expect(node.content?.bootstrap).toBe(report.layers.length - 1);
    const bytes = await readLayerFile(img, node);
    expect(new TextDecoder().decode(bytes)).toBe(smallText);
    expect(src.bytesRead / blobBytes).toBeLessThan(0.01);
  }, 120_000);

  it('after a full analysis, reading the file (and a range of a big one) fetches only their chunks', async () => {
    const src = countingSource(await fromPath(join(out, 'nydus.tar')));
    const img = await openImage({ kind: 'file', source: src });
    const { trees, report } = await analyzeImage(img);
    expect(report.layers.slice(0, -1).every((l) => l.digestCheck === 'ok')).toBe(true);
    expect(src.bytesRead).toBeGreaterThan(blobBytes); // every blob hashed once
    const before = src.bytesRead;
    const node = trees.merged.find((n) => n.path === small)!;
    expect(new TextDecoder().decode(await readLayerFile(img, node))).toBe(smallText);
    const big = trees.merged.find((n) => n.path === 'data/random-3.bin')!;
    const part = await readLayerFile(img, big, { offset: 5 << 20, length: 1000 });
    expect(part.length).toBe(1000);
    // One 1 MiB chunk (random data does not compress) plus the small file's chunk.
    expect(src.bytesRead - before).toBeLessThan(3 << 20);
    expect((src.bytesRead - before) / blobBytes).toBeLessThan(0.01);
  }, 180_000);
});
