/**
 * The reader against the reference's own output (../shared/fixtures/zstd-chunked: the upstream
 * containers/storage 1.43 writer, and blobs in the current layout constructed by zstdchunked-ref):
 * footer fields, manifest bytes and digests from manifest.json / toc/ / annotations/, every file
 * against expected/<input>.files.json, the rebuilt tar against the input tar itself.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { fromBytes } from '../../src/core/bytes/memory-source.ts';
import { detectLayer } from '../../src/core/formats/registry.ts';
import { openZstdChunked, readZstdChunkedFooter, type ZstdChunkedSummary } from '../../src/core/formats/zstd-chunked/index.ts';
import { SHARED } from '../helpers/cli.ts';

const FIXTURES = resolve(SHARED, 'fixtures/zstd-chunked');

interface Output {
  name: string; file: string; input: string; size: number; sha256: string; diff_id: string;
  footer: { kind: string; manifest_offset: number; manifest_compressed_length: number; manifest_uncompressed_length: number };
  manifest_compressed_digest: string; manifest_json_sha256: string; toc_entries: number; chunks_verified?: number;
}
const manifest = JSON.parse(readFileSync(resolve(FIXTURES, 'manifest.json'), 'utf8')) as { inputs: Record<string, { file: string; sha256: string }>; outputs: Output[] };
/** The blobs kept in the repository (t2's are left out for size). */
const present = manifest.outputs.filter((o) => !o.name.startsWith('t2-'));
const ours = present.filter((o) => !o.name.includes('stargz-zstd'));
const stargz = present.filter((o) => o.name.includes('stargz-zstd'));

const blob = (o: Output) => new Uint8Array(readFileSync(resolve(FIXTURES, o.file)));
const sha256 = (b: Uint8Array) => 'sha256:' + createHash('sha256').update(b).digest('hex');
const annotationsOf = (o: Output) => (JSON.parse(readFileSync(resolve(FIXTURES, 'annotations', o.name.replace(/\.zst$/, '').replace(/\.esgz$/, '') + '.json'), 'utf8')) as { annotations: Record<string, string> }).annotations;
const bareLayer = (b: Uint8Array, name: string, annotations?: Record<string, string>) =>
  ({ index: 0, digestIsClaim: false, source: fromBytes(b, name), path: name, descriptor: { mediaType: '', digest: '', size: b.length, annotations } });

interface ExpectedFile { name: string; type: string; size?: number; sha256?: string; linkName?: string }

describe('zstd:chunked fixtures (../shared/fixtures/zstd-chunked)', () => {
  it('has the blobs the README lists', () => {
    expect(ours.length).toBe(6);
    expect(stargz.length).toBe(4);
  });

  for (const o of ours) {
    describe(o.name, () => {
      it('is detected from its bytes alone as zstd-chunked, the variant its footer is', async () => {
        const d = await detectLayer(bareLayer(blob(o), o.name));
        expect(d.format).toBe('zstd-chunked');
        const facts = d.facts as ZstdChunkedSummary;
        expect(facts.variant).toBe(o.footer.kind);
        expect(facts.flavour).toBe('containers-storage');
        expect(facts.manifestDigestCheck).toBe('unchecked');
        expect(facts.tarSplit).toBe(o.footer.kind === 'v2-64' ? 'present' : 'absent');
      });

      it('footer fields equal manifest.json\'s', async () => {
        const f = await readZstdChunkedFooter(fromBytes(blob(o), o.name));
        expect(f?.kind).toBe(o.footer.kind);
        expect(f?.manifest).toEqual({ offset: o.footer.manifest_offset, length: o.footer.manifest_compressed_length, uncompressedLength: o.footer.manifest_uncompressed_length });
      });

      it('manifest is byte-exact toc/, its checksum the annotation\'s, and every chunk and file verifies', async () => {
        const annotations = annotationsOf(o);
        const r = await openZstdChunked(fromBytes(blob(o), o.name), { annotations });
        expect(Buffer.from(r.manifestJson).equals(readFileSync(resolve(FIXTURES, 'toc', o.name.replace(/\.zst$/, '.json'))))).toBe(true);
        expect(sha256(r.manifestJson)).toBe(o.manifest_json_sha256);
        expect(r.manifestDigest).toBe(o.manifest_compressed_digest);
        expect(Object.values(annotations)).toContain(r.manifestDigest);
        expect(r.manifestDigestCheck).toBe('ok');
        expect(r.manifest.entries.length).toBe(o.toc_entries);
        const v = await r.verify({ diffId: o.diff_id });
        expect(v.problems.map((p) => p.describe())).toEqual([]);
        if (o.chunks_verified !== undefined) expect(v.chunks).toBe(o.chunks_verified);
        if (o.footer.kind === 'v2-64') {
          expect(v.tarSplit).toBe('ok');
          expect(v.rebuilt?.diffIdCheck).toBe('ok');
        }
      });

      it('every file read lazily equals expected/<input>.files.json', async () => {
        const r = await openZstdChunked(fromBytes(blob(o), o.name));
        const expected = JSON.parse(readFileSync(resolve(FIXTURES, 'expected', `${o.input}.files.json`), 'utf8')) as ExpectedFile[];
        // Duplicate names: the manifest keeps both entries; a lookup gives the last (tar order).
        const last = new Map(expected.filter((e) => e.type === 'reg').map((e) => [e.name, e]));
        for (const e of last.values()) {
          const bytes = await r.readFile(e.name);
          expect(bytes.length, e.name).toBe(e.size);
          expect(sha256(bytes), e.name).toBe(e.sha256);
        }
        // Every reg entry of the manifest, duplicates included, against the expected list in order.
        const regs = r.manifest.entries.filter((e) => e.type === 'reg').map((e) => e.name);
        expect(regs).toEqual(expected.filter((e) => e.type === 'reg').map((e) => e.name));
        const links = expected.filter((e) => e.type === 'hardlink');
        expect(links.length).toBeGreaterThan(0);
        for (const h of links) expect(sha256(await r.readFile(h.name)), h.name).toBe(last.get(h.linkName!)!.sha256);
      });

      if (o.footer.kind === 'v2-64') {
        it('the tar rebuilt from the tar-split is the input tar byte for byte', async () => {
          const r = await openZstdChunked(fromBytes(blob(o), o.name));
          const parts: Uint8Array[] = [];
          for await (const p of r.tar()) parts.push(p);
          const input = readFileSync(resolve(FIXTURES, manifest.inputs[o.input].file));
          expect(Buffer.concat(parts).equals(input)).toBe(true);
          expect(o.diff_id).toBe(manifest.inputs[o.input].sha256);
        });
      }
    });
  }

  for (const o of stargz) {
    it(`${o.name}: stargz-snapshotter's zstd eStargz is not claimed (the eStargz format's)`, async () => {
      const d = await detectLayer(bareLayer(blob(o), o.name));
      expect(d.format).not.toBe('zstd-chunked');
      await expect(openZstdChunked(fromBytes(blob(o), o.name))).rejects.toThrow(/eStargz zstd variant/);
    });
  }
});
