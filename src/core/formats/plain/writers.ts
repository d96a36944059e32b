import { createGzipEncoder, type GzipLevel } from '../../compress/gzip-encoder.ts';
import { createZstdEncoder } from '../../compress/zstd-encoder.ts';
import { createSha256 } from '../../digest/sha256.ts';
import { checkAborted } from '../../errors.ts';
import type { LayerFormatWriter, LayerWriteContext, WrittenLayer } from '../layer-format.ts';

/**
 * The three plain layer encodings of the OCI image-spec (layer.md): tar, tar+gzip, tar+zstd.
 * The tar is copied byte for byte, so the diffID stays what it was — except for a source whose tar
 * is a prefix of its stream (an eStargz blob loses its TOC entry, spec §8.1), which gets the
 * diffID of the original.
 */
export function gzipLayerWriter(level: GzipLevel = 6): LayerFormatWriter {
  return {
    target: 'gzip',
    async write(ctx) {
      // At level 6 (zlib's default, the only level it offers) the platform's zlib is 2–2.5× faster
      // than fflate (bench/README.md); other levels need fflate.
      if (level === 6 && typeof CompressionStream === 'function') return nativeGzip(ctx);
      const out: Uint8Array[] = [];
      const enc = createGzipEncoder({ level, ondata: (c) => out.push(c) });
      return copyTar(ctx, 'gzip', (c) => enc.push(c), () => enc.finish(), out);
    },
  };
}

export function zstdLayerWriter(level = 3): LayerFormatWriter {
  return {
    target: 'zstd',
    async write(ctx) {
      const out: Uint8Array[] = [];
      // High levels take seconds per 4 MiB frame, and a frame is one wasm call that cannot be
      // interrupted: smaller frames keep cancel prompt (and cost little ratio at those levels).
      const enc = await createZstdEncoder({ level, frameSize: level >= 10 ? 1 << 20 : 4 << 20, ondata: (c) => out.push(c) });
      return copyTar(ctx, 'zstd', (c) => enc.push(c), () => enc.finish(), out);
    },
  };
}

export function uncompressedLayerWriter(): LayerFormatWriter {
  return {
    target: 'uncompressed',
    async write(ctx) {
      const out: Uint8Array[] = [];
      return copyTar(ctx, 'none', (c) => out.push(c), () => {}, out);
    },
  };
}

async function nativeGzip(ctx: LayerWriteContext): Promise<WrittenLayer> {
  const cs = new CompressionStream('gzip');
  const writer = cs.writable.getWriter();
  const reader = cs.readable.getReader();
  const drained = (async () => {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      await ctx.sink(value);
    }
  })();
  const diff = await createSha256();
  let n = 0;
  try {
    for await (const chunk of ctx.tar()) {
      checkAborted(ctx.signal, { file: ctx.file, layer: ctx.layer.index, offset: n, offsetSpace: 'uncompressed' });
      diff.update(chunk);
      n += chunk.length;
      // The stream may keep the chunk until it is compressed: hand it a copy the tar reader cannot reuse.
      await writer.write(chunk.slice());
    }
    await writer.close();
    await drained;
  } catch (e) {
    await writer.abort(e).catch(() => {});
    await drained.catch(() => {});
    throw e;
  }
  return { compression: 'gzip', diffId: diff.digest() };
}

/** Streams the tar through an encoder whose output lands in `out`, draining it to the sink as it fills. */
async function copyTar(ctx: LayerWriteContext, compression: WrittenLayer['compression'],
  push: (c: Uint8Array) => void, finish: () => void, out: Uint8Array[]): Promise<WrittenLayer> {
  const diff = await createSha256();
  let n = 0;
  const drain = async () => {
    const parts = out.splice(0);
    for (const p of parts) await ctx.sink(p);
  };
  for await (const chunk of ctx.tar()) {
    checkAborted(ctx.signal, { file: ctx.file, layer: ctx.layer.index, offset: n, offsetSpace: 'uncompressed' });
    diff.update(chunk);
    n += chunk.length;
    push(chunk);
    await drain();
  }
  finish();
  await drain();
  return { compression, diffId: diff.digest() };
}
