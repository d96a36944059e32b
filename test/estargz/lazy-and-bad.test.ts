/**
 * Blobs no fixture has, from the test builder (./blob-builder.ts): a 100 MB layer for the lazy
 * read proof, and broken footers, TOCs and chunk maps for the errors.
 */
import { describe, it, expect } from 'vitest';
import { fromBytes } from '../../src/core/bytes/memory-source.ts';
import { openEstargz } from '../../src/core/formats/estargz/reader.ts';
import { detectLazyFormat } from './detect-lazy.ts';
import { LayerlabError } from '../../src/core/errors.ts';
import { countingSource } from '../helpers/counting-source.ts';
import { thrown } from '../helpers/layerlab-error.ts';
import { buildEstargz, footer, generatedFile, memoryFile } from './blob-builder.ts';


const small = () => [memoryFile('etc/hello', 'hello, world\n'), memoryFile('etc/empty', ''), generatedFile('big.bin', 20000, 7)];

describe('lazy reading', () => {
  it('reads one small file of a ≥ 100 MB eStargz layer fetching under 1% of it', async () => {
    const SMALL = 'small/readme.txt';
    const text = 'only this file is wanted\n'.repeat(40);
    const files = [
      ...Array.from({ length: 13 }, (_, i) => generatedFile(`data/part-${i}.bin`, 4 << 20, i + 1)),
      memoryFile(SMALL, text),
      ...Array.from({ length: 12 }, (_, i) => generatedFile(`data/more-${i}.bin`, 4 << 20, i + 100)),
    ];
    const built = buildEstargz(files, { chunkSize: 1 << 20 });
    const uncompressed = files.reduce((s, f) => s + f.size, 0);
    expect(uncompressed).toBeGreaterThanOrEqual(100 << 20);
    const src = countingSource(fromBytes(built.blob, 'big.esgz'));

    const r = await openEstargz(src, { tocDigest: built.tocDigest });
    expect(r.chunks.length).toBe(25 * 4 + 1);
    expect(new TextDecoder().decode(await r.readFile(SMALL))).toBe(text);
    expect(src.bytesRead).toBeLessThan(built.blob.length / 100);
    expect(src.bytesRead).toBeLessThan(uncompressed / 100);

    // A range of one chunk in the middle of a big file: that chunk's member, not the file's.
    const before = src.bytesRead;
    const piece = await r.readFile('data/part-5.bin', { offset: (2 << 20) + 10, length: 100 });
    expect(Buffer.from(piece).equals(Buffer.from(files[5].bytes(2 << 20, 1 << 20).subarray(10, 110)))).toBe(true);
    expect(src.bytesRead - before).toBeLessThan(built.blob.length / 50);
  });
});

describe('the legacy stargz footer (47 bytes, spec §5.2)', () => {
  it('is detected and read; one-chunk files verify by their digest', async () => {
    const built = buildEstargz(small(), { editToc: (t) => { for (const e of t.entries) delete e.chunkDigest; } });
    const hex = new TextEncoder().encode(built.tocOffset.toString(16).padStart(16, '0') + 'STARGZ');
    const legacy = new Uint8Array([0x1f, 0x8b, 0x08, 0x04, 0, 0, 0, 0, 0, 0xff, 22, 0, ...hex, 0x01, 0x00, 0x00, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(legacy.length).toBe(47);
    const blob = new Uint8Array(built.blob.length - 51 + 47);
    blob.set(built.blob.subarray(0, built.blob.length - 51));
    blob.set(legacy, blob.length - 47);
    expect(await detectLazyFormat(fromBytes(blob))).toMatchObject({ footer: 'stargz-legacy', tocOffset: built.tocOffset });
    const r = await openEstargz(fromBytes(blob));
    expect(new TextDecoder().decode(await r.readFile('etc/hello'))).toBe('hello, world\n');
    expect((await r.verifyChunks()).chunks).toBe(2);
  });
});

describe('bad input: each a LayerlabError with its offset', () => {
  it('a footer whose TOC offset is past the footer, or not hex', async () => {
    const { blob } = buildEstargz(small());
    const at = blob.length - 51;
    for (const f of [footer(blob.length + 5), footer(0, 'zzzzzzzzzzzzzzzz'), footer(at)]) {
      const bad = blob.slice();
      bad.set(f, at);
      for (const attempt of [() => openEstargz(fromBytes(bad, 'bad.esgz')), () => detectLazyFormat(fromBytes(bad, 'bad.esgz'))]) {
        const e = await thrown(attempt());
        expect(e.code).toBe('BAD_LAZY_FORMAT');
        expect(e.context).toMatchObject({ offset: at, offsetSpace: 'compressed', file: 'bad.esgz' });
      }
    }
  });

  it('a footer pointing at something that is not the TOC member', async () => {
    const built = buildEstargz(small());
    const bad = built.blob.slice();
    bad.set(footer(0), bad.length - 51); // offset 0: the first member, a tar header of etc/hello
    const e = await thrown(openEstargz(fromBytes(bad, 'bad.esgz')));
    expect(e.code).toBe('BAD_LAZY_FORMAT');
    expect(e.message).toMatch(/etc\/hello/);
    expect(e.context).toMatchObject({ offset: 0, offsetSpace: 'compressed' });
  });

  it('a TOC that is not JSON', async () => {
    const built = buildEstargz(small(), { tocJson: new TextEncoder().encode('{"version": 1, "entries": [') });
    const e = await thrown(openEstargz(fromBytes(built.blob, 'x.esgz')));
    expect(e.code).toBe('BAD_JSON');
    expect(e.context).toMatchObject({ offset: built.tocOffset, offsetSpace: 'compressed', file: 'x.esgz' });
    const v = await thrown(openEstargz(fromBytes(buildEstargz(small(), { tocJson: new TextEncoder().encode('{"version": 2, "entries": []}') }).blob)));
    expect(v.code).toBe('BAD_JSON');
  });

  it('a TOC that is too large', async () => {
    const built = buildEstargz(small());
    const e = await thrown(openEstargz(fromBytes(built.blob), { limits: { maxJson: 100 } }));
    expect(e.code).toBe('TOO_LARGE');
    expect(e.context).toMatchObject({ offset: built.tocOffset, offsetSpace: 'compressed' });
    const c = await thrown(openEstargz(fromBytes(built.blob), { limits: { maxCompressed: 10 } }));
    expect(c.code).toBe('TOO_LARGE');
    expect(c.context.offset).toBe(built.tocOffset);
  });

  it('a TOC member that is corrupt gzip: the offset is in the blob', async () => {
    const built = buildEstargz(small());
    const bad = built.blob.slice();
    bad[built.tocOffset + 20] ^= 0xff;
    const e = await thrown(openEstargz(fromBytes(bad)));
    expect(['BAD_COMPRESSION', 'TRUNCATED', 'BAD_TAR', 'BAD_LAZY_FORMAT']).toContain(e.code);
    expect(e.context).toMatchObject({ offset: built.tocOffset, offsetSpace: 'compressed' });
  });

  it('chunk offsets outside the blob', async () => {
    const built = buildEstargz(small(), { editToc: (t) => { t.entries.find((e) => e.name === 'big.bin')!.offset = 1e9; } });
    const e = await thrown(openEstargz(fromBytes(built.blob)));
    expect(e.code).toBe('BAD_LAZY_FORMAT');
    expect(e.context).toMatchObject({ entry: 'big.bin', offset: 1e9, offsetSpace: 'compressed' });
    expect(e.message).toMatch(/outside the \d+-byte blob/);
  });

  it('a chunk digest mismatch: verify and read both refuse, naming entry and offset', async () => {
    const zero = 'sha256:' + '0'.repeat(64);
    let offset = 0;
    const built = buildEstargz(small(), { editToc: (t) => { const e = t.entries.find((x) => x.name === 'etc/hello')!; e.chunkDigest = zero; offset = e.offset as number; } });
    const r = await openEstargz(fromBytes(built.blob));
    // one at a time: a second promise made up front could reject while the first is awaited (unhandled)
    for (const attempt of [() => r.verifyChunks(), () => r.readFile('etc/hello')]) {
      const e = await thrown(attempt());
      expect(e.code).toBe('DIGEST_MISMATCH');
      expect(e.context).toMatchObject({ entry: 'etc/hello', offset, offsetSpace: 'compressed' });
    }
    expect((await r.readFile('big.bin')).length).toBe(20000); // the other files still read
  });

  it('a TOC digest that is not the annotation', async () => {
    const built = buildEstargz(small());
    const e = await thrown(openEstargz(fromBytes(built.blob), { tocDigest: 'sha256:' + '1'.repeat(64) }));
    expect(e.code).toBe('DIGEST_MISMATCH');
    expect(e.context.offset).toBe(built.tocOffset);
    expect((await detectLazyFormat(fromBytes(built.blob), { expectedTocDigest: 'sha256:' + '1'.repeat(64) }))?.tocDigestCheck).toBe('mismatch');
    expect((await detectLazyFormat(fromBytes(built.blob), { expectedTocDigest: built.tocDigest }))?.tocDigestCheck).toBe('ok');
  });

  it('a path that is not a regular file', async () => {
    const r = await openEstargz(fromBytes(buildEstargz(small()).blob));
    expect((await thrown(r.readFile('nope'))).code).toBe('NOT_FOUND');
    expect((await r.readFile('etc/empty')).length).toBe(0);
  });
});
