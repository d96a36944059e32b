import { describe, it, expect, beforeAll } from 'vitest';
import { cpSync, mkdtempSync, readFileSync, writeFileSync, readdirSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { SHARED, layerlab, run } from '../helpers/cli.ts';
import { tarOf, file, member, dir } from '../helpers/tar-builder.ts';

/**
 * Every bad input the foundation issue names: a clear error naming the file and the offset or
 * layer, no crash, no hang, and the other layers still reported.
 */
let tmp = '';
let oci = '';
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

function manifestOf(layout: string) {
  const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8'));
  const mdig = index.manifests[0].digest.split(':')[1];
  const manifest = JSON.parse(readFileSync(join(layout, 'blobs/sha256', mdig), 'utf8'));
  return { index, mdig, manifest };
}

/** Rewrites manifest (and index) after a layer blob changed, so only the layer itself is bad. */
function replaceLayer(layout: string, i: number, bytes: Uint8Array) {
  const { index, mdig, manifest } = manifestOf(layout);
  const hex = sha(bytes);
  writeFileSync(join(layout, 'blobs/sha256', hex), bytes);
  manifest.layers[i].digest = `sha256:${hex}`;
  manifest.layers[i].size = bytes.length;
  const mbytes = Buffer.from(JSON.stringify(manifest));
  const mhex = sha(mbytes);
  writeFileSync(join(layout, 'blobs/sha256', mhex), mbytes);
  index.manifests[0] = { ...index.manifests[0], digest: `sha256:${mhex}`, size: mbytes.length };
  writeFileSync(join(layout, 'index.json'), JSON.stringify(index));
  void mdig;
}

function copyLayout(name: string): string {
  const d = join(tmp, name);
  cpSync(oci, d, { recursive: true });
  return d;
}

function report(path: string) {
  const r = layerlab('inspect', path, '--report');
  return { ...r, json: r.stdout ? JSON.parse(r.stdout) : undefined };
}

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'layerlab-bad-'));
  run('python3', [resolve(SHARED, 'tools/corpus/make-synthetic.py'), join(tmp, 'synth')]);
  oci = join(tmp, 'synth/oci');
});

describe('bad input', () => {
  it('an empty file', () => {
    const p = join(tmp, 'empty.tar');
    writeFileSync(p, '');
    const r = layerlab('inspect', p);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/empty/);
    expect(r.stderr).toContain(p);
  });

  it('a zip file', () => {
    const p = join(tmp, 'x.zip');
    run('python3', ['-c', `import zipfile; z=zipfile.ZipFile(${JSON.stringify(p)},'w'); z.writestr('a.txt','hi'); z.close()`]);
    const r = layerlab('inspect', p);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/zip archive, not a container image/);
    expect(r.stderr).toContain(p);
  });

  it('random bytes that are not a tar', () => {
    const p = join(tmp, 'garbage.bin');
    writeFileSync(p, Buffer.alloc(4096, 0x41));
    const r = layerlab('inspect', p);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/not a tar archive/);
    expect(r.stderr).toMatch(/offset 0/);
  });

  it('a truncated gzip layer blob: error with the offset, figures of what was read', () => {
    const gz = gzipSync(readFileSync(join(tmp, 'synth/layer1.tar')));
    const p = join(tmp, 'trunc.tar.gz');
    writeFileSync(p, gz.subarray(0, gz.length - 30));
    const r = report(p);
    expect(r.status).toBe(1);
    const l = r.json.layers[0];
    expect(l.error.code).toMatch(/TRUNCATED|BAD_COMPRESSION/);
    expect(l.error.text).toContain(p);
    expect(l.error.context.offset).toBeTypeOf('number');
  });

  it('a truncated layer inside an image: that layer errs, the others are complete', () => {
    const d = copyLayout('trunc-layer');
    const { manifest } = manifestOf(d);
    const blob = readFileSync(join(d, 'blobs/sha256', manifest.layers[0].digest.split(':')[1]));
    replaceLayer(d, 0, blob.subarray(0, Math.floor(blob.length / 2)));
    const r = report(d);
    expect(r.status).toBe(1);
    expect(r.json.layers).toHaveLength(4);
    expect(r.json.layers[0].error.code).toMatch(/TRUNCATED|BAD_COMPRESSION/);
    expect(r.json.layers[0].error.context.layer).toBe(0);
    // the blob was cut before it was digested: its digest still matches the manifest
    expect(r.json.layers[0].digestCheck).toBe('ok');
    for (const l of r.json.layers.slice(1)) {
      expect(l.error).toBeUndefined();
      expect(l.diffIDCheck).toBe('ok');
    }
  });

  it('a layer blob whose size disagrees with the manifest: reported on that layer', () => {
    const d = copyLayout('short-layer');
    const { manifest } = manifestOf(d);
    truncateSync(join(d, 'blobs/sha256', manifest.layers[2].digest.split(':')[1]), 10);
    const r = report(d);
    expect(r.json.layers[2].error.code).toBe('SIZE_MISMATCH');
    expect(r.json.layers[2].error.text).toContain('layer 2');
    expect(r.json.layers[3].diffIDCheck).toBe('ok');
    expect(layerlab('verify', d).status).toBe(1);
  });

  it('an index.json naming a missing blob', () => {
    const d = copyLayout('missing-manifest');
    const index = JSON.parse(readFileSync(join(d, 'index.json'), 'utf8'));
    index.manifests[0].digest = 'sha256:' + 'ab'.repeat(32);
    writeFileSync(join(d, 'index.json'), JSON.stringify(index));
    const r = layerlab('inspect', d);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/missing/);
    expect(r.stderr).toContain('blobs/sha256/' + 'ab'.repeat(32));
  });

  it('a manifest whose bytes do not match its digest: a problem, the layers still analysed, verify fails', () => {
    const d = copyLayout('bad-manifest-digest');
    const { mdig } = manifestOf(d);
    const p = join(d, 'blobs/sha256', mdig);
    const text = readFileSync(p, 'utf8');
    expect(text).toMatch(/"schemaVersion":\s*2/);
    writeFileSync(p, text.replace(/("schemaVersion":\s*)2/, '$13')); // same size, still JSON, other bytes
    const r = report(d);
    expect(r.json.problems.map((x: { code: string }) => x.code)).toContain('DIGEST_MISMATCH');
    expect(r.json.layers.every((l: { diffIDCheck: string }) => l.diffIDCheck === 'ok')).toBe(true);
    const v = layerlab('verify', d);
    expect(v.status).toBe(1);
    expect(v.stdout).toMatch(/manifest digest mismatch/);
  });

  it('a layer digest that does not match the manifest', () => {
    const d = copyLayout('bad-layer-digest');
    const { manifest } = manifestOf(d);
    const p = join(d, 'blobs/sha256', manifest.layers[1].digest.split(':')[1]);
    const b = readFileSync(p);
    b[b.length - 1] ^= 1; // layer 1 is uncompressed: flip a padding byte, the tar stays valid
    writeFileSync(p, b);
    const r = report(d);
    expect(r.json.layers[1].digestCheck).toBe('mismatch');
    expect(r.json.layers[1].diffIDCheck).toBe('mismatch');
    expect(r.json.layers[0].digestCheck).toBe('ok');
    const v = layerlab('verify', d);
    expect(v.status).toBe(1);
    expect(v.stdout).toMatch(/layer 1 .*digest mismatch/);
  });

  it('a tar with ../ and absolute paths: analysed, each escape reported with its offset', () => {
    const p = join(tmp, 'escape.tar');
    writeFileSync(p, tarOf(dir('a/'), file('../../etc/evil', 'x'), file('/abs/file', 'y'), file('a/../../up', 'z')));
    const r = report(p);
    expect(r.status).toBe(0);
    const unsafe = r.json.problems.filter((x: { code: string }) => x.code === 'UNSAFE_PATH');
    expect(unsafe).toHaveLength(2);
    expect(unsafe[0].context.entry).toBe('../../etc/evil');
    expect(unsafe[0].context.offset).toBe(512);
    expect(unsafe[1].context.entry).toBe('a/../../up');
    expect(r.json.merged.files).toBe(3);
    const text = layerlab('inspect', p).stdout;
    expect(text).toMatch(/problem: .*climbs out of the root/);
  });

  it('a size field of 2^40: no hang, no huge allocation, a clear truncation error', () => {
    const p = join(tmp, 'huge.tar');
    writeFileSync(p, tarOf(file('ok', 'fine'), member({ name: 'huge', size: 1n << 40n }, 'tiny')));
    const t0 = Date.now();
    const r = report(p);
    expect(Date.now() - t0).toBeLessThan(30_000);
    expect(r.status).toBe(1);
    expect(r.json.layers[0].error.code).toBe('TRUNCATED');
    expect(r.json.layers[0].error.text).toContain(p);
    expect(r.json.layers[0].entries.file).toBe(2);
  });

  it('an unknown layer media type is reported but the layer is still read by its bytes', () => {
    const d = copyLayout('odd-media-type');
    const { index, manifest } = manifestOf(d);
    manifest.layers[3].mediaType = 'application/x-something-else';
    const mbytes = Buffer.from(JSON.stringify(manifest));
    const mhex = sha(mbytes);
    writeFileSync(join(d, 'blobs/sha256', mhex), mbytes);
    index.manifests[0] = { ...index.manifests[0], digest: `sha256:${mhex}`, size: mbytes.length };
    writeFileSync(join(d, 'index.json'), JSON.stringify(index));
    const r = report(d);
    expect(r.json.problems.map((x: { code: string }) => x.code)).toContain('UNKNOWN_MEDIA_TYPE');
    expect(r.json.layers[3].diffIDCheck).toBe('ok');
    void readdirSync;
  });

  it('a docker-archive cut off in its first layer: the layer reports where it stops, the rest are missing', () => {
    // Built so manifest.json comes first (as some writers do), then cut inside layer 0.
    const full = join(tmp, 'da.tar');
    run('python3', ['-c', `
import tarfile, sys
src = tarfile.open(sys.argv[1]); out = tarfile.open(sys.argv[2], 'w', format=tarfile.PAX_FORMAT)
ms = src.getmembers(); first = [m for m in ms if m.name.endswith('.json') or m.name == 'repositories']
for m in first + [m for m in ms if m not in first]: out.addfile(m, src.extractfile(m) if m.isreg() else None)
out.close()`, join(tmp, 'synth/docker.tar'), full]);
    const bytes = readFileSync(full);
    const p = join(tmp, 'da-cut.tar');
    writeFileSync(p, bytes.subarray(0, 6000));
    const r = report(p);
    expect(r.status).toBe(1);
    expect(r.json.source.kind).toBe('docker-archive');
    expect(r.json.layers).toHaveLength(4);
    expect(r.json.layers[0].error.code).toBe('TRUNCATED');
    expect(r.json.layers[0].error.context.offset).toBeTypeOf('number');
    expect(r.json.problems[0].text).toMatch(/archive ends .* before the end of its last member/);
  });

  it('a gzip layer damaged after it was digested: content error and digest mismatch, both on that layer', () => {
    const d = copyLayout('flipped-gzip');
    const { manifest } = manifestOf(d);
    const p = join(d, 'blobs/sha256', manifest.layers[0].digest.split(':')[1]);
    const b = readFileSync(p);
    for (let i = 40; i < b.length - 20; i += 7) b[i] ^= 0x55; // same size, garbage deflate data
    writeFileSync(p, b);
    const r = report(d);
    expect(r.json.layers[0].error.code).toMatch(/BAD_COMPRESSION|TRUNCATED|BAD_TAR/);
    expect(r.json.layers[0].digestCheck).toBe('mismatch');
    expect(r.json.problems.map((x: { code: string }) => x.code)).toContain('DIGEST_MISMATCH');
    expect(r.json.layers[1].diffIDCheck).toBe('ok');
  });
});
