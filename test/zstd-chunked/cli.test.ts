/**
 * `layerlab zstd-chunked toc|verify|cat|tar` as a user runs it, on the fixtures as lone blobs and
 * inside an OCI layout (whose annotations and config diffID the command then uses), against the
 * fixtures' own truth: toc/ bytes, expected/ digests, the input tars.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ROOT, SHARED, layerlab } from '../helpers/cli.ts';

const FIXTURES = resolve(SHARED, 'fixtures/zstd-chunked');
const blobPath = (name: string) => resolve(FIXTURES, 'blobs', name);
const sha256 = (b: Uint8Array) => 'sha256:' + createHash('sha256').update(b).digest('hex');

/** The CLI with binary stdout (cat and tar print bytes). */
function layerlabBytes(...args: string[]): { status: number; stdout: Buffer; stderr: string } {
  const r = spawnSync(resolve(ROOT, 'bin/layerlab'), args, { maxBuffer: 512 << 20, cwd: ROOT });
  if (r.error) throw r.error;
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr.toString() };
}

interface Output { name: string; file: string; input: string; sha256: string; size: number; diff_id: string; annotations: Record<string, string> }
const fixtureManifest = JSON.parse(readFileSync(resolve(FIXTURES, 'manifest.json'), 'utf8')) as { inputs: Record<string, { file: string; sha256: string }>; outputs: Output[] };
const output = (name: string) => fixtureManifest.outputs.find((o) => o.name === name)!;

let dir: string;
let layout: string;

/** An OCI layout with two layers: t3's v2 blob annotated correctly, t1's v1 blob with a wrong manifest checksum. */
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'layerlab-zstd-chunked-'));
  layout = join(dir, 'layout');
  mkdirSync(join(layout, 'blobs/sha256'), { recursive: true });
  const put = (bytes: Buffer) => {
    const hex = createHash('sha256').update(bytes).digest('hex');
    writeFileSync(join(layout, 'blobs/sha256', hex), bytes);
    return { digest: `sha256:${hex}`, size: bytes.length };
  };
  const a = output('t3-gnu.v2-constructed.zst');
  const b = output('t1-basic.zc143.zst');
  for (const o of [a, b]) put(readFileSync(resolve(FIXTURES, o.file)));
  const config = put(Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [a.diff_id, b.diff_id] } })));
  const layer = (o: Output, annotations: Record<string, string>) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+zstd', digest: o.sha256, size: o.size, annotations });
  const wrong = { ...b.annotations, 'io.containers.zstd-chunked.manifest-checksum': `sha256:${'0'.repeat(64)}` };
  const m = put(Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
    layers: [layer(a, a.annotations), layer(b, wrong)],
  })));
  writeFileSync(join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(join(layout, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...m }] }));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('layerlab zstd-chunked', () => {
  it('toc prints the manifest JSON byte for byte', () => {
    for (const name of ['t1-basic.zc143.zst', 't3-gnu.v2-constructed.zst']) {
      const r = layerlabBytes('zstd-chunked', 'toc', blobPath(name));
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout.equals(readFileSync(resolve(FIXTURES, 'toc', name.replace(/\.zst$/, '.json'))))).toBe(true);
    }
  });

  it('verify: a summary, exit 0; --json has the figures; the image layer\'s diffID is what the rebuilt tar must be', () => {
    const r = layerlab('zstd-chunked', 'verify', blobPath('t1-basic.v2-constructed.zst'));
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^zstd:chunked v2-64: manifest sha256:402622cc/);
    expect(r.stdout).toMatch(/chunks: 8 verified/);
    expect(r.stdout).toMatch(/tar-split: ok; rebuilt tar sha256:96fc355f.* \(133120 bytes\), diffID ok/);
    expect(r.stdout).toMatch(/note: .*both name "etc\/dup.txt"/);
    expect(r.stdout.trim().split('\n').at(-1)).toBe('OK');
    const j = JSON.parse(layerlab('zstd-chunked', 'verify', '--json', '--layer', '0', layout).stdout);
    expect(j).toMatchObject({ ok: true, variant: 'v2-64', manifestDigestCheck: 'ok', tarSplit: 'ok', problems: [] });
    expect(j.rebuilt).toEqual({ digest: output('t3-gnu.v2-constructed.zst').diff_id, size: 133120, diffId: output('t3-gnu.v2-constructed.zst').diff_id, diffIdCheck: 'ok' });
  });

  it('verify exits 1 on a mismatch and says where', () => {
    const r = layerlab('zstd-chunked', 'verify', '--layer', '1', layout);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/FAILED: zstd:chunked manifest checksum mismatch: the annotation says sha256:0{64}, the manifest is sha256:2abd4b79/);
    const bad = join(dir, 'bad-chunk.zst');
    const blob = Buffer.from(readFileSync(blobPath('t1-basic.zc143.zst')));
    blob[2000] ^= 0xff; // inside usr/bin/busybox's frames
    writeFileSync(bad, blob);
    const j = JSON.parse(layerlab('zstd-chunked', 'verify', '--json', bad).stdout);
    expect(j.ok).toBe(false);
    expect(j.problems[0].context).toMatchObject({ file: bad, offsetSpace: 'compressed' });
  });

  it('cat prints one file read lazily; hard links are followed', () => {
    const expected = JSON.parse(readFileSync(resolve(FIXTURES, 'expected/t1-basic.files.json'), 'utf8')) as { name: string; type: string; sha256?: string; linkName?: string }[];
    const busybox = expected.find((e) => e.name === 'usr/bin/busybox')!;
    const r = layerlabBytes('zstd-chunked', 'cat', blobPath('t1-basic.zc143.zst'), 'usr/bin/busybox');
    expect(r.status, r.stderr).toBe(0);
    expect(sha256(r.stdout)).toBe(busybox.sha256);
    const link = expected.find((e) => e.type === 'hardlink')!;
    expect(link).toMatchObject({ name: 'usr/bin/ash', linkName: 'usr/bin/busybox' });
    expect(sha256(layerlabBytes('zstd-chunked', 'cat', blobPath('t1-basic.zc143.zst'), link.name).stdout)).toBe(busybox.sha256);
    const missing = layerlab('zstd-chunked', 'cat', blobPath('t1-basic.zc143.zst'), 'no/such');
    expect(missing.status).not.toBe(0);
    expect(missing.stderr).toMatch(/no "no\/such" in the zstd:chunked manifest/);
  });

  it('tar writes the original tar rebuilt from the tar-split (= the input tar)', () => {
    const r = layerlabBytes('zstd-chunked', 'tar', blobPath('t3-gnu.v2-constructed.zst'));
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.equals(readFileSync(resolve(FIXTURES, fixtureManifest.inputs['t3-gnu'].file)))).toBe(true);
    const none = layerlab('zstd-chunked', 'tar', blobPath('t1-basic.zc143.zst'));
    expect(none.status).not.toBe(0);
    expect(none.stderr).toMatch(/has no tar-split/);
  });

  it('refuses the stargz-snapshotter variant and a plain zstd blob with a clear message', () => {
    const s = layerlab('zstd-chunked', 'toc', blobPath('t1-basic.stargz-zstd.esgz.zst'));
    expect(s.status).not.toBe(0);
    expect(s.stderr).toMatch(/eStargz zstd variant/);
  });

  it('inspect shows the zstd:chunked line under the layer', () => {
    const r = layerlab('inspect', layout);
    expect(r.stdout).toMatch(/zstd:chunked v2-64: manifest sha256:[0-9a-f]{12} at \d+, \d+ entries, \d+ chunks, tar-split present, manifest checksum ok/);
    expect(r.stdout).toMatch(/zstd:chunked v1-40: .*tar-split absent, manifest checksum mismatch/);
  });
});
