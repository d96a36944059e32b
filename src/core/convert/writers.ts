import { LayerlabError } from '../errors.ts';
import type { GzipLevel } from '../compress/gzip-encoder.ts';
import type { ConvertTarget, LayerFormatWriter } from './layer-writer.ts';
import { gzipLayerWriter, uncompressedLayerWriter, zstdLayerWriter } from './plain-writers.ts';
import { nydusLayerWriter } from './nydus-target.ts';
import { estargzLayerWriter } from './estargz-target.ts';
import { inlineCompressionPool } from '../compress/compression-pool.ts';
import type { CompressionPool } from '../compress/compression-pool.ts';

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
  compressor?: 'zstd' | 'lz4_block' | 'none';
  /** Nydus: chunk digest. */
  digester?: 'blake3' | 'sha256';
  /** Nydus: reference chunks a lower layer already stores (default true). */
  dedup?: boolean;
}

/** What the caller lends the writer: the compression pool of its platform (closed by the caller). */
export interface WriterResources {
  pool?: CompressionPool;
}

export const CONVERT_TARGETS: readonly ConvertTarget[] = ['gzip', 'zstd', 'uncompressed', 'estargz', 'nydus'];

/** The layer writer for the settings; throws UNSUPPORTED for options out of range. */
export async function createLayerWriter(s: ConvertSettings, r: WriterResources = {}): Promise<LayerFormatWriter> {
  switch (s.target) {
    case 'gzip': return gzipLayerWriter(gzipLevel(s.level ?? 6));
    case 'zstd': return zstdLayerWriter(s.level ?? 3);
    case 'uncompressed': return uncompressedLayerWriter();
    case 'estargz':
      return estargzLayerWriter({ lossless: s.lossless, chunkSize: s.chunkSize, minChunkSize: s.minChunkSize, level: gzipLevel(s.level ?? 9),
        prioritize: s.prioritize, pool: r.pool ?? inlineCompressionPool() });
    case 'nydus':
      if (s.chunkSize !== undefined && !(s.chunkSize >= 4096 && s.chunkSize <= 16 << 20 && (s.chunkSize & (s.chunkSize - 1)) === 0)) {
        throw new LayerlabError('UNSUPPORTED', `Nydus chunk size must be a power of two from 4 KiB to 16 MiB, got ${s.chunkSize}`);
      }
      return nydusLayerWriter({ chunkSize: s.chunkSize, compressor: s.compressor, digester: s.digester, prefetch: s.prioritize, dedup: s.dedup, pool: r.pool });
    default: throw new LayerlabError('UNSUPPORTED', `converting to ${s.target} is not available yet`);
  }
}

export function gzipLevel(level: number): GzipLevel {
  if (!Number.isInteger(level) || level < 0 || level > 9) throw new LayerlabError('UNSUPPORTED', `gzip level must be 0..9, got ${level}`);
  return level as GzipLevel;
}
