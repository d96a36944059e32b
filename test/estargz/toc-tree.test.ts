import { describe, it, expect, beforeAll } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { layerlab, run } from '../helpers/cli.ts';
import { convert, corpusImage, expectTree } from '../convert/support.ts';
import { fromBytes } from '../../src/core/bytes/memory-source.ts';
import { openImage } from '../../src/core/image/open-image.ts';
import { analyzeImage } from '../../src/core/analysis/analyze-image.ts';
import { readLayerFile } from '../../src/core/analysis/read-file.ts';
import { countingSource } from '../helpers/counting-source.ts';

/**
 * An eStargz image's tree built from its TOCs (spec §4), without inflating the layers: the same
 * tree the tars give (the corpus' ground truth), file reads that fetch only their chunks, and
 * proof that no file data was inflated.
 */
let out: string;
let image: string;
beforeAll(() => {
  out = mkdtempSync(join(tmpdir(), 'layerlab-toc-'));
  image = join(out, 'layered.esgz.tar');
  convert(corpusImage('layered-oci'), '--to', 'estargz', '--level', '1', '-o', image);
});

describe('trees from TOCs', () => {
  it('ls --tsv --toc equals the corpus ground truth, but for what a TOC cannot hold', () => {
    const r = layerlab('ls', image, '--tsv', '--toc');
    expect(r.status, r.stderr).toBe(0);
    // Build mode adds the landmark file to every layer (spec §6). TOC names are JSON strings:
    // a name that is not UTF-8 reaches the TOC with U+FFFD in place of its bad bytes (Go's
    // encoder does that), so the one latin-1 name of the corpus comes back as such.
    const got = r.stdout.split('\n').filter((l) => !l.startsWith('.no.prefetch.landmark\t') && !l.startsWith('.prefetch.landmark\t'));
    const want = expectTree('layered-oci').split('\n').map((l) => l.replace('latin1-caf\\xe9.txt', 'latin1-caf\\xef\\xbf\\xbd.txt'));
    expect(got.sort()).toEqual(want.sort());
  });

  it('inspect --toc reports every layer as eStargz with its stored digest checked and its diffID left unchecked', () => {
    const r = layerlab('inspect', image, '--toc', '--report');
    expect(r.status, r.stderr).toBe(0);
    const rep = JSON.parse(r.stdout);
    for (const l of rep.layers) {
      expect(l.lazyFormat).toBe('estargz');
      expect(l.digestCheck).toBe('ok');
      expect(l.diffIDCheck).toBe('unchecked');
      expect(l.estargz.tocDigestCheck).toBe('ok');
    }
  });

  it('cat --toc gives the file the source image holds', () => {
    for (const path of ['etc/os-release', 'usr/bin/bash', 'srv/lab/hl/orig']) {
      const got = run('sh', ['-c', `'${join(process.cwd(), 'bin/layerlab')}' cat '${image}' '${path}' --toc | sha256sum`]);
      const want = run('sh', ['-c', `'${join(process.cwd(), 'bin/layerlab')}' cat '${corpusImage('layered-oci')}' '${path}' | sha256sum`]);
      expect(got).toBe(want);
    }
  });
});

describe('nothing is inflated', () => {
  it('a layer whose file data is damaged still lists completely from its TOC (the tar scan fails on it)', async () => {
    // A lone eStargz blob: the TOC near its end is intact, a member in the middle is not.
    const blob = join(out, 'lone.esgz');
    convert(join(corpusImage('layer-gzip')), '--to', 'estargz', '--lossless', '--chunk-size', '4096', '-o', blob);
    const bytes = new Uint8Array(readFileSync(blob));
    const toc = JSON.parse(run('sh', ['-c', `'${join(process.cwd(), 'bin/layerlab')}' estargz toc '${blob}'`]));
    const regs = toc.entries.filter((e: { type: string; size?: number }) => e.type === 'reg' && (e.size ?? 0) > 1000);
    const target = regs[Math.floor(regs.length / 2)];
    const damaged = bytes.slice();
    for (let i = 0; i < 64; i++) damaged[target.offset + 20 + i] ^= 0xff;
    writeFileSync(join(out, 'damaged.esgz'), damaged);

    const open = async () => openImage({ kind: 'file', source: fromBytes(damaged, 'damaged.esgz') }, { contentHash: 'sha256' }).catch(() => undefined);
    const viaTar = await open();
    const tarScan = viaTar && (await analyzeImage(viaTar, {})).report.layers[0];
    expect(viaTar === undefined || tarScan?.error !== undefined).toBe(true);

    const src = countingSource(fromBytes(damaged, 'damaged.esgz'));
    const img = { kind: 'layer' as const, name: src.name, size: src.size, platforms: [], problems: [],
      layers: [{ index: 0, digestIsClaim: false, source: src, path: src.name, descriptor: { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: '', size: src.size } }] };
    const r = await analyzeImage(img, { listFromIndex: true, contentHash: 'sha256' });
    const l = r.report.layers[0];
    expect(l.error).toBeUndefined();
    // Every regular file of the TOC but the whiteout markers (`.wh.*`, counted as markers).
    expect(l.entries.file).toBe(toc.entries.filter((e: { type: string; name: string }) => e.type === 'reg' && !/(^|\/)\.wh\./.test(e.name)).length);
    expect(l.whiteouts + l.opaqueDirs).toBe(toc.entries.filter((e: { type: string; name: string }) => e.type === 'reg' && /(^|\/)\.wh\./.test(e.name)).length);
    // Reading an intact file fetches its chunks only, and the damaged one is refused by its chunk digest.
    const intact = r.trees.merged.find((n) => n.type === 'file' && n.path !== cleanName(target.name) && n.size > 0 && n.size < 4096)!;
    const before = src.bytesRead;
    await readLayerFile(img, intact);
    expect(src.bytesRead - before).toBeLessThan(64 << 10);
    const hurt = r.trees.merged.find((n) => n.path === cleanName(target.name))!;
    await expect(readLayerFile(img, hurt)).rejects.toMatchObject({ code: expect.stringMatching(/BAD_COMPRESSION|DIGEST_MISMATCH|TRUNCATED/) });
  });
});

function cleanName(n: string): string {
  return n.replace(/^\.?\//, '').replace(/\/$/, '');
}
