import { describe, it, expect, beforeAll } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { layerlab, run } from '../helpers/cli.ts';
import { refFields, runRef } from '../estargz/estargz-ref.ts';
import { CORPUS, convert, expectJson } from './support.ts';

/**
 * OCI ⇄ eStargz at the image level, on real images of the corpus (../shared/tools/corpus),
 * judged by the reference library (estargz-ref, stargz-snapshotter's estargz package as Debian
 * ships it), skopeo, and the corpus' own diffIDs and trees.
 */
const IMG = (name: string, rel = 'image') => join(CORPUS, name, rel);
const diffIds = (j: { layers: { diffID: string }[] }) => j.layers.map((l) => l.diffID);

let out: string;
beforeAll(() => {
  out = mkdtempSync(join(tmpdir(), 'layerlab-esgz-'));
});

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
/** A blob of an OCI archive, read with GNU tar (not with our reader). */
function blobOf(archive: string, digest: string): Buffer {
  const dir = mkdtempSync(join(out, 'x-'));
  run('tar', ['-xf', archive, '-C', dir, `blobs/sha256/${digest.slice(7)}`]);
  return readFileSync(join(dir, 'blobs/sha256', digest.slice(7)));
}

describe('OCI → eStargz → OCI on a corpus image', () => {
  let lossless: string;
  let report: { layers: { to: { digest: string; mediaType: string; annotations: Record<string, string> }; diffId: string; from: { digest: string } }[] };

  it('lossless at level 6: every layer gets the TOC digest and uncompressed-size annotations, and they are true', () => {
    lossless = join(out, 'lossless.tar');
    report = convert(IMG('layered-oci'), '--to', 'estargz', '--lossless', '--level', '6', '-o', lossless);
    const src = expectJson('layered-oci');
    expect(report.layers).toHaveLength(src.layers.length);
    for (const l of report.layers) {
      expect(l.to.mediaType).toBe('application/vnd.oci.image.layer.v1.tar+gzip');
      const blob = blobOf(lossless, l.to.digest);
      expect(`sha256:${sha256(blob)}`).toBe(l.to.digest);
      const stream = gunzipSync(blob);
      expect(l.to.annotations['io.containers.estargz.uncompressed-size']).toBe(String(stream.length));
      expect(l.diffId).toBe(`sha256:${sha256(stream)}`);
      // The reference reads the TOC and says what its digest is.
      const toc = runRef(['toc', writeTmp(blob)]);
      expect(toc.status, toc.stderr).toBe(0);
      expect(l.to.annotations['containerd.io/snapshot/stargz/toc.digest']).toBe(`sha256:${sha256(toc.stdout)}`);
    }
    // skopeo reads the image and checks every blob digest.
    run('skopeo', ['copy', '-q', `oci-archive:${lossless}`, `dir:${join(out, 'skopeo-esgz')}`]);
  });

  it('estargz-ref verify passes on every converted layer, and extract gives back the original layer tar (lossless)', () => {
    const src = expectJson('layered-oci');
    report.layers.forEach((l, i) => {
      const path = writeTmp(blobOf(lossless, l.to.digest));
      const v = runRef(['verify', path, l.to.annotations['containerd.io/snapshot/stargz/toc.digest']]);
      expect(v.status, v.stderr).toBe(0);
      expect(v.stdout.toString()).toMatch(/^OK/m);
      expect(refFields(v.stdout).diff_id).toBe(l.diffId);
      const x = runRef(['extract', path]);
      expect(x.status, x.stderr).toBe(0);
      expect(`sha256:${sha256(x.stdout)}`).toBe(src.layers[i].diffID);
    });
  });

  it('eStargz → gzip gives back every original diffID and the same tree', () => {
    const back = join(out, 'back.tar');
    const r = convert(lossless, '--to', 'gzip', '-o', back);
    expect(r.layers.map((l: { diffId: string }) => l.diffId)).toEqual(diffIds(expectJson('layered-oci')));
    expect(layerlab('ls', back, '--tsv').stdout).toBe(readFileSync(join(CORPUS, 'layered-oci', 'expect-tree.tsv'), 'utf8'));
    expect(layerlab('verify', back).status).toBe(0);
  });

  it('converting an eStargz image to eStargz again keeps every layer as it is', () => {
    const again = join(out, 'again.tar');
    const r = convert(lossless, '--to', 'estargz', '-o', again);
    expect(r.layers.map((l: { action: string }) => l.action)).toEqual(report.layers.map(() => 'kept'));
    expect(r.layers.map((l: { to: { digest: string } }) => l.to.digest)).toEqual(report.layers.map((l) => l.to.digest));
  });
});

describe('Build mode and Docker media types', () => {
  it('a docker-archive → eStargz (Build, level 9, prioritized file): Docker media types kept, landmark after the prioritized file, reference verifies', () => {
    const o = join(out, 'docker-esgz.tar');
    const r = convert(IMG('layered-docker-archive', 'image.tar'), '--to', 'estargz', '--prioritize', 'etc/os-release', '--docker-archive', '-o', o);
    const manifest = JSON.parse(run('skopeo', ['inspect', '--raw', `docker-archive:${o}`]));
    expect(manifest.mediaType).toBe('application/vnd.docker.distribution.manifest.v2+json');
    expect(manifest.layers.every((l: { mediaType: string }) => l.mediaType === 'application/vnd.docker.image.rootfs.diff.tar.gzip')).toBe(true);
    const base = r.layers[0];
    const blob = blobOf(o, base.to.digest);
    const path = writeTmp(blob);
    const v = runRef(['verify', path, base.to.annotations['containerd.io/snapshot/stargz/toc.digest']]);
    expect(v.status, v.stderr).toBe(0);
    const toc = JSON.parse(runRef(['toc', path]).stdout.toString());
    const names = toc.entries.filter((e: { type: string }) => e.type !== 'chunk').map((e: { name: string }) => e.name);
    // Spec §6: prioritized files first, then the prefetch landmark.
    const at = names.findIndex((n: string) => n.replace(/^\.\//, '') === 'etc/os-release');
    expect(at).toBeGreaterThanOrEqual(0);
    expect(names.indexOf('.prefetch.landmark')).toBeGreaterThan(at);
    expect(layerlab('verify', o).status).toBe(0);
  });

  it('--oci writes OCI media types for a Docker source', () => {
    const o = join(out, 'docker-esgz-oci');
    convert(IMG('layered-docker-archive', 'image.tar'), '--to', 'estargz', '--oci', '--level', '1', '-o', o);
    const index = JSON.parse(readFileSync(join(o, 'index.json'), 'utf8'));
    const manifest = JSON.parse(readFileSync(join(o, 'blobs/sha256', index.manifests[0].digest.slice(7)), 'utf8'));
    expect(manifest.mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
    expect(manifest.config.mediaType).toBe('application/vnd.oci.image.config.v1+json');
    expect(manifest.layers.every((l: { mediaType: string; annotations: Record<string, string> }) =>
      l.mediaType === 'application/vnd.oci.image.layer.v1.tar+gzip' && l.annotations['containerd.io/snapshot/stargz/toc.digest'])).toBe(true);
  });

  it('a lone gzip layer converts to a lone eStargz blob the reference verifies', () => {
    const o = join(out, 'lone2.esgz');
    const r = convert(IMG('layer-gzip', 'layer.tar.gz'), '--to', 'estargz', '--lossless', '-o', o);
    expect(r.layout).toBe('layer');
    const v = runRef(['verify', o, r.layers[0].to.annotations['containerd.io/snapshot/stargz/toc.digest']]);
    expect(v.status, v.stderr).toBe(0);
    const x = runRef(['extract', o]);
    expect(sha256(x.stdout)).toBe(sha256(gunzipSync(readFileSync(IMG('layer-gzip', 'layer.tar.gz')))));
  });
});

function writeTmp(b: Uint8Array): string {
  const p = join(mkdtempSync(join(out, 'b-')), 'blob');
  writeFileSync(p, b);
  return p;
}
