import {
  openZstdChunked, tarSplitEntries, zstdChunkedReaderOf, type ZstdChunkedReader,
} from '../../../core/formats/zstd-chunked/index.ts';
import { toHex } from '../../../core/bytes/hex.ts';
import { LayerlabError, toLayerlabError, type ErrorContext } from '../../../core/errors.ts';
import type { LayerBlob } from '../../../core/layer/layer.ts';
import type { ProgressSink } from '../../job-progress.ts';
import type { ImageRef, JobId } from '../../protocol.ts';
import type { FormatWorkerContext, RemoteProgress } from '../format-context.ts';
import type { TarSplitRow, ZstdChunkedManifestView, ZstdChunkedTarSplitView, ZstdChunkedVerifyResult } from './protocol.ts';

/** At most this many manifest entries cross to the UI (the totals say how many there are). */
export const MANIFEST_ENTRIES_MAX = 50_000;
/** At most this many tar-split lines cross to the UI. */
export const TAR_SPLIT_ROWS_MAX = 5_000;

/** The zstd:chunked inspector's calls: the manifest browser, the tar-split, and Verify. */
export function zstdChunkedApi(ctx: FormatWorkerContext) {
  /** The layer's reader (footer and manifest only), errors named with the layer. */
  async function open(ref: ImageRef, layer: number, signal: AbortSignal, progress: ProgressSink, what: string) {
    const blob = await ctx.layerBlob(ref, layer, signal, progress);
    const where = whereOf(blob, layer);
    progress({ phase: 'layers', layer, layerDone: 0, layerTotal: 0, done: 0, total: 0, message: `${what} of layer ${layer}` });
    try {
      const reader = await zstdChunkedReaderOf(blob, signal)
        ?? await openZstdChunked(blob.source, { annotations: blob.descriptor.annotations, signal });
      return { blob, reader, where };
    } catch (err) {
      throw toLayerlabError(err).withContext(where);
    }
  }

  return {
    /** A zstd:chunked layer's footer and manifest (only the blob's tail is read). */
    zstdChunkedManifest(job: JobId, ref: ImageRef, layer: number, onProgress?: RemoteProgress): Promise<ZstdChunkedManifestView> {
      return ctx.withProgress(job, onProgress, async (signal, progress) => {
        const { blob, reader, where } = await open(ref, layer, signal, progress, 'reading the zstd:chunked manifest');
        return manifestView(reader, blob, layer, where);
      });
    },

    /** The tar-split's lines (the first TAR_SPLIT_ROWS_MAX, with totals), after its digest is checked. */
    zstdChunkedTarSplit(job: JobId, ref: ImageRef, layer: number, onProgress?: RemoteProgress): Promise<ZstdChunkedTarSplitView> {
      return ctx.withProgress(job, onProgress, async (signal, progress) => {
        const { reader, where } = await open(ref, layer, signal, progress, 'reading the tar-split');
        try {
          const { location, compressed } = await reader.readTarSplit(signal);
          const rows: TarSplitRow[] = [];
          const total = { entries: 0, segments: 0, files: 0, segmentBytes: 0, fileBytes: 0 };
          for await (const e of tarSplitEntries(compressed, location.span, where, signal)) {
            total.entries++;
            let row: TarSplitRow;
            if ('payload' in e) {
              total.segments++;
              total.segmentBytes += e.payload.length;
              row = { type: 'segment', position: e.position, size: e.payload.length };
            } else {
              total.files++;
              total.fileBytes += e.size;
              row = { type: 'file', position: e.position, name: e.name, size: e.size, ...(e.crc64 && { crc64: toHex(e.crc64) }) };
            }
            if (rows.length < TAR_SPLIT_ROWS_MAX) rows.push(row);
          }
          return {
            layer, span: location.span, from: location.from, digest: location.digest!, digestCheck: 'ok',
            digestFrom: reader.manifest.tarSplitDigest ? 'manifest' : 'annotation', rows, total,
          };
        } catch (err) {
          throw toLayerlabError(err).withContext(where);
        }
      });
    },

    /**
     * Every chunk fetched, decompressed on its own and hashed; multi-chunk files' digests; the
     * tar-split rebuilt into the tar and checked against the config's diffID. Findings come back
     * as problems (all of them), a cancel or an unreadable layer as an error.
     */
    verifyZstdChunked(job: JobId, ref: ImageRef, layer: number, onProgress?: RemoteProgress): Promise<ZstdChunkedVerifyResult> {
      return ctx.withProgress(job, onProgress, async (signal, progress) => {
        const t0 = Date.now();
        const { blob, reader, where } = await open(ref, layer, signal, progress, 'opening the manifest');
        const chunkTotal = reader.index.chunks.length;
        let chunksDone = 0;
        try {
          const r = await reader.verify({
            signal,
            diffId: blob.expectedDiffId,
            onProgress: (p) => {
              if (p.phase === 'chunks') chunksDone++;
              const message = p.phase === 'chunks'
                ? (chunksDone < chunkTotal ? `verified ${chunksDone} of ${chunkTotal} chunks` : `verified ${chunkTotal} chunks; rebuilding the tar from the tar-split`)
                : p.phase === 'diffid' ? 'hashing the decompressed stream for the diffID' : 'reading the tar-split';
              progress({ phase: 'layers', layer, layerDone: p.done, layerTotal: p.total, done: p.done, total: p.total, message });
            },
          });
          return {
            layer, variant: r.variant, manifestDigest: r.manifestDigest, manifestDigestCheck: r.manifestDigestCheck, entries: r.entries,
            chunks: r.chunks, zeroChunks: r.zeroChunks, files: r.files, compressedBytes: r.compressedBytes, tarSplit: r.tarSplit,
            ...(r.rebuilt && { rebuilt: r.rebuilt }), notes: r.notes, problems: distinct(r.problems).map((p) => named(p, where)),
            seconds: (Date.now() - t0) / 1000,
          };
        } catch (err) {
          throw toLayerlabError(err).withContext(where);
        }
      });
    },
  };
}

function whereOf(blob: LayerBlob, layer: number): ErrorContext {
  return { layer, layerDigest: blob.descriptor.digest || undefined, file: blob.path };
}

/** A chunk that fails is found again when the tar is rebuilt: each finding once. */
function distinct(problems: LayerlabError[]): LayerlabError[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.code}|${p.message}|${p.context.entry ?? ''}|${p.context.offset ?? ''}`;
    return !seen.has(key) && !!seen.add(key);
  });
}

/** A finding as plain data, with the layer named (and the entry and offset it had). */
function named(p: LayerlabError, where: ErrorContext) {
  // A copy: the reader (and its problems) is kept for later reads.
  return new LayerlabError(p.code, p.message, { ...p.context }).withContext(where).toJSON();
}

function manifestView(reader: ZstdChunkedReader, blob: LayerBlob, layer: number, where: ErrorContext): ZstdChunkedManifestView {
  const all = reader.manifest.entries;
  const entries = all.length > MANIFEST_ENTRIES_MAX ? all.slice(0, MANIFEST_ENTRIES_MAX) : [...all];
  const chunks = reader.index.chunks.filter((c) => c.entryIndex < entries.length);
  const t = reader.tarSplit;
  return {
    layer,
    variant: reader.variant,
    flavour: reader.flavour,
    footerSize: reader.footer.size,
    blobSize: blob.source.size,
    manifest: { ...reader.footer.manifest },
    manifestBytes: reader.manifestJson.length,
    manifestVersion: reader.manifest.version,
    manifestDigest: reader.manifestDigest,
    manifestDigestCheck: reader.manifestDigestCheck,
    ...(reader.manifestChecksum !== undefined && { manifestChecksum: reader.manifestChecksum }),
    positionCheck: reader.positionCheck,
    dataEnd: reader.dataEnd,
    entries,
    entryTotal: all.length,
    chunks: chunks.map((c) => ({ ...c })),
    chunkTotal: reader.index.chunks.length,
    zeroChunks: reader.index.chunks.filter((c) => c.zeros).length,
    duplicates: reader.index.duplicates.map((d) => ({ ...d })),
    notes: [...reader.notes],
    problems: reader.problems.map((p) => named(p, where)),
    tarSplit: reader.summary().tarSplit,
    ...(t && {
      tarSplitAt: {
        ...t.span, from: t.from, ...(t.digest && { digest: t.digest, digestFrom: reader.manifest.tarSplitDigest ? 'manifest' as const : 'annotation' as const }),
      },
    }),
  };
}
