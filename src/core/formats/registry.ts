import { LayerlabError, toLayerlabError } from '../errors.ts';
import type { OpenedImage } from '../image/opened-image.ts';
import type { Descriptor } from '../image/types.ts';
import { blobCompression, type LayerBlob } from '../layer/layer.ts';
import { estargzFormat } from './estargz/index.ts';
import { nydusFormat } from './nydus/index.ts';
import { zstdChunkedFormat } from './zstd-chunked/index.ts';
import { gzipFormat, uncompressedFormat, zstdFormat } from './plain/index.ts';
import type {
  ConvertSettings, DetectedLayer, FileNodeRef, ImageReader, ImageReaderOptions, LayerFormat, OptionSpec, OptionValue, TargetInfo,
  ValidOptions, WriterResources,
} from './layer-format.ts';
import type { LayerFormatWriter } from './layer-format.ts';
import { dependentDefault } from './layer-format.ts';

/**
 * Every layer format layerlab knows, in detection order: formats that refine a codec (eStargz is
 * gzip with a TOC, a Nydus blob is a tar with chunk data) before the plain codecs, which match
 * any layer and so come last. The order of `targets()` is the same list without the ones that
 * cannot be written. Adding a format: docs/architecture.md, "How to add a format".
 */
export const FORMATS: readonly LayerFormat[] = [nydusFormat, estargzFormat, zstdChunkedFormat, gzipFormat, zstdFormat, uncompressedFormat];

/** Conversion targets in the order the CLI and the app list them (plain first, then lazy). */
const TARGET_ORDER = ['gzip', 'zstd', 'uncompressed', 'estargz', 'zstd-chunked', 'nydus'];

export function formatById(id: string): LayerFormat | undefined {
  return FORMATS.find((f) => f.id === id);
}

/** The formats that can be written, as plain data (the app's target cards, the CLI's `--to`). */
export function targets(): TargetInfo[] {
  const writable = FORMATS.filter((f) => f.target);
  const rank = (f: LayerFormat) => { const i = TARGET_ORDER.indexOf(f.id); return i < 0 ? TARGET_ORDER.length : i; };
  return [...writable].sort((a, b) => rank(a) - rank(b))
    .map((f) => ({ id: f.id, label: f.label, hint: f.hint, lazy: f.lazy, options: f.target!.options }));
}

/**
 * What a layer is, from its bytes: the first format whose `detect` says so. A format that finds
 * itself damaged throws (with the layer named); that is not "some other format".
 */
export async function detectLayer(layer: LayerBlob, o: { signal?: AbortSignal; image?: OpenedImage } = {}): Promise<DetectedLayer> {
  const ctx = { file: layer.path, layer: layer.index, layerDigest: layer.descriptor.digest || undefined };
  try {
    const compression = await blobCompression(layer.source, o.signal);
    for (const f of FORMATS) {
      const found = await f.detect(layer, { signal: o.signal, image: o.image, compression });
      if (found) return found;
    }
  } catch (e) {
    throw toLayerlabError(e).withContext(ctx);
  }
  throw new LayerlabError('INTERNAL', 'no layer format matched (the plain codecs match every layer)', ctx);
}

/** The image reader of the format the image is in, if its format reads images through their metadata. */
export function imageReaderFor(img: OpenedImage, o: ImageReaderOptions): ImageReader | undefined {
  for (const f of FORMATS) {
    const r = f.imageReader?.(img, o);
    if (r) return r;
  }
  return undefined;
}

/** A lone input that is not a tar but a format's own artifact (a Nydus bootstrap). */
export function sniffLoneInput(head: Uint8Array, tail: Uint8Array): { format: string; kind: string; mediaType: string } | undefined {
  for (const f of FORMATS) {
    const r = f.sniffLoneInput?.(head, tail);
    if (r) return { format: f.id, ...r };
  }
  return undefined;
}

/** Reads a file node through the format index that holds it; undefined: inflate the tar instead. */
export async function readFileLazily(img: OpenedImage, node: FileNodeRef, range: { offset: number; length: number; signal?: AbortSignal }): Promise<Uint8Array | undefined> {
  for (const f of FORMATS) {
    const bytes = await f.readFile?.(img, node, range);
    if (bytes) return bytes;
  }
  return undefined;
}

/** The format that a layer holding image metadata (not files) belongs to, if any. */
export function metadataLayerFormat(d: Descriptor): LayerFormat | undefined {
  return FORMATS.find((f) => f.image?.isMetadataLayer(d));
}

/** Annotations that describe one encoding of a layer and must not outlive its re-encoding. */
export function encodingAnnotations(): Set<string> {
  // containerd's digest of the uncompressed layer: any re-encoding makes it stale.
  return new Set([...FORMATS.flatMap((f) => f.annotations), 'containerd.io/uncompressed']);
}

/** Whether a layer media type belongs to a format layerlab reads. */
export function isFormatMediaType(mt: string | undefined): boolean {
  return mt !== undefined && FORMATS.some((f) => f.mediaTypes.includes(mt));
}

/**
 * Settings checked against the target's option specs, defaults filled in — the one place where
 * options are validated (the CLI and the app both come through here). Throws UNSUPPORTED naming
 * the option and the allowed values.
 */
export function validateSettings(s: ConvertSettings): { format: LayerFormat; options: ValidOptions } {
  const format = formatById(s.target);
  if (!format?.target) {
    throw new LayerlabError('UNSUPPORTED', `converting to ${s.target} is not available; targets: ${targets().map((t) => t.id).join(', ')}`);
  }
  const specs = format.target.options;
  const known = new Set(specs.map((o) => o.key));
  for (const [k, v] of Object.entries(s)) {
    if (k === 'target' || v === undefined) continue;
    if (!known.has(k)) {
      const owner = FORMATS.find((f) => f.target?.options.some((o) => o.key === k));
      throw new LayerlabError('UNSUPPORTED', `${format.label} has no option ${k}${owner ? ` (it is an option of ${owner.label})` : ''}`);
    }
  }
  const options: Record<string, OptionValue> = {};
  for (const spec of specs) options[spec.key] = checkOption(format, spec, s[spec.key] ?? dependentDefault(specs, spec, s));
  return { format, options };
}

function checkOption(format: LayerFormat, spec: OptionSpec, v: OptionValue | undefined): OptionValue {
  const bad = (why: string) => new LayerlabError('UNSUPPORTED', `${format.label} ${spec.label.toLowerCase()} ${why}`);
  if (v === undefined) return spec.kind === 'list' ? [] : spec.default;
  switch (spec.kind) {
    case 'int':
      if (typeof v !== 'number' || !Number.isInteger(v) || v < spec.min || v > spec.max || (spec.powerOfTwo && (v & (v - 1)) !== 0)) {
        const range = spec.unit === 'bytes' ? `${sizeText(spec.min)} to ${sizeText(spec.max)}` : `${spec.min}..${spec.max}`;
        throw bad(`must be ${spec.powerOfTwo ? 'a power of two' : 'a whole number'} from ${range}, got ${String(v)}`);
      }
      return v;
    case 'choice':
      if (typeof v !== 'string' || !spec.values.some((c) => c.value === v)) throw bad(`is ${spec.values.map((c) => c.value).join(', ')}; got ${String(v)}`);
      return v;
    case 'bool':
      if (typeof v !== 'boolean') throw bad(`is true or false, got ${String(v)}`);
      return v;
    case 'list':
      if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw bad('is a list of paths');
      return [...v];
  }
}

function sizeText(n: number): string {
  return n >= 1 << 20 ? `${n / (1 << 20)} MiB` : n >= 1024 ? `${n / 1024} KiB` : `${n} B`;
}

/** The layer writer for the settings (validated here); throws UNSUPPORTED for options out of range. */
export async function createLayerWriter(s: ConvertSettings, r: WriterResources = {}): Promise<LayerFormatWriter> {
  const { format, options } = validateSettings(s);
  return format.target!.createWriter(options, r);
}

/** Whether converting to `target` compresses on a pool of workers (the caller then lends one). */
export function targetUsesPool(target: string): boolean {
  return !!formatById(target)?.target?.pooled;
}
