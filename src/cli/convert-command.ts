import { openImage, type ImageInput } from '../core/image/open-image.ts';
import { fromUrl } from '../core/bytes/http-source.ts';
import { formatBytes, shortDigest } from '../core/display.ts';
import { archiveSink } from '../core/convert/archive-sink.ts';
import { layoutSink } from '../core/convert/layout-sink.ts';
import type { ImageSink, OutputLayout } from '../core/convert/image-sink.ts';
import { convertLayerBlob, type LayerConversion } from '../core/convert/convert-image.ts';
import { runConversion } from '../core/convert/run-conversion.ts';
import { createLayerWriter, targetUsesPool, targets, validateSettings } from '../core/formats/registry.ts';
import type { ConvertSettings, OptionSpec } from '../core/formats/layer-format.ts';
import { toLayerlabError } from '../core/errors.ts';
import type { Progress } from '../core/progress.ts';
import { UsageError, type ParsedArgs } from './args.ts';
import { inputFromPath, tempDirSpool } from './node-sources.ts';
import { directoryTarget, fileSink } from './node-targets.ts';
import { nodeCompressionPool } from './node-compression-pool.ts';

/** `convert`'s usage, a line per target from its option specs (formats/registry.ts). */
export const CONVERT_USAGE = [
  ...targets().map((t) => `  layerlab convert SRC --to ${t.id} -o OUT${t.options.map(flagUsage).join('')}`),
  '      (all:)       [--platform P | --all-platforms] [--oci] [--docker-archive] [--json]',
].join('\n');

/** Flags of every target that take a value (main.ts parses argv once). */
export const CONVERT_VALUED = ['to', 'o', 'output', ...new Set(targets().flatMap((t) => t.options.filter((o) => o.kind === 'int' || o.kind === 'choice' || o.kind === 'list')
  .flatMap((o) => [o.flag, ...(o.aliases ?? [])])))];

function flagUsage(o: OptionSpec): string {
  switch (o.kind) {
    case 'int': return ` [--${o.flag} ${o.unit === 'bytes' ? 'N' : o.key === 'level' ? 'L' : 'N'}]`;
    case 'choice': return ` [--${o.flag} ${o.values.map((v) => v.value).join('|')}]`;
    case 'bool': return o.negativeFlag ? ` [--${o.negativeFlag}]` : ` [--${o.flag}]`;
    case 'list': return ` [--${o.flag} PATH ...]`;
  }
}

/**
 * The settings a target's flags say, checked against its option specs by the registry. A flag of
 * another target is a usage error naming the target it belongs to.
 */
export function settingsFromFlags(args: ParsedArgs, target: string): ConvertSettings {
  const info = targets().find((t) => t.id === target);
  if (!info) throw new UsageError(`convert needs --to ${targets().map((t) => t.id).join('|')}`);
  const mine = new Set(info.options.flatMap((o) => [o.flag, ...(o.aliases ?? []), ...(o.kind === 'bool' && o.negativeFlag ? [o.negativeFlag] : [])]));
  for (const t of targets()) {
    if (t.id === target) continue;
    for (const o of t.options) {
      for (const f of [o.flag, ...(o.aliases ?? []), ...(o.kind === 'bool' && o.negativeFlag ? [o.negativeFlag] : [])]) {
        if (!mine.has(f) && args.flags.has(f)) throw new UsageError(`--${f} is an option of --to ${t.id}, not of --to ${target}`);
      }
    }
  }
  const settings: ConvertSettings = { target };
  for (const o of info.options) {
    const given = [o.flag, ...(o.aliases ?? [])].filter((f) => args.flags.has(f));
    if (o.kind === 'list') {
      const values = given.flatMap((f) => (args.lists.get(f) ?? [])).flatMap((v) => v.split(',')).filter(Boolean);
      if (values.length) settings[o.key] = values;
    } else if (o.kind === 'bool') {
      if (o.negativeFlag && args.flags.has(o.negativeFlag)) settings[o.key] = false;
      else if (given.length) settings[o.key] = true;
    } else if (given.length) {
      const v = args.flags.get(given[0]);
      if (typeof v !== 'string') throw new UsageError(`--${given[0]} needs a value`);
      if (o.kind === 'int') {
        const n = Number(v);
        if (!Number.isFinite(n)) throw new UsageError(`--${given[0]} needs a number`);
        settings[o.key] = n;
      } else settings[o.key] = v;
    }
  }
  try {
    validateSettings(settings);
  } catch (e) {
    throw new UsageError(toLayerlabError(e).message);
  }
  return settings;
}

/**
 * `layerlab convert SRC --to T -o OUT`. OUT ending in `.tar` (or with --docker-archive) is an
 * archive; anything else a new OCI layout folder. A lone layer blob converts to a lone blob.
 */
export async function convertCommand(args: ParsedArgs, signal: AbortSignal, onProgress?: (p: Progress) => void): Promise<number> {
  const [, src] = args.positional;
  const to = str(args.flags.get('to'));
  const outPath = str(args.flags.get('o')) ?? str(args.flags.get('output'));
  if (!src) throw new UsageError('convert needs SRC');
  if (!to) throw new UsageError(`convert needs --to ${targets().map((t) => t.id).join('|')}`);
  const settings = settingsFromFlags(args, to);
  if (!outPath) throw new UsageError('convert needs -o OUT');
  const spool = tempDirSpool();
  const t0 = Date.now();
  try {
    const input: ImageInput = /^https?:\/\//.test(src) ? { kind: 'file', source: await fromUrl(src, { signal }) } : await inputFromPath(src);
    const platform = str(args.flags.get('platform'));
    const first = await openImage(input, { platform, spool, signal, onProgress, contentHash: 'none' });
    if (first.kind === 'layer') {
      const out = await fileSink(outPath);
      const pool = targetUsesPool(settings.target) ? nodeCompressionPool() : undefined;
      try {
        const writer = await createLayerWriter(settings, { pool });
        const r = await convertLayerBlob(first, out, { writer, signal, onProgress });
        clear(onProgress);
        return report(args, { source: src, target: to, output: outPath, layout: 'layer', layers: [r], seconds: (Date.now() - t0) / 1000 });
      } finally {
        pool?.close();
      }
    }
    const layout: OutputLayout = args.flags.has('docker-archive') ? 'docker-archive' : outPath.endsWith('.tar') ? 'oci-archive' : 'oci-layout';
    let abortDir: (() => Promise<void>) | undefined;
    let sink: ImageSink;
    if (layout === 'oci-layout') {
      const dir = await directoryTarget(outPath);
      abortDir = dir.abortAll;
      sink = layoutSink(dir);
    } else sink = archiveSink(await fileSink(outPath), layout);
    let firstClosed = false;
    try {
      const { manifests } = await runConversion({
        settings, image: first, sink, spool, signal, onProgress, pool: () => nodeCompressionPool(),
        mediaTypes: args.flags.has('oci') ? 'oci' : 'keep',
        allPlatforms: args.flags.has('all-platforms'),
        openPlatform: async (p) => {
          // Each platform is opened afresh; the first opening is not needed any more.
          if (!firstClosed) { firstClosed = true; await first.close?.(); }
          return openImage(input, { platform: p, spool, signal, onProgress, contentHash: 'none' });
        },
      });
      clear(onProgress);
      return report(args, {
        source: src, target: to, output: outPath, layout, seconds: (Date.now() - t0) / 1000,
        manifests: manifests.map((m) => ({ digest: m.descriptor.digest, platform: m.descriptor.platform, mediaType: m.descriptor.mediaType, config: m.configDigest, notes: m.notes })),
        layers: manifests.flatMap((m) => m.layers),
      });
    } catch (e) {
      await abortDir?.();
      throw e;
    }
  } finally {
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

function clear(onProgress: unknown): void {
  if (onProgress) process.stderr.write('\r\x1b[K');
}


