import { fromBlob } from '../../../src/core/bytes/blob-source.ts';
import { decompress, type DecompressOptions } from '../../../src/core/compress/decompress.ts';
import { decodeGzip } from '../../../src/core/compress/gzip-decoder.ts';
import { createGzipEncoder } from '../../../src/core/compress/gzip-encoder.ts';
import { createZstdEncoder } from '../../../src/core/compress/zstd-encoder.ts';
import { nativeGunzipSupport } from '../../../src/core/compress/native-gunzip.ts';
import { detectCompression } from '../../../src/core/compress/sniff.ts';
import { createSha256 } from '../../../src/core/digest/sha256.ts';
import { LayerlabError } from '../../../src/core/errors.ts';

/** One decode in the browser: what came out, or how it failed. */
export interface CheckResult {
  name: string;
  size: number;
  digest?: string;
  error?: { code: string; offset?: number; message: string };
  reopened?: number;
}

export interface CheckReport {
  where: string;
  nativeGunzip: string;
  results: CheckResult[];
  /** sha256 of our encoders' output for `encode-input`: must equal Node's (reproducible layers). */
  encoded: { gzip: string; zstd: string };
}

/** The same inputs decoded several ways: default path, with reopen(), a forced early hand-over. */
export async function runChecks(where: string): Promise<CheckReport> {
  const names = ((await (await fetch('/__fixtures/index.json')).json()) as string[]).filter((n) => n !== 'encode-input');
  const results: CheckResult[] = [];
  for (const name of names) {
    const blob = await (await fetch(`/__fixtures/${name}`)).blob();
    const src = fromBlob(blob, name);
    const compression = detectCompression(await src.read(0, 4));
    results.push(await decode(`${name}`, decompress(src.stream({ chunkSize: 1 << 20 }), compression, { file: name })));
    if (compression === 'gzip') {
      let reopened = 0;
      const reopen: DecompressOptions['reopen'] = () => {
        reopened++;
        return src.stream();
      };
      const r = await decode(`${name} +reopen`, decompress(src.stream({ chunkSize: 1 << 20 }), 'gzip', { file: name, reopen }));
      results.push({ ...r, reopened });
      results.push(await decode(`${name} +handover`, decodeGzip(src.stream({ chunkSize: 64 << 10 }), { file: name, replayLimit: 256 << 10 })));
    }
  }
  return { where, nativeGunzip: await nativeGunzipSupport(), results, encoded: await encodeSample() };
}

/** The converters' encoders on a fixed input, members/frames included. */
export async function encodeSample(input?: Uint8Array): Promise<{ gzip: string; zstd: string }> {
  const data = input ?? new Uint8Array(await (await fetch('/__fixtures/encode-input')).arrayBuffer());
  const gz = await createSha256();
  const g = createGzipEncoder({ level: 9, ondata: (d) => gz.update(d) });
  const zs = await createSha256();
  const z = await createZstdEncoder({ level: 3, frameSize: 1 << 20, ondata: (d) => zs.update(d) });
  for (let p = 0; p < data.length; p += 300_000) {
    g.push(data.subarray(p, p + 300_000));
    g.endMember();
    z.push(data.subarray(p, p + 300_000));
  }
  g.finish();
  z.finish();
  return { gzip: gz.digest(), zstd: zs.digest() };
}

async function decode(name: string, it: AsyncIterable<Uint8Array>): Promise<CheckResult> {
  const h = await createSha256();
  let size = 0;
  try {
    for await (const c of it) {
      h.update(c);
      size += c.length;
    }
    return { name, size, digest: h.digest() };
  } catch (e) {
    if (!(e instanceof LayerlabError)) return { name, size, error: { code: 'NOT_LAYERLAB_ERROR', message: String(e) } };
    return { name, size, error: { code: e.code, offset: e.context.offset, message: e.message } };
  }
}
