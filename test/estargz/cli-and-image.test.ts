/**
 * eStargz through the CLI and inside an image: `layerlab estargz toc|verify|cat` on a fixture
 * blob and on an OCI layout, and the analysis checking the `toc.digest` annotation.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { openImage } from '../../src/core/image/open-image.ts';
import { analyzeImage } from '../../src/core/analysis/analyze-image.ts';
import { directoryFromPath } from '../../src/cli/node-sources.ts';
import { SHARED, layerlab, run } from '../helpers/cli.ts';

const FIXTURES = resolve(SHARED, 'fixtures/estargz');
const manifest = JSON.parse(readFileSync(resolve(FIXTURES, 'manifest.json'), 'utf8')) as { outputs: { file: string; toc_digest: string; diff_id: string; toc_file: string; sha256: string; size: number }[] };
const out = (name: string) => manifest.outputs.find((o) => o.file === `outputs/${name}`)!;
const blobPath = (name: string) => resolve(FIXTURES, 'outputs', name);
const TOC_KEY = 'containerd.io/snapshot/stargz/toc.digest';

let layout: string;

/** An OCI layout of two eStargz layers: the first annotated correctly, the second with a wrong TOC digest. */
beforeAll(() => {
  layout = mkdtempSync(join(tmpdir(), 'layerlab-estargz-'));
  mkdirSync(join(layout, 'blobs/sha256'), { recursive: true });
  const put = (bytes: Buffer) => {
    const hex = createHash('sha256').update(bytes).digest('hex');
    writeFileSync(join(layout, 'blobs/sha256', hex), bytes);
    return { digest: `sha256:${hex}`, size: bytes.length };
  };
  const a = out('t1-basic.default.esgz');
  const b = out('t1-basic.lossless.esgz');
  for (const o of [a, b]) put(readFileSync(resolve(FIXTURES, o.file)));
  const config = put(Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [a.diff_id, b.diff_id] } })));
  const layer = (o: typeof a, toc: string) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: o.sha256, size: o.size, annotations: { [TOC_KEY]: toc } });
  const m = put(Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
    layers: [layer(a, a.toc_digest), layer(b, a.toc_digest)],
  })));
  writeFileSync(join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(join(layout, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...m }] }));
});
afterAll(() => rmSync(layout, { recursive: true, force: true }));

describe('the analysis of an image with eStargz layers', () => {
  it('checks each layer TOC against its toc.digest annotation', async () => {
    const { report } = await analyzeImage(await openImage({ kind: 'directory', dir: directoryFromPath(layout) }), { trees: false, contentHash: 'none' });
    expect(report.layers.map((l) => [l.lazyFormat, l.estargz?.tocDigestCheck, l.digestCheck, l.diffIDCheck])).toEqual([
      ['estargz', 'ok', 'ok', 'ok'], ['estargz', 'mismatch', 'ok', 'ok'],
    ]);
    const p = report.problems.find((x) => x.code === 'DIGEST_MISMATCH');
    expect(p?.context).toMatchObject({ layer: 1, offset: report.layers[1].estargz!.tocOffset, offsetSpace: 'compressed' });
  });

  it('inspect --json is unchanged; --report and the text show the eStargz facts', () => {
    const json = JSON.parse(layerlab('inspect', '--json', layout).stdout);
    expect(Object.keys(json.layers[0])).toEqual(['digest', 'mediaType', 'size', 'diffID', 'format', 'entries', 'fileBytes', 'whiteouts', 'opaqueDirs', 'wastedBytes']);
    const report = JSON.parse(layerlab('inspect', '--report', layout).stdout);
    expect(report.layers[0].estargz.tocDigest).toBe(out('t1-basic.default.esgz').toc_digest);
    const text = layerlab('inspect', layout).stdout;
    expect(text).toMatch(/eStargz: TOC sha256:d1d12d14a372 at 22732, 23 entries, 8 chunks, no-prefetch landmark, TOC digest ok/);
    expect(text).toMatch(/TOC digest mismatch/);
  });
});

describe('layerlab estargz', () => {
  it('toc prints the TOC JSON as stored', () => {
    const r = layerlab('estargz', 'toc', blobPath('t2-paxbig.lossless.esgz'));
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(readFileSync(resolve(FIXTURES, out('t2-paxbig.lossless.esgz').toc_file), 'utf8'));
  });

  it('verify checks the TOC digest and every chunk; exit 1 on a mismatch', () => {
    const o = out('t2-paxbig.default.esgz');
    const ok = layerlab('estargz', 'verify', blobPath('t2-paxbig.default.esgz'), '--toc-digest', o.toc_digest);
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/OK: 9 chunk\(s\) verified/);
    const bad = layerlab('estargz', 'verify', blobPath('t2-paxbig.default.esgz'), '--toc-digest', 'sha256:' + 'a'.repeat(64));
    expect(bad.status).toBe(1);
    expect(bad.stdout).toMatch(/FAILED: TOC digest mismatch/);
  });

  it('cat reads one file lazily, also from a layer of an image', () => {
    const expected = run('tar', ['-xOf', resolve(FIXTURES, 'inputs/t1-basic.tar'), 'usr/bin/busybox']);
    expect(layerlab('estargz', 'cat', blobPath('t1-basic.chunk4096.esgz'), 'usr/bin/busybox').stdout).toBe(expected);
    expect(layerlab('estargz', 'cat', layout, '/usr/bin/busybox', '--layer', '0').stdout).toBe(expected);
    expect(layerlab('estargz', 'cat', blobPath('t1-basic.chunk4096.esgz'), 'usr/bin/ash').stdout).toBe(expected); // a hard link to it
    const v = layerlab('estargz', 'verify', layout, '--layer', '1');
    expect(v.status).toBe(1); // its annotation is the other layer's TOC digest
    expect(layerlab('estargz', 'verify', layout).status).toBe(2); // two layers: which one?
    expect(layerlab('estargz', 'cat', blobPath('t1-basic.default.esgz'), 'no/such').status).toBe(1);
  });
});
