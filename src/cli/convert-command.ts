import { openImage, type ImageInput } from '../core/image/open-image.ts';
import { fromUrl } from '../core/bytes/http-source.ts';
import { formatBytes, shortDigest } from '../core/format.ts';
import { archiveSink } from '../core/convert/archive-sink.ts';
import { layoutSink } from '../core/convert/layout-sink.ts';
import type { ImageSink, OutputLayout } from '../core/convert/image-sink.ts';
import { convertImage, convertLayerBlob, finishOutput, type ConvertedManifest, type LayerConversion } from '../core/convert/convert-image.ts';
import { createLayerWriter, type ConvertSettings } from '../core/convert/writers.ts';
import type { ConvertTarget } from '../core/convert/layer-writer.ts';
import type { Progress } from '../core/progress.ts';
import { UsageError, type ParsedArgs } from './args.ts';
import { inputFromPath, tempDirSpool } from './node-sources.ts';
import { directoryTarget, fileSink } from './node-targets.ts';
import { nodeCompressionPool } from './node-compression-pool.ts';

export const CONVERT_USAGE = `  layerlab convert SRC --to gzip|zstd|uncompressed -o OUT [--level L]
  layerlab convert SRC --to estargz -o OUT [--lossless] [--chunk-size N] [--min-chunk-size N]
                   [--level L] [--prioritize PATH ...]
  layerlab convert SRC --to nydus -o OUT [--chunk-size N] [--compressor zstd|lz4_block|none]
                   [--digester blake3|sha256] [--prefetch PATH ...] [--no-dedup]
      (all:)       [--platform P | --all-platforms] [--oci] [--docker-archive] [--json]`;

export const CONVERT_VALUED = ['to', 'o', 'output', 'level', 'chunk-size', 'min-chunk-size', 'compressor', 'digester', 'prefetch', 'prioritize'];

const TARGETS: ConvertTarget[] = ['gzip', 'zstd', 'uncompressed', 'estargz', 'nydus'];

/**
 * `layerlab convert SRC --to T -o OUT`. OUT ending in `.tar` (or with --docker-archive) is an
 * archive; anything else a new OCI layout folder. A lone layer blob converts to a lone blob.
 */
export async function convertCommand(args: ParsedArgs, signal: AbortSignal, onProgress?: (p: Progress) => void): Promise<number> {
  const [, src] = args.positional;
  const to = str(args.flags.get('to'));
  const outPath = str(args.flags.get('o')) ?? str(args.flags.get('output'));
  if (!src) throw new UsageError('convert needs SRC');
  if (!to || !TARGETS.includes(to as ConvertTarget)) throw new UsageError(`convert needs --to ${TARGETS.join('|')}`);
  if (!outPath) throw new UsageError('convert needs -o OUT');
  const compressor = str(args.flags.get('compressor'));
  const digester = str(args.flags.get('digester'));
  if (compressor !== undefined && compressor !== 'zstd' && compressor !== 'lz4_block' && compressor !== 'none') throw new UsageError('--compressor is zstd, lz4_block or none');
  if (digester !== undefined && digester !== 'blake3' && digester !== 'sha256') throw new UsageError('--digester is blake3 or sha256');
  const listOf = (key: string) => (args.lists.get(key) ?? []).flatMap((v) => v.split(',')).filter(Boolean);
  const settings: ConvertSettings = {
    target: to as ConvertTarget, level: num(args, 'level'), chunkSize: num(args, 'chunk-size'), minChunkSize: num(args, 'min-chunk-size'),
    lossless: args.flags.has('lossless'), prioritize: [...listOf('prioritize'), ...listOf('prefetch')],
    compressor, digester, dedup: !args.flags.has('no-dedup'),
  };
  if (!settings.prioritize?.length) delete settings.prioritize;
  const pool = nodeCompressionPool();
  const writer = await createLayerWriter(settings, { pool });
  const spool = tempDirSpool();
  const t0 = Date.now();
  try {
    const input: ImageInput = /^https?:\/\//.test(src) ? { kind: 'file', source: await fromUrl(src, { signal }) } : await inputFromPath(src);
    const platform = str(args.flags.get('platform'));
    const first = await openImage(input, { platform, spool, signal, onProgress, contentHash: 'none' });
    if (first.kind === 'layer') {
      const out = await fileSink(outPath);
      const r = await convertLayerBlob(first, out, { writer, signal, onProgress });
      clear(onProgress);
      return report(args, { source: src, target: to, output: outPath, layout: 'layer', layers: [r], seconds: (Date.now() - t0) / 1000 });
    }
    const layout: OutputLayout = args.flags.has('docker-archive') ? 'docker-archive' : outPath.endsWith('.tar') ? 'oci-archive' : 'oci-layout';
    let abortDir: (() => Promise<void>) | undefined;
    let sink: ImageSink;
    if (layout === 'oci-layout') {
      const dir = await directoryTarget(outPath);
      abortDir = dir.abortAll;
      sink = layoutSink(dir);
    } else sink = archiveSink(await fileSink(outPath), layout);
    const opts = { writer, spool, signal, onProgress, mediaTypes: args.flags.has('oci') ? 'oci' as const : 'keep' as const };
    try {
      const manifests: ConvertedManifest[] = [];
      const platforms = args.flags.has('all-platforms') && first.platforms.length > 1 ? first.platforms.map((p) => p.platform) : undefined;
      if (!platforms) manifests.push(await convertImage(first, sink, opts));
      else {
        await first.close?.();
        for (const p of platforms) {
          const img = await openImage(input, { platform: p, spool, signal, onProgress, contentHash: 'none' });
          try { manifests.push(await convertImage(img, sink, opts)); } finally { await img.close?.(); }
        }
      }
      await finishOutput(sink, manifests, signal);
      clear(onProgress);
      return report(args, {
        source: src, target: to, output: outPath, layout, seconds: (Date.now() - t0) / 1000,
        manifests: manifests.map((m) => ({ digest: m.descriptor.digest, platform: m.descriptor.platform, mediaType: m.descriptor.mediaType, config: m.configDigest, notes: m.notes })),
        layers: manifests.flatMap((m) => m.layers),
      });
    } catch (e) {
      await sink.abort();
      await abortDir?.();
      throw e;
    }
  } finally {
    pool.close();
    spool.dispose();
  }
}

interface ConvertReport {
  source: string;
  target: string;
  output: string;
  layout: OutputLayout | 'layer';
  seconds: number;
  manifests?: { digest: string; platform?: object; mediaType: string; config: string; notes: string[] }[];
  layers: LayerConversion[];
}

function report(args: ParsedArgs, r: ConvertReport): number {
  if (args.flags.has('json')) { process.stdout.write(JSON.stringify(r, null, 2) + '\n'); return 0; }
  for (const l of r.layers) {
    const what = l.action === 'kept' ? `kept (${l.reason})` : l.from ? `${formatBytes(l.from.size)} → ${formatBytes(l.to.size)}` : `added, ${formatBytes(l.to.size)}`;
    process.stdout.write(`layer ${l.index} ${l.from ? shortDigest(l.from.digest) : '(new)'} → ${shortDigest(l.to.digest)} ${what}${l.summary ? `; ${l.summary}` : ''} (${l.seconds.toFixed(1)} s)\n`);
  }
  for (const m of r.manifests ?? []) for (const n of m.notes) process.stdout.write(`note: ${n}\n`);
  const kind = r.layout === 'layer' ? 'layer blob' : r.layout === 'oci-layout' ? 'OCI layout' : r.layout === 'oci-archive' ? 'OCI archive' : 'docker-archive';
  process.stdout.write(`wrote ${r.output} (${kind}${r.layout === 'layer' ? `, ${r.layers[0].to.mediaType}` : ''}) in ${r.seconds.toFixed(1)} s\n`);
  return 0;
}

function str(v: string | true | undefined): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function num(args: ParsedArgs, key: string): number | undefined {
  const v = args.flags.get(key);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== 'string' || !Number.isFinite(n)) throw new UsageError(`--${key} needs a number`);
  return n;
}

function clear(onProgress: unknown): void {
  if (onProgress) process.stderr.write('\r\x1b[K');
}


