/**
 * Damaged zstd:chunked blobs, made from the fixtures by changing their bytes (or their manifest
 * and tar-split, recompressed with the `zstd` CLI and put back behind a fresh footer): each must
 * give a clear LayerlabError naming the blob (and layer, through detectLayer), the entry where
 * there is one, and the offset.
 */
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { fromBytes } from '../../src/core/bytes/memory-source.ts';
import { detectLayer } from '../../src/core/formats/registry.ts';
import { openZstdChunked, readZstdChunkedFooter, zstdChunkedFooterBytes, MAX_MANIFEST_BYTES } from '../../src/core/formats/zstd-chunked/index.ts';
import { SHARED } from '../helpers/cli.ts';
import { thrown } from '../helpers/layerlab-error.ts';

const FIXTURES = resolve(SHARED, 'fixtures/zstd-chunked');
const V1 = 't1-basic.zc143.zst';
const V2 = 't1-basic.v2-constructed.zst';
const fixture = (name: string) => new Uint8Array(readFileSync(resolve(FIXTURES, 'blobs', name)));
const tocOf = (name: string) => readFileSync(resolve(FIXTURES, 'toc', name.replace(/\.zst$/, '.json')), 'utf8');
const sha256 = (b: Uint8Array) => 'sha256:' + createHash('sha256').update(b).digest('hex');

function zstd(args: string[], input: Uint8Array): Uint8Array {
  const r = spawnSync('zstd', [...args, '-q', '-c'], { input, maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`zstd ${args.join(' ')}: ${r.stderr}`);
  return new Uint8Array(r.stdout);
}
const skippable = (payload: Uint8Array) => {
  const out = new Uint8Array(8 + payload.length);
  out.set([0x50, 0x2a, 0x4d, 0x18]);
  new DataView(out.buffer).setUint32(4, payload.length, true);
  out.set(payload, 8);
  return out;
};
const cat = (...parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts));

/** The fixture's data frames with a new manifest (and tar-split) behind a new footer: v1-40 without a tar-split, v2-64 with one. */
async function assemble(name: string, manifestJson: string, tarSplitNdjson?: Uint8Array): Promise<Uint8Array> {
  const blob = fixture(name);
  const footer = (await readZstdChunkedFooter(fromBytes(blob)))!;
  const data = blob.subarray(0, footer.manifest.offset - 8);
  const json = new TextEncoder().encode(manifestJson);
  const m = zstd([], json);
  const manifest = { offset: data.length + 8, length: m.length, uncompressedLength: json.length };
  if (!tarSplitNdjson) return cat(data, skippable(m), zstdChunkedFooterBytes('v1-40', manifest));
  const t = zstd([], tarSplitNdjson);
  const tarSplit = { offset: manifest.offset + m.length + 8, length: t.length, uncompressedLength: tarSplitNdjson.length };
  return cat(data, skippable(m), skippable(t), zstdChunkedFooterBytes('v2-64', manifest, tarSplit));
}

/** The v2 fixture's tar-split, decompressed. */
async function tarSplitOf(name: string): Promise<string> {
  const blob = fixture(name);
  const t = (await readZstdChunkedFooter(fromBytes(blob)))!.tarSplit!;
  return new TextDecoder().decode(zstd(['-d'], blob.subarray(t.offset, t.offset + t.length)));
}

const layerOf = (b: Uint8Array, annotations?: Record<string, string>) =>
  ({ index: 3, digestIsClaim: false, source: fromBytes(b, 'bad.zst'), path: 'bad.zst', descriptor: { mediaType: '', digest: '', size: b.length, annotations } });

describe('zstd:chunked bad input', () => {
  it('footer offsets outside the blob: BAD_LAZY_FORMAT at the footer, layer named', async () => {
    const b = fixture(V1).slice();
    new DataView(b.buffer).setBigUint64(b.length - 40, BigInt(b.length + 100), true);
    const e = await thrown(detectLayer(layerOf(b)));
    expect(e.code).toBe('BAD_LAZY_FORMAT');
    expect(e.message).toMatch(/manifest at \d+ .*not inside the blob/);
    expect(e.context).toMatchObject({ file: 'bad.zst', layer: 3, offset: b.length - 48 });
  });

  it('a manifest span whose frame header is not there: BAD_LAZY_FORMAT at the frame', async () => {
    const b = fixture(V1).slice();
    const dv = new DataView(b.buffer);
    dv.setBigUint64(b.length - 40, dv.getBigUint64(b.length - 40, true) - 1n, true);
    const e = await thrown(openZstdChunked(fromBytes(b, 'bad.zst')));
    expect(e.message).toMatch(/not the payload of a skippable frame/);
    expect(e.context.offset).toBeGreaterThan(0);
  });

  it('manifest not JSON: BAD_JSON', async () => {
    const e = await thrown(openZstdChunked(fromBytes(await assemble(V1, '{"version":1,"entries":[{"type":"reg",'), 'bad.zst')));
    expect(e.code).toBe('BAD_JSON');
    expect(e.message).toMatch(/not JSON/);
    expect(e.context.file).toBe('bad.zst');
  });

  it('manifest > 150 MiB uncompressed: TOO_LARGE before anything is decompressed', async () => {
    const b = fixture(V1).slice();
    new DataView(b.buffer).setBigUint64(b.length - 40 + 16, BigInt(MAX_MANIFEST_BYTES + 1), true);
    const e = await thrown(openZstdChunked(fromBytes(b, 'bad.zst')));
    expect(e.code).toBe('TOO_LARGE');
    expect(e.message).toMatch(/150|157286400/);
  });

  it('a manifest longer than the footer says: BAD_LAZY_FORMAT (never a silent short read)', async () => {
    const b = fixture(V1).slice();
    const dv = new DataView(b.buffer);
    dv.setBigUint64(b.length - 40 + 16, dv.getBigUint64(b.length - 40 + 16, true) - 10n, true);
    const e = await thrown(openZstdChunked(fromBytes(b, 'bad.zst')));
    expect(e.message).toMatch(/decompresses to more than/);
  });

  it('duplicate names: noted with both entries (a tar may repeat a name), the later one is the file', async () => {
    const r = await openZstdChunked(fromBytes(fixture(V1), 'dup.zst'));
    expect(r.notes).toEqual([expect.stringMatching(/entries 5 and 22 both name "etc\/dup.txt"/)]);
    expect(r.problems).toEqual([]);
    expect((await r.verify()).notes).toEqual(r.notes);
    expect((await r.readFile('etc/dup.txt')).length).toBe(20);
  });

  it('chunk digest mismatch: DIGEST_MISMATCH naming the file and its frame offset', async () => {
    const json = tocOf(V1).replace('"sha256:2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881"', `"sha256:${'0'.repeat(64)}"`);
    const r = await openZstdChunked(fromBytes(await assemble(V1, json), 'bad.zst'));
    const e = await thrown(r.readFile('etc/one'));
    expect(e.code).toBe('DIGEST_MISMATCH');
    expect(e.context).toMatchObject({ entry: 'etc/one', offset: r.lookup('etc/one')!.offset, file: 'bad.zst' });
    const v = await r.verify();
    expect(v.problems.map((p) => p.code)).toContain('DIGEST_MISMATCH');
  });

  it('a corrupt payload frame: BAD_COMPRESSION at a blob offset inside the file\'s extent', async () => {
    const b = fixture(V1).slice();
    const r0 = await openZstdChunked(fromBytes(b));
    const busybox = r0.lookup('usr/bin/busybox')! as { offset: number; endOffset: number };
    b[busybox.offset + 200] ^= 0xff;
    const e = await thrown((await openZstdChunked(fromBytes(b, 'bad.zst'))).readFile('usr/bin/busybox'));
    expect(['BAD_COMPRESSION', 'DIGEST_MISMATCH']).toContain(e.code);
    expect(e.context.entry).toBe('usr/bin/busybox');
    expect(e.context.offset).toBeGreaterThanOrEqual(busybox.offset);
    expect(e.context.offset).toBeLessThanOrEqual(busybox.endOffset);
  });

  it('a zstd frame cut in the middle (endOffset inside the frame): TRUNCATED at the blob offset', async () => {
    const r0 = await openZstdChunked(fromBytes(fixture(V1)));
    const busybox = r0.lookup('usr/bin/busybox')! as { offset: number; endOffset: number };
    const cut = busybox.offset + Math.floor((busybox.endOffset - busybox.offset) / 2);
    const json = tocOf(V1).replace(`"endOffset":${busybox.endOffset}`, `"endOffset":${cut}`);
    const e = await thrown((await openZstdChunked(fromBytes(await assemble(V1, json), 'bad.zst'))).readFile('usr/bin/busybox'));
    expect(e.code).toBe('TRUNCATED');
    expect(e.context).toMatchObject({ entry: 'usr/bin/busybox', file: 'bad.zst' });
    expect(e.context.offset).toBeGreaterThan(busybox.offset);
  });

  it('tar-split digest mismatch: verify says mismatch, tar() refuses, offset of the tar-split', async () => {
    const b = fixture(V2).slice();
    const t = (await readZstdChunkedFooter(fromBytes(b)))!.tarSplit!;
    b[t.offset + 20] ^= 0x01;
    const r = await openZstdChunked(fromBytes(b, 'bad.zst'));
    const v = await r.verify();
    expect(v.tarSplit).toBe('mismatch');
    const e = await thrown((async () => { for await (const _ of r.tar()) { /* drain */ } })());
    expect(e.code).toBe('DIGEST_MISMATCH');
    expect(e.message).toMatch(/tar-split digest mismatch/);
    expect(e.context.offset).toBe(t.offset);
  });

  it('a tar-split without an authenticated digest is not used', async () => {
    const json = tocOf(V2).replace(/,"tarSplitDigest":"sha256:[0-9a-f]{64}"/, '');
    const split = new TextEncoder().encode(await tarSplitOf(V2));
    const r = await openZstdChunked(fromBytes(await assemble(V2, json, split), 'bad.zst'));
    expect(r.summary().tarSplit).toBe('unauthenticated');
    const e = await thrown((async () => { for await (const _ of r.tar()) { /* drain */ } })());
    expect(e.message).toMatch(/not authenticated/);
  });

  it('tar-split file sizes that do not reassemble to the declared size: SIZE_MISMATCH naming the file', async () => {
    const lines = (await tarSplitOf(V2)).split('\n').map((l) => {
      if (!l) return l;
      const e = JSON.parse(l) as { type: number; name?: string; size?: number };
      if (e.type === 1 && e.name === 'usr/bin/busybox') e.size = 99_999;
      return JSON.stringify(e);
    });
    const split = new TextEncoder().encode(lines.join('\n'));
    const digest = sha256(zstd([], split));
    const json = tocOf(V2).replace(/"tarSplitDigest":"sha256:[0-9a-f]{64}"/, `"tarSplitDigest":"${digest}"`);
    const r = await openZstdChunked(fromBytes(await assemble(V2, json, split), 'bad.zst'));
    const e = await thrown((async () => { for await (const _ of r.tar()) { /* drain */ } })());
    expect(e.code).toBe('SIZE_MISMATCH');
    expect(e.context.entry).toBe('usr/bin/busybox');
    expect(e.context.offsetSpace).toBe('uncompressed');
  });

  it('both eStargz and zstd:chunked annotations: refused as containers/storage does', async () => {
    const e = await thrown(detectLayer(layerOf(fixture(V2), {
      'containerd.io/snapshot/stargz/toc.digest': `sha256:${'1'.repeat(64)}`,
      'io.github.containers.zstd-chunked.manifest-checksum': `sha256:${'2'.repeat(64)}`,
    })));
    expect(e.message).toMatch(/both zstd:chunked and eStargz TOC found/);
    expect(e.context).toMatchObject({ layer: 3, file: 'bad.zst' });
  });

  it('both annotations on a blob whose bytes are eStargz (gzip, or stargz-snapshotter\'s zstd variant): refused all the same', async () => {
    const both = { 'containerd.io/snapshot/stargz/toc.digest': `sha256:${'1'.repeat(64)}`, 'io.github.containers.zstd-chunked.manifest-checksum': `sha256:${'2'.repeat(64)}` };
    const gz = new Uint8Array(readFileSync(resolve(SHARED, 'fixtures/estargz/outputs', readdirSync(resolve(SHARED, 'fixtures/estargz/outputs')).find((f) => f.endsWith('.esgz'))!)));
    for (const blob of [fixture('t1-basic.stargz-zstd.esgz.zst'), gz]) {
      const e = await thrown(detectLayer(layerOf(blob, both)));
      expect(e.message).toMatch(/both zstd:chunked and eStargz TOC found/);
      expect(e.context).toMatchObject({ layer: 3, file: 'bad.zst' });
    }
    // stargz-snapshotter's own pair (the old-prefix checksum with toc.digest) is no conflict.
    const own = JSON.parse(readFileSync(resolve(FIXTURES, 'annotations/t1-basic.stargz-zstd.json'), 'utf8'));
    expect((await detectLayer(layerOf(fixture('t1-basic.stargz-zstd.esgz.zst'), own.annotations ?? own))).format).toBe('estargz');
  });

  it('a manifest checksum annotation that does not match: detected, reported by describe', async () => {
    const { zstdChunkedFormat } = await import('../../src/core/formats/zstd-chunked/index.ts');
    const layer = layerOf(fixture(V2), { 'io.github.containers.zstd-chunked.manifest-checksum': `sha256:${'3'.repeat(64)}` });
    const d = await detectLayer(layer);
    expect(d.format).toBe('zstd-chunked');
    const { problems } = zstdChunkedFormat.describe!(d, layer);
    expect(problems.map((p) => p.code)).toEqual(['DIGEST_MISMATCH']);
    expect(problems[0].context).toMatchObject({ layer: 3, offsetSpace: 'compressed' });
    // An untrusted manifest is not used to read files (its chunk digests are what files are checked against).
    const r = await openZstdChunked(layer.source, { annotations: layer.descriptor.annotations });
    expect((await thrown(r.readFile('etc/one'))).code).toBe('DIGEST_MISMATCH');
  });

  it('a manifest-position annotation that disagrees with the footer: reported, the footer used', async () => {
    const { zstdChunkedFormat } = await import('../../src/core/formats/zstd-chunked/index.ts');
    const layer = layerOf(fixture(V2), { 'io.github.containers.zstd-chunked.manifest-position': '1:2:3:1' });
    const d = await detectLayer(layer);
    expect(d.facts).toMatchObject({ positionCheck: 'mismatch' });
    expect(zstdChunkedFormat.describe!(d, layer).problems.map((p) => p.message)).toEqual([expect.stringMatching(/manifest-position annotation 1:2:3:1 disagrees/)]);
    expect(await (await openZstdChunked(layer.source)).readFile('etc/one')).toHaveLength(1);
  });
});
