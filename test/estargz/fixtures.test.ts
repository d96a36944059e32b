/**
 * The reader against the reference's own output (../shared/fixtures/estargz, made by the Go
 * library): footer offsets, TOC bytes and digests, chunk counts from manifest.json; file bytes
 * from the input tars as Python's tarfile reads them.
 */
import { describe, it, expect } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { fromPath } from '../../src/cli/node-sources.ts';
import { openEstargz } from '../../src/core/formats/estargz/reader.ts';
import { detectLazyFormat } from './detect-lazy.ts';
import { openImage } from '../../src/core/image/open-image.ts';
import { analyzeImage } from '../../src/core/analysis/analyze-image.ts';
import { SHARED, run } from '../helpers/cli.ts';

const FIXTURES = resolve(SHARED, 'fixtures/estargz');

interface Output {
  input: string; file: string; toc_file: string; toc_digest: string; compression: string;
  toc_entries: number; verified_chunks: number; footer: { toc_offset: number };
  annotations: Record<string, string>;
}
const manifest = JSON.parse(readFileSync(resolve(FIXTURES, 'manifest.json'), 'utf8')) as { outputs: Output[] };
const gzipOutputs = manifest.outputs.filter((o) => o.compression === 'gzip');
const zstdOutputs = manifest.outputs.filter((o) => o.compression !== 'gzip');

/** name → [size, sha256 hex] of every regular file of an input tar, the last copy of a name winning. */
function inputFiles(tar: string): Map<string, [number, string]> {
  const py = `
import hashlib, json, sys, tarfile
out = {}
with tarfile.open(sys.argv[1]) as t:
    for m in t.getmembers():
        if m.isreg():
            out[m.name] = [m.size, hashlib.sha256(t.extractfile(m).read()).hexdigest()]
print(json.dumps(out))`;
  return new Map(Object.entries(JSON.parse(run('python3', ['-c', py, resolve(FIXTURES, 'inputs', `${tar}.tar`)]))));
}

const sha256Hex = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('eStargz fixtures of the reference', () => {
  it('the manifest lists gzip and zstd outputs', () => {
    expect(gzipOutputs.length).toBe(10);
    expect(zstdOutputs.length).toBe(3);
    expect(readdirSync(resolve(FIXTURES, 'outputs')).filter((f) => f.endsWith('.esgz')).length).toBe(gzipOutputs.length);
  });

  for (const o of gzipOutputs) {
    describe(o.file, () => {
      it('is detected from its tail: footer offset, TOC digest, entry and chunk counts', async () => {
        const d = await detectLazyFormat(await fromPath(resolve(FIXTURES, o.file)), { expectedTocDigest: o.toc_digest });
        expect(d).toMatchObject({
          format: 'estargz', footer: 'estargz', tocOffset: o.footer.toc_offset, tocDigest: o.toc_digest,
          entries: o.toc_entries, chunks: o.verified_chunks, tocDigestCheck: 'ok',
        });
      });

      it('its TOC is the stored JSON byte for byte, every chunk verifies, every file reads lazily', async () => {
        const r = await openEstargz(await fromPath(resolve(FIXTURES, o.file)), { tocDigest: o.annotations['containerd.io/snapshot/stargz/toc.digest'] });
        expect(r.footer.tocOffset).toBe(o.footer.toc_offset);
        expect(Buffer.from(r.tocJson).equals(readFileSync(resolve(FIXTURES, o.toc_file)))).toBe(true);
        expect('sha256:' + sha256Hex(r.tocJson)).toBe(o.toc_digest);
        expect(r.tocDigestCheck).toBe('ok');
        let progressCalls = 0;
        const v = await r.verifyChunks({ onProgress: () => { progressCalls++; } });
        expect(v.chunks).toBe(o.verified_chunks);
        expect(progressCalls).toBe(o.verified_chunks);
        const files = inputFiles(o.input);
        expect(files.size).toBeGreaterThan(5);
        for (const [name, [size, hex]] of files) {
          const bytes = await r.readFile(name);
          expect(bytes.length, name).toBe(size);
          expect(sha256Hex(bytes), name).toBe(hex);
        }
      });
    });
  }

  it('a byte range across a chunk boundary reads only what it asks for', async () => {
    const r = await openEstargz(await fromPath(resolve(FIXTURES, 'outputs/t1-basic.chunk4096.esgz')));
    const whole = await r.readFile('usr/bin/busybox');
    expect(whole.length).toBe(100000);
    expect(Buffer.from(await r.readFile('/usr/bin/busybox', { offset: 4000, length: 5000 })).equals(Buffer.from(whole.subarray(4000, 9000)))).toBe(true);
    expect(Buffer.from(await r.readFile('usr/bin/ash', { offset: 99990, length: 100 })).equals(Buffer.from(whole.subarray(99990)))).toBe(true);
  });

  it('shows the landmark and the prioritized files', async () => {
    const p = await openEstargz(await fromPath(resolve(FIXTURES, 'outputs/t1-basic.prioritized.esgz')));
    expect(p.landmark).toBe('prefetch');
    expect(p.prioritized).toEqual(['usr/', 'usr/bin/', 'usr/bin/sh', 'usr/bin/busybox', 'usr/bin/ash', 'etc/', 'etc/one']);
    expect((await openEstargz(await fromPath(resolve(FIXTURES, 'outputs/t1-basic.default.esgz')))).landmark).toBe('no-prefetch');
    const lossless = await openEstargz(await fromPath(resolve(FIXTURES, 'outputs/t1-basic.lossless.esgz')));
    expect(lossless.landmark).toBe('none');
    expect(lossless.prioritized).toEqual([]);
  });

  it('the zstd variant is eStargz with the zstd footer (zstd-fixtures.test.ts reads it); the plain input tars are not eStargz', async () => {
    for (const o of zstdOutputs) expect((await detectLazyFormat(await fromPath(resolve(FIXTURES, o.file))))?.footer, o.file).toBe('estargz-zstd');
    for (const t of ['t1-basic', 't2-paxbig', 't3-gnu']) expect(await detectLazyFormat(await fromPath(resolve(FIXTURES, `inputs/${t}.tar`))), t).toBeUndefined();
    await expect(openEstargz(await fromPath(resolve(FIXTURES, 'inputs/t1-basic.tar')))).rejects.toMatchObject({ code: 'UNKNOWN_FORMAT' });
  });

  it('the analysis reports a lone eStargz layer, and leaves a plain one alone', async () => {
    const src = await fromPath(resolve(FIXTURES, 'outputs/t1-basic.prioritized.esgz'));
    const { report } = await analyzeImage(await openImage({ kind: 'file', source: src }), { trees: false, contentHash: 'none' });
    const l = report.layers[0];
    expect(l.lazyFormat).toBe('estargz');
    expect(l.estargz).toEqual({
      footer: 'estargz', tocDigest: manifest.outputs.find((o) => o.file.endsWith('prioritized.esgz'))!.toc_digest, tocOffset: 22743,
      entries: 23, chunks: 8, prioritized: ['usr/', 'usr/bin/', 'usr/bin/sh', 'usr/bin/busybox', 'usr/bin/ash', 'etc/', 'etc/one'],
      landmark: 'prefetch', tocDigestCheck: 'unchecked',
    });
    const plain = await analyzeImage(await openImage({ kind: 'file', source: await fromPath(resolve(FIXTURES, 'inputs/t1-basic.tar')) }), { trees: false, contentHash: 'none' });
    expect(plain.report.layers[0].lazyFormat).toBeUndefined();
    expect(plain.report.layers[0].estargz).toBeUndefined();
  });
});
