/**
 * `--to estargz --compression zstd` at the image level, on a real image of the corpus
 * (../shared/tools/corpus): every layer's annotations checked against its bytes (zstd tool),
 * the Go reference's `verify` and `extract`, skopeo reading the OCI output, and the corpus'
 * own diffIDs after converting back to gzip.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { layerlab, run } from '../helpers/cli.ts';
import { CORPUS, convert, expectJson } from '../convert/support.ts';
import { refFields, runRef } from './estargz-ref.ts';
import { expectZstdAnnotationsTrue, zstdDecompress } from './writer-support.ts';

const IMG = join(CORPUS, 'layered-oci', 'image');
const TOC_KEY = 'containerd.io/snapshot/stargz/toc.digest';
const sha256 = (b: Uint8Array) => 'sha256:' + createHash('sha256').update(b).digest('hex');

interface Report { layers: { action: string; to: { digest: string; mediaType: string; annotations: Record<string, string> }; diffId: string }[] }

let out: string;
beforeAll(() => {
  out = mkdtempSync(join(tmpdir(), 'layerlab-esgz-zstd-img-'));
});

/** A blob of an OCI archive, read with GNU tar (not with our reader). */
function blobOf(archive: string, digest: string): Buffer {
  const dir = mkdtempSync(join(out, 'x-'));
  run('tar', ['-xf', archive, '-C', dir, `blobs/sha256/${digest.slice(7)}`]);
  return readFileSync(join(dir, 'blobs/sha256', digest.slice(7)));
}

function writeTmp(b: Uint8Array): string {
  const p = join(mkdtempSync(join(out, 'b-')), 'blob');
  writeFileSync(p, b);
  return p;
}

describe('OCI → eStargz (zstd) → OCI on a corpus image', () => {
  let lossless: string;
  let report: Report;

  for (const mode of ['lossless', 'build'] as const) {
    it(`${mode}: tar+zstd layers, annotations true, the reference verifies every layer${mode === 'lossless' ? ' and extracts the original tar' : ''}`, () => {
      const path = join(out, `${mode}.tar`);
      const r: Report = convert(IMG, '--to', 'estargz', '--compression', 'zstd', ...(mode === 'lossless' ? ['--lossless'] : ['--level', '9']), '-o', path);
      const src = expectJson('layered-oci');
      expect(r.layers).toHaveLength(src.layers.length);
      r.layers.forEach((l, i) => {
        expect(l.action).toBe('converted');
        expect(l.to.mediaType).toBe('application/vnd.oci.image.layer.v1.tar+zstd');
        const blob = blobOf(path, l.to.digest);
        expect(sha256(blob)).toBe(l.to.digest);
        expectZstdAnnotationsTrue(blob, l.to.annotations);
        expect(l.diffId).toBe(sha256(zstdDecompress(blob)));
        const p = writeTmp(blob);
        const v = runRef(['verify', p, l.to.annotations[TOC_KEY]]);
        expect(v.status, v.stderr).toBe(0);
        expect(refFields(v.stdout).diff_id).toBe(l.diffId);
        // Lossless: the stream is the original layer tar, so the diffID is the original one.
        if (mode === 'lossless') {
          expect(l.diffId).toBe(src.layers[i].diffID);
          expect(sha256(runRef(['extract', p]).stdout)).toBe(src.layers[i].diffID);
        }
      });
      // skopeo reads the image and checks every blob digest.
      run('skopeo', ['copy', '-q', `oci-archive:${path}`, `dir:${join(out, `skopeo-${mode}`)}`]);
      expect(layerlab('verify', path).status).toBe(0);
      if (mode === 'lossless') [lossless, report] = [path, r];
    });
  }

  it('eStargz (zstd) → gzip gives back every original diffID and the same tree', () => {
    const back = join(out, 'back.tar');
    const r = convert(lossless, '--to', 'gzip', '-o', back);
    expect(r.layers.map((l: { diffId: string }) => l.diffId)).toEqual(expectJson('layered-oci').layers.map((l: { diffID: string }) => l.diffID));
    expect(layerlab('ls', back, '--tsv').stdout).toBe(readFileSync(join(CORPUS, 'layered-oci', 'expect-tree.tsv'), 'utf8'));
  });

  it('eStargz zstd again keeps its layers; eStargz gzip is re-encoded to zstd, and back', () => {
    const again = convert(lossless, '--to', 'estargz', '--compression', 'zstd', '-o', join(out, 'again.tar'));
    expect(again.layers.map((l: { action: string }) => l.action)).toEqual(report.layers.map(() => 'kept'));
    expect(again.layers.map((l: { to: { digest: string } }) => l.to.digest)).toEqual(report.layers.map((l) => l.to.digest));
    const gz = convert(lossless, '--to', 'estargz', '--lossless', '-o', join(out, 'gz.tar'));
    expect(gz.layers.map((l: { action: string; to: { mediaType: string } }) => [l.action, l.to.mediaType]))
      .toEqual(report.layers.map(() => ['converted', 'application/vnd.oci.image.layer.v1.tar+gzip']));
    const z = convert(join(out, 'gz.tar'), '--to', 'estargz', '--compression', 'zstd', '--lossless', '-o', join(out, 'z.tar'));
    expect(z.layers.map((l: { action: string; diffId: string }) => [l.action, l.diffId])).toEqual(report.layers.map((l) => ['converted', l.diffId]));
  });
});
