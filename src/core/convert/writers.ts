import { LayerlabError } from '../errors.ts';
import type { GzipLevel } from '../compress/gzip-encoder.ts';
import type { ConvertTarget, LayerFormatWriter } from './layer-writer.ts';
import { gzipLayerWriter, uncompressedLayerWriter, zstdLayerWriter } from './plain-writers.ts';

/** Everything a user can choose about a conversion; the CLI flags and the app dialog both fill it. */
export interface ConvertSettings {
  target: ConvertTarget;
  /** gzip / eStargz deflate level 0–9, zstd level 1–22. */
  level?: number;
  /** eStargz: lossless (the input tar kept byte for byte, as BuildKit) instead of the library's Build. */
  lossless?: boolean;
  /** eStargz: bytes per chunk (default 4 MiB). Nydus: chunk size, a power of two 4 KiB..16 MiB (default 1 MiB). */
  chunkSize?: number;
  /** eStargz: smallest chunk worth its own gzip member (v0.13 `minChunkSize`; 0 = off). */
  minChunkSize?: number;
  /** eStargz: files to put first (Build mode), paths in the image. Nydus: prefetch patterns. */
  prioritize?: string[];
  /** Nydus: chunk compression. */
  compressor?: 'zstd' | 'none';
  /** Nydus: chunk digest. */
  digester?: 'blake3' | 'sha256';
}

export const CONVERT_TARGETS: readonly ConvertTarget[] = ['gzip', 'zstd', 'uncompressed'];

/** The layer writer for the settings; throws UNSUPPORTED for options out of range. */
export async function createLayerWriter(s: ConvertSettings): Promise<LayerFormatWriter> {
  switch (s.target) {
    case 'gzip': return gzipLayerWriter(gzipLevel(s.level ?? 6));
    case 'zstd': return zstdLayerWriter(s.level ?? 3);
    case 'uncompressed': return uncompressedLayerWriter();
    default: throw new LayerlabError('UNSUPPORTED', `converting to ${s.target} is not available yet`);
  }
}

export function gzipLevel(level: number): GzipLevel {
  if (!Number.isInteger(level) || level < 0 || level > 9) throw new LayerlabError('UNSUPPORTED', `gzip level must be 0..9, got ${level}`);
  return level as GzipLevel;
}
