/**
 * Damaged nydus input, made by patching real fixtures: each is a LayerlabError with an offset,
 * never a hang (every test has a short timeout).
 */
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fromBytes } from '../../src/core/bytes/memory-source.ts';
import { decodeBootstrapV6 } from '../../src/core/formats/nydus/bootstrap-v6.ts';
import { openNydusLayerBlob, readEntry } from '../../src/core/formats/nydus/layer-blob.ts';
import { parseBlobMetaFile, readBlobMeta } from '../../src/core/formats/nydus/blob-meta.ts';
import { checkNydus } from '../../src/core/formats/nydus/check.ts';
import { NydusReader } from '../../src/core/formats/nydus/reader.ts';
import { SHARED } from '../helpers/cli.ts';

const DF = resolve(SHARED, 'fixtures/nydus/dragonflyoss-nydus');
const BE7 = 'be7d77eeb719f70884758d1aa800ed0fb09d701aaec469964e9d54325f0d5fef';
const boot = () => new Uint8Array(readFileSync(resolve(DF, 'rafs-v6-2.2.boot')));
const blobBytes = () => new Uint8Array(readFileSync(resolve(DF, BE7)));
const tocLayer = () => new Uint8Array(readFileSync(resolve(DF, '2fa78cad554b75ac91a4a125ed148d0ddeb25efa4aaa8bd80e5dc292690a4dca')));
const dv = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

// rafs-v6-2.2.boot: meta_blkaddr 2, root nid 128 at 8192 + 128·32 = 12288 (extended, inline
// dirents right after its 64 bytes: ".", "..", "lib.rs", "sync_io.rs"); /lib.rs = nid 133 at
// 12448, its chunk index at 12512; blob table at 4096; chunk table at 16384.
const ROOT_DIRENTS = 12288 + 64;
const LIB_CHUNK_INDEX = 12512;

function decodeError(bytes: Uint8Array): unknown {
  try { decodeBootstrapV6(bytes, { file: 'patched.boot' }); } catch (e) { return e; }
  return undefined;
}

describe('bad bootstraps', () => {
  it('a directory whose entries loop back to the root', { timeout: 5000 }, () => {
    const b = boot();
    dv(b).setBigUint64(ROOT_DIRENTS + 2 * 12, 128n, true); // "lib.rs" → nid 128 (the root itself)
    expect(decodeError(b)).toMatchObject({ code: 'BAD_LAZY_FORMAT', message: expect.stringMatching(/reached a second time: the directory entries loop/), context: { offset: 12288 } });
  });

  it('a dirent naming a nid beyond the file', { timeout: 5000 }, () => {
    const b = boot();
    dv(b).setBigUint64(ROOT_DIRENTS + 3 * 12, 1_000_000n, true);
    expect(decodeError(b)).toMatchObject({ code: 'BAD_LAZY_FORMAT', message: expect.stringMatching(/nid 1000000 is outside/) });
  });

  it('a chunk index beyond the blob\'s chunk count, and a device id of 0', () => {
    const b = boot();
    dv(b).setUint16(LIB_CHUNK_INDEX, 5, true);
    expect(decodeError(b)).toMatchObject({ code: 'BAD_LAZY_FORMAT', message: expect.stringMatching(/CI index 5, but blob 0 has 2/), context: { offset: LIB_CHUNK_INDEX } });
    const c = boot();
    dv(c).setUint16(LIB_CHUNK_INDEX + 2, 0, true);
    expect(decodeError(c)).toMatchObject({ message: expect.stringMatching(/device 0.*1-based/), context: { offset: LIB_CHUNK_INDEX } });
  });

  it('unknown compressor and digester codes, and conflicting super flags', () => {
    const a = boot();
    dv(a).setUint32(4096 + 76, 9, true);
    expect(decodeError(a)).toMatchObject({ code: 'BAD_LAZY_FORMAT', message: expect.stringMatching(/compression_algo code 9/), context: { offset: 4096 + 76 } });
    const d = boot();
    dv(d).setUint32(4096 + 80, 7, true);
    expect(decodeError(d)).toMatchObject({ code: 'BAD_LAZY_FORMAT', message: expect.stringMatching(/digest_algo code 7/), context: { offset: 4096 + 80 } });
    const f = boot();
    dv(f).setUint32(1152, 0x194 | 0x1, true); // zstd and none
    expect(decodeError(f)).toMatchObject({ message: expect.stringMatching(/2 compressors/), context: { offset: 1152 } });
    const u = boot();
    dv(u).setUint32(1152, 0x194 | 0x1000, true);
    expect(decodeError(u)).toMatchObject({ message: expect.stringMatching(/unknown bits/), context: { offset: 1152 } });
  });

  it('a truncated bootstrap and a foreign one', () => {
    expect(decodeError(boot().subarray(0, 4200))).toMatchObject({ code: 'TRUNCATED', message: expect.stringMatching(/meta_blkaddr 2 is beyond/), context: { offset: 1064 } });
    expect(decodeError(boot().subarray(0, 12288))).toMatchObject({ message: expect.stringMatching(/nid 128 is outside the bootstrap/), context: { offset: 12288 } });
    expect(decodeError(new Uint8Array(8192))).toMatchObject({ code: 'UNKNOWN_FORMAT', context: { offset: 1024 } });
  });

  it('chunk references beyond the blob: check reports them, the reader refuses them', async () => {
    const b = boot();
    dv(b).setBigUint64(16384 + 80 + 48, 20_000n, true); // chunk-table entry of /lib.rs (sorted second): compressed_offset
    const decoded = decodeBootstrapV6(b, { file: 'patched.boot' });
    const src = fromBytes(blobBytes(), BE7);
    const r = await checkNydus(decoded, { blobOf: () => src });
    expect(r.ok).toBe(false);
    expect(r.findings.map((f) => f.message).join('\n')).toMatch(/chunk 0 \[20000, 24828\) is beyond blob 0's 7802-byte chunk data/);
    expect(r.findings.map((f) => f.message).join('\n')).toMatch(/CI entry .* ≠ chunk table/);
    await expect(new NydusReader(decoded, () => src).readFile('/lib.rs')).rejects.toMatchObject({ code: 'TRUNCATED', context: { offset: 20000 } });
  });

  it('a chunk whose bytes do not match its digest', async () => {
    const bytes = blobBytes();
    bytes[100] ^= 0xff;
    const decoded = decodeBootstrapV6(boot());
    const err = await new NydusReader(decoded, () => fromBytes(bytes, BE7)).readFile('/lib.rs').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: expect.stringMatching(/DIGEST_MISMATCH|BAD_COMPRESSION/), context: { offset: 0 } });
  });
});

describe('bad blob.meta', () => {
  it('truncated in the blob stream', async () => {
    const decoded = decodeBootstrapV6(boot());
    const cut = fromBytes(blobBytes().subarray(0, 9000), BE7);
    await expect(readBlobMeta(cut, decoded.blobs[0])).rejects.toMatchObject({ code: 'TRUNCATED', context: { offset: 8346 } });
  });

  it('truncated cache-file form', () => {
    const f = new Uint8Array(readFileSync(resolve(DF, '233c72f2b6b698c07021c4da367cfe2dff4f049efbaa885ca0ff760ea297865a.blob.meta')));
    const cut = new Uint8Array(f.length - 4096);
    cut.set(f.subarray(0, f.length - 8192));
    cut.set(f.subarray(f.length - 4096), f.length - 8192); // data shortened, header kept
    expect(() => parseBlobMetaFile(cut, 'cut.blob.meta')).toThrow(expect.objectContaining({ code: 'TRUNCATED', context: expect.objectContaining({ offset: cut.length }) }));
    expect(() => parseBlobMetaFile(f.subarray(0, 1000), 'tiny')).toThrow(expect.objectContaining({ code: 'TRUNCATED' }));
  });
});

describe('bad per-layer TOC', () => {
  it('unknown TOC compression flags', async () => {
    const b = tocLayer();
    dv(b).setUint32(9010 + 128, 0x3, true); // blob.meta entry: none|zstd
    await expect(openNydusLayerBlob(fromBytes(b, 'layer'))).rejects.toMatchObject({ code: 'BAD_LAZY_FORMAT', message: expect.stringMatching(/compression flags 0x3/), context: { offset: 9010 + 128 } });
  });

  it('a TOC entry beyond the layer', async () => {
    const b = tocLayer();
    dv(b).setBigUint64(9010 + 3 * 128 + 56, 99_999n, true); // image.boot offset
    await expect(openNydusLayerBlob(fromBytes(b, 'layer'))).rejects.toMatchObject({ code: 'BAD_LAZY_FORMAT', message: expect.stringMatching(/beyond the 10034-byte layer/), context: { offset: 9010 + 3 * 128 } });
  });

  it('a TOC digest that does not match', async () => {
    const b = tocLayer();
    b[9010 + 3 * 128 + 24] ^= 1; // image.boot digest
    const lb = await openNydusLayerBlob(fromBytes(b, 'layer'));
    await expect(readEntry(lb, 'image.boot')).rejects.toMatchObject({ code: 'DIGEST_MISMATCH', context: { offset: 7997 } });
  });

  it('a damaged tail header and a record size pointing before the start', async () => {
    const b = tocLayer();
    b[b.length - 512 + 3] ^= 0x20; // name changes, checksum no longer matches
    await expect(openNydusLayerBlob(fromBytes(b, 'layer'))).rejects.toMatchObject({ code: 'BAD_LAZY_FORMAT', context: { offset: 9522 } });
    const c = tocLayer().subarray(3000); // cut off the start: image.blob's size points before byte 0
    await expect(openNydusLayerBlob(fromBytes(c, 'layer'))).rejects.toMatchObject({ code: 'BAD_LAZY_FORMAT' });
  });
});
