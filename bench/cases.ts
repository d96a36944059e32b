/**
 * Bench cases shared by Node and Chromium: named async functions over the engine's own code.
 * Each gets a BenchContext (the inputs as ByteSources) and returns how many bytes of
 * *uncompressed* data it processed (the MB/s basis) plus anything to verify.
 *
 * To add a case (e.g. the full analysis once `analyzeLayer` exists), append one object:
 *
 *   { name: 'analyze gz', input: 'gz', async run(ctx) {
 *       const src = await ctx.open('gz');
 *       const r = await analyzeLayer(src, {});
 *       return { bytes: r.uncompressedSize, check: r.diffID };
 *   } },
 *
 * `check` values are compared with the expected digest of the input's tar when they look like
 * a digest (see run.mjs), so a fast-but-wrong path cannot win.
 */
import type { ByteSource } from '../src/core/bytes/byte-source.ts';
import { decompress } from '../src/core/compress/decompress.ts';
import { decodeGzip } from '../src/core/compress/gzip-decoder.ts';
import { decodeZstd } from '../src/core/compress/zstd-decoder.ts';
import { createGzipEncoder } from '../src/core/compress/gzip-encoder.ts';
import { createZstdEncoder } from '../src/core/compress/zstd-encoder.ts';
import { createSha256 } from '../src/core/digest/sha256.ts';
import { blake3Hex, createBlake3 } from '../src/core/digest/blake3.ts';
import type { LayerHasherFactory } from '../src/core/digest/digest.ts';
import { openImage } from '../src/core/image/open-image.ts';
import { analyzeImage } from '../src/core/analysis/analyze-image.ts';
import type { CompressionPool } from '../src/core/compress/compression-pool.ts';
import { writeEstargz } from '../src/core/formats/estargz/writer.ts';
import { buildNydusLayer } from '../src/core/formats/nydus/build/layer.ts';
import { directoryOf } from '../src/core/bytes/directory-source.ts';
import { fromBytes } from '../src/core/bytes/memory-source.ts';
import { sourceDigest } from '../src/core/digest/source-digest.ts';
import { convertImage } from '../src/core/convert/convert-image.ts';
import type { ImageSink } from '../src/core/convert/image-sink.ts';
import { nydusLayerWriter } from '../src/core/formats/nydus/target.ts';
import { writeZstdChunked } from '../src/core/formats/zstd-chunked/writer.ts';
import { uncompressedBlob } from '../src/core/layer/layer.ts';
import { readTarEntries } from '../src/core/tar/tar-stream.ts';
import { concatBytes } from '../src/core/bytes/concat.ts';
import type { BlobSpool } from '../src/core/store/blob-spool.ts';

export type InputName = 'tar' | 'gz' | 'zst' | 'gz-members' | 'zst-frames' | 'tar-64m' | 'tar-1g' | 'gz-1g';

export interface BenchContext {
  runtime: 'node' | 'chromium';
  open(name: InputName): Promise<ByteSource>;
  /** The runtime's compression pool (Chromium: module workers, Node: worker threads), one per case. */
  compressionPool?(): CompressionPool;
}

export interface CaseResult {
  /** Uncompressed bytes processed: MB/s = bytes / 1e6 / seconds. */
  bytes: number;
  /** A digest of the uncompressed stream, checked against the input's tar. */
  check?: string;
  /** Anything else worth printing (compressed size, piece size…). */
  extra?: Record<string, unknown>;
  /** When a case times only part of its work itself (a one-shot digest after loading the input). */
  ms?: number;
}

export interface BenchCase {
  name: string;
  /** What it is compared with in the table (a key of the native references). */
  reference?: string;
  input: InputName;
  /** Slow or memory-only cases are run once. */
  runs?: number;
  run(ctx: BenchContext): Promise<CaseResult>;
}

async function count(it: AsyncIterable<Uint8Array>): Promise<number> {
  let n = 0;
  for await (const c of it) n += c.length;
  return n;
}

async function hashOf(it: AsyncIterable<Uint8Array>): Promise<CaseResult> {
  const h = await createSha256();
  let n = 0;
  for await (const c of it) {
    h.update(c);
    n += c.length;
  }
  return { bytes: n, check: h.digest() };
}

/** Stored digest + decompress + diffID: the byte path of a layer scan, minus the tar parser. */
async function layerPipeline(src: ByteSource, compression: 'gzip' | 'zstd', reopen: boolean): Promise<CaseResult> {
  const stored = await createSha256();
  const diff = await createSha256();
  const storedChunks = async function* () {
    for await (const c of src.stream()) {
      stored.update(c);
      yield c;
    }
  };
  let n = 0;
  for await (const c of decompress(storedChunks(), compression, { file: src.name, reopen: reopen ? () => src.stream() : undefined })) {
    diff.update(c);
    n += c.length;
  }
  return { bytes: n, check: diff.digest(), extra: { stored: stored.digest().slice(0, 19) } };
}

const pieceSweep = (kind: 'gunzip' | 'unzstd-js', input: InputName): BenchCase[] =>
  [64 << 10, 256 << 10, 1 << 20, 4 << 20].map((size) => ({
    name: `${kind} pieces=${size >> 10}K`,
    input,
    runs: 1,
    async run(ctx) {
      const src = await ctx.open(input);
      const pieces = { minPiece: size, maxPiece: size };
      const it = kind === 'gunzip' ? decodeGzip(src.stream(), { pieces, reopen: () => src.stream() }) : decodeZstd(src.stream(), { pieces, path: 'js' });
      return { bytes: await count(it), extra: { piece: size } };
    },
  }));

export const CASES: BenchCase[] = [
  {
    name: 'gunzip (decompress, reopen)', reference: 'gzip -dc', input: 'gz',
    async run(ctx) {
      const src = await ctx.open('gz');
      return { bytes: await count(decompress(src.stream(), 'gzip', { file: src.name, reopen: () => src.stream() })) };
    },
  },
  {
    name: 'gunzip (decompress, no reopen)', reference: 'gzip -dc', input: 'gz',
    async run(ctx) {
      const src = await ctx.open('gz');
      return { bytes: await count(decompress(src.stream(), 'gzip', { file: src.name })) };
    },
  },
  {
    name: 'gunzip, JS path (fflate + CRC)', reference: 'gzip -dc', input: 'gz',
    async run(ctx) {
      const src = await ctx.open('gz');
      return { bytes: await count(decodeGzip(src.stream(), { path: 'js' })) };
    },
  },
  {
    name: 'gunzip multi-member, no reopen', reference: 'gzip -dc members', input: 'gz-members',
    async run(ctx) {
      const src = await ctx.open('gz-members');
      return { bytes: await count(decompress(src.stream(), 'gzip')) };
    },
  },
  {
    name: 'gunzip multi-member, reopen', reference: 'gzip -dc members', input: 'gz-members',
    async run(ctx) {
      const src = await ctx.open('gz-members');
      return { bytes: await count(decompress(src.stream(), 'gzip', { reopen: () => src.stream() })) };
    },
  },
  {
    name: 'unzstd one frame (fzstd stream)', reference: 'zstd -dc', input: 'zst',
    async run(ctx) {
      const src = await ctx.open('zst');
      return { bytes: await count(decompress(src.stream(), 'zstd')) };
    },
  },
  {
    name: 'unzstd 4 MiB frames (wasm per frame)', reference: 'zstd -dc frames', input: 'zst-frames',
    async run(ctx) {
      const src = await ctx.open('zst-frames');
      return { bytes: await count(decompress(src.stream(), 'zstd')) };
    },
  },
  {
    name: 'unzstd 4 MiB frames, JS only (fzstd)', reference: 'zstd -dc frames', input: 'zst-frames',
    async run(ctx) {
      const src = await ctx.open('zst-frames');
      return { bytes: await count(decodeZstd(src.stream(), { path: 'js' })) };
    },
  },
  {
    name: 'sha256 stream (hash-wasm)', reference: 'sha256sum', input: 'tar',
    async run(ctx) {
      const src = await ctx.open('tar');
      return hashOf(src.stream());
    },
  },
  {
    name: 'blake3 stream (hash-wasm)', reference: 'b3sum', input: 'tar', runs: 1,
    async run(ctx) {
      const src = await ctx.open('tar');
      const h = await createBlake3();
      let n = 0;
      for await (const c of src.stream()) {
        h.update(c);
        n += c.length;
      }
      return { bytes: n, extra: { digest: h.digest().slice(0, 20) } };
    },
  },
  {
    // What a Nydus chunk digest costs: one-shot BLAKE3 of each 1 MiB piece with our wasm-SIMD
    // module (falls back to hash-wasm where SIMD is missing), against the hash-wasm stream above.
    name: 'blake3 one-shot per 1 MiB chunk (ours, wasm SIMD)', reference: 'b3sum', input: 'tar', runs: 1,
    async run(ctx) {
      const src = await ctx.open('tar');
      let n = 0;
      let last = '';
      for await (const c of src.stream({ chunkSize: 1 << 20 })) {
        last = await blake3Hex(c);
        n += c.length;
      }
      return { bytes: n, extra: { last: last.slice(0, 12) } };
    },
  },
  {
    name: 'layer pipeline gz (sha256 stored + gunzip + sha256 diffID)', reference: 'tar -tzf', input: 'gz',
    async run(ctx) {
      return layerPipeline(await ctx.open('gz'), 'gzip', true);
    },
  },
  {
    name: 'layer pipeline zst (sha256 stored + unzstd + sha256 diffID)', reference: 'tar --zstd -tf', input: 'zst',
    async run(ctx) {
      return layerPipeline(await ctx.open('zst'), 'zstd', false);
    },
  },
  {
    name: 'gzip encode L6 (fflate, members of 4 MiB)', reference: 'gzip -6', input: 'tar-64m', runs: 1,
    async run(ctx) {
      const src = await ctx.open('tar-64m');
      let out = 0;
      let since = 0;
      const enc = createGzipEncoder({ level: 6, ondata: (d) => void (out += d.length) });
      for await (const c of src.stream({ chunkSize: 1 << 20 })) {
        enc.push(c);
        if ((since += c.length) >= 4 << 20) {
          enc.endMember();
          since = 0;
        }
      }
      enc.finish();
      return { bytes: src.size, extra: { ratio: +(out / src.size).toFixed(3) } };
    },
  },
  {
    name: 'zstd encode L3 (wasm, 4 MiB frames)', reference: 'zstd -3 -T1', input: 'tar-64m', runs: 1,
    async run(ctx) {
      const src = await ctx.open('tar-64m');
      let out = 0;
      const enc = await createZstdEncoder({ level: 3, ondata: (d) => void (out += d.length) });
      for await (const c of src.stream({ chunkSize: 1 << 20 })) enc.push(c);
      enc.finish();
      return { bytes: src.size, extra: { ratio: +(out / src.size).toFixed(3) } };
    },
  },
  {
    name: 'analyze gz layer (open + full analysis)', reference: 'tar -tzf', input: 'gz',
    async run(ctx) {
      return analyzeCase(await ctx.open('gz'));
    },
  },
  ...[6, 9].map((level): BenchCase => ({
    name: `estargz: gz layer → eStargz L${level} (build, pool)`, reference: `estargz-ref build L${level} w2`, input: 'gz', runs: 1,
    async run(ctx) {
      return estargzCase(await ctx.open('gz'), level, ctx.compressionPool?.());
    },
  })),
  // The conversion, then where its time goes: without the pool, and without compression at all.
  ...([['zstd, blake3, 1 MiB chunks, pool', true, 'zstd'], ['zstd in line, no pool', false, 'zstd'], ['compressor none', false, 'none']] as const)
    .map(([what, pooled, compressor]): BenchCase => ({
      name: `nydus: gz layer → Nydus layer (${what})`, reference: 'zstd -3 -T2', input: 'gz', runs: 1,
      async run(ctx) {
        return nydusCase(await ctx.open('gz'), pooled ? ctx.compressionPool?.() : undefined, compressor);
      },
    })),
  // The whole conversion as the CLI runs it (stored digest and diffID hashed), and as the app does
  // after its analysis verified both digests (the diffID is not hashed again).
  ...([['CLI', false], ['app, diffID verified by the analysis', true]] as const).map(([what, verified]): BenchCase => ({
    name: `nydus: OCI image (the gz layer) → Nydus image, pool (${what})`, reference: 'zstd -3 -T2', input: 'gz', runs: 1,
    async run(ctx) {
      return nydusImageCase(await ctx.open('gz'), ctx.compressionPool?.(), verified);
    },
  })),
  // Issue 12: the gz layer → zstd:chunked at containers/storage's default level and at zstd's,
  // against zstdchunked-ref (the containers/storage 1.43 writer) and `zstd -N -T2` on its tar.
  ...[3, 10].map((level): BenchCase => ({
    name: `zstd:chunked: gz layer → zstd:chunked L${level} (pool)`, reference: `zstdchunked-ref build L${level}`, input: 'gz', runs: 1,
    async run(ctx) {
      return zstdChunkedCase(await ctx.open('gz'), level, ctx.compressionPool?.());
    },
  })),
  {
    name: 'zstd:chunked layer read back (unzstd + tar parse)', reference: 'tar --zstd -tf', input: 'tar', runs: 1,
    async run(ctx) {
      return zstdChunkedReadBackCase(await ctx.open('tar'), ctx.compressionPool?.());
    },
  },
  ...pieceSweep('gunzip', 'gz'),
  ...pieceSweep('unzstd-js', 'zst'),
];

/**
 * OCI gzip layer → one Nydus layer (what `convert --to nydus` does per layer): gunzip, tar,
 * 1 MiB chunks with blake3 digests, zstd per chunk on the pool, the per-layer bootstrap from the
 * wasm builder, the nydus tar counted (not kept). MB/s of uncompressed tar.
 */
async function nydusCase(src: ByteSource, pool: CompressionPool | undefined, compressor: 'zstd' | 'none' = 'zstd'): Promise<CaseResult> {
  let out = 0;
  let tarBytes = 0;
  try {
    const r = await buildNydusLayer(decompress(src.stream(), 'gzip', { reopen: () => src.stream() }), (c) => void (out += c.length), {
      compressor, pool,
      onProgress: (n) => void (tarBytes = n),
    });
    return { bytes: r.uncompressedSize > 0 ? tarBytes : 0, extra: { ratio: +(out / tarBytes).toFixed(3), pool: pool?.size ?? 1, chunks: r.chunks, unique: r.uniqueChunks, blob: r.blobId.slice(0, 12) } };
  } finally {
    pool?.close();
  }
}

/**
 * A one-layer OCI image around the gz layer → a Nydus image, through `convertImage` as `convert`
 * runs it: stored digest and diffID checked (or, as the app after its analysis, the diffID taken
 * as verified), the layer built, the bootstraps merged and the bootstrap layer made. The digests the image needs are computed first, outside the
 * timing; the output is counted, not kept (a spool that only counts, a sink that drops).
 */
async function nydusImageCase(layer: ByteSource, pool: CompressionPool | undefined, verified: boolean): Promise<CaseResult> {
  const te = new TextEncoder();
  const layerDigest = await sourceDigest(layer);
  const diff = await createSha256();
  let tarSize = 0;
  for await (const c of decompress(layer.stream(), 'gzip', { reopen: () => layer.stream() })) { diff.update(c); tarSize += c.length; }
  const diffId = diff.digest();
  const config = te.encode(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [diffId] }, history: [{ created_by: 'bench' }] }));
  const configDigest = await sourceDigest(fromBytes(config));
  const manifest = te.encode(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: layerDigest, size: layer.size }] }));
  const manifestDigest = await sourceDigest(fromBytes(manifest));
  const index = te.encode(JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: manifestDigest, size: manifest.length }] }));
  const blob = (d: string) => `blobs/sha256/${d.slice(7)}`;
  const dir = directoryOf('bench-image', new Map<string, ByteSource>([
    ['oci-layout', fromBytes(te.encode('{"imageLayoutVersion":"1.0.0"}'))], ['index.json', fromBytes(index)],
    [blob(manifestDigest), fromBytes(manifest)], [blob(configDigest), fromBytes(config)], [blob(layerDigest), layer],
  ]));
  let spooled = 0;
  const spool: BlobSpool = {
    create: () => ({ write: (c) => void (spooled += c.length), finish: async () => fromBytes(new Uint8Array(0)), discard: () => {} }),
  };
  const sink: ImageSink = { layout: 'oci-archive', addBlob: async () => {}, finish: async () => {}, abort: async () => {} };
  try {
    const t = performance.now();
    const img = await openImage({ kind: 'directory', dir });
    const m = await convertImage(img, sink, { writer: nydusLayerWriter({ pool }), spool, verifiedDiffIds: verified ? new Map([[layerDigest, diffId]]) : undefined });
    const ms = performance.now() - t;
    return { bytes: tarSize, ms, extra: { layers: m.layers.length, spooled, out: m.layers.map((l) => l.to.size).reduce((a, b) => a + b, 0) } };
  } finally {
    pool?.close();
  }
}

/**
 * OCI gzip layer → eStargz (estargz.Build semantics): the layer is gunzipped twice (plan pass,
 * then data), every member compressed by the pool, the blob counted (not kept).
 */
async function estargzCase(src: ByteSource, level: number, pool: CompressionPool | undefined): Promise<CaseResult> {
  let out = 0;
  let tarBytes = 0;
  try {
    const r = await writeEstargz(() => decompress(src.stream(), 'gzip', { reopen: () => src.stream() }), (c) => void (out += c.length), {
      mode: 'build', level, pool, onProgress: (n) => void (tarBytes = n),
    });
    return { bytes: tarBytes, extra: { ratio: +(out / tarBytes).toFixed(3), pool: pool?.size ?? 1, passes: r.passes, members: r.members, toc: r.tocDigest.slice(7, 19) } };
  } finally {
    pool?.close();
  }
}

/**
 * OCI gzip layer → zstd:chunked (what `convert --to zstd-chunked` does per layer): gunzip, tar,
 * content-defined chunks, every frame compressed on the pool, manifest + tar-split + footer; the
 * blob is counted, not kept. MB/s of uncompressed tar.
 */
async function zstdChunkedCase(src: ByteSource, level: number, pool: CompressionPool | undefined): Promise<CaseResult> {
  let out = 0;
  try {
    const r = await writeZstdChunked(() => decompress(src.stream(), 'gzip', { reopen: () => src.stream() }), (c) => void (out += c.length), { level, pool });
    return { bytes: r.uncompressedSize, check: r.diffId, extra: { ratio: +(out / r.uncompressedSize).toFixed(3), pool: pool?.size ?? 1, frames: r.frames, chunks: r.chunks } };
  } finally {
    pool?.close();
  }
}

/**
 * Reading a zstd:chunked layer whole, as the analysis and the converter do: the stored bytes
 * through the engine's zstd path (one frame per file and chunk: many small frames) and the tar
 * parser. The blob is written first (level 3, pool), outside the timing.
 */
async function zstdChunkedReadBackCase(tar: ByteSource, pool: CompressionPool | undefined): Promise<CaseResult> {
  const parts: Uint8Array[] = [];
  try {
    await writeZstdChunked(() => tar.stream(), (c) => void parts.push(c.slice()), { level: 3, pool });
  } finally {
    pool?.close();
  }
  const blob = fromBytes(concatBytes(parts));
  parts.length = 0;
  const t = performance.now();
  const { chunks } = await uncompressedBlob(blob, {});
  let entries = 0;
  let bytes = 0;
  const counted = async function* () {
    for await (const c of chunks) {
      bytes += c.length;
      yield c;
    }
  };
  for await (const _ of readTarEntries(counted())) entries++;
  return { bytes, ms: performance.now() - t, extra: { entries, blob: blob.size } };
}

/**
 * What the app does with a dropped layer: openImage (which, for a compressed file, is the one
 * scan of the layer) and analyzeImage with trees, content hashes, digest and diffID.
 */
export async function analyzeCase(src: ByteSource, digestHasher?: LayerHasherFactory): Promise<CaseResult> {
  const img = await openImage({ kind: 'file', source: src }, { digestHasher });
  const { report, trees } = await analyzeImage(img, { digestHasher });
  const l = report.layers[0];
  if (l.error) throw new Error(l.error.text);
  return { bytes: l.uncompressedSize, check: l.diffID, extra: { entries: trees.merged.length } };
}

/** The 1 GiB layer: the full analysis, run alone, with memory sampled (bench/README.md "memory"). */
export const MEMORY_CASE: BenchCase = {
  name: 'analyze gz 1 GiB layer (memory)', reference: 'tar -tzf 1g', input: 'gz-1g', runs: 1,
  async run(ctx) {
    return analyzeCase(await ctx.open('gz-1g'));
  },
};

/**
 * Cases run alone with memory sampled, each in a fresh process (Node) or after resetting the
 * renderers' peak (Chromium). The Nydus conversion runs on the 289 MiB and the 1 GiB layer: if
 * its memory is bounded by chunk size × pool size, both grow alike.
 */
export const MEMORY_CASES: BenchCase[] = [
  MEMORY_CASE,
  ...(['gz', 'gz-1g'] as const).map((input): BenchCase => ({
    name: `nydus: ${input === 'gz' ? '289 MiB' : '1 GiB'} gz layer → Nydus, pool (memory)`, reference: input === 'gz' ? 'zstd -3 -T2' : undefined, input, runs: 1,
    async run(ctx) {
      return nydusCase(await ctx.open(input), ctx.compressionPool?.(), 'zstd');
    },
  })),
];
