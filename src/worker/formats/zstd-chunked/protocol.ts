import type { SerializedError } from '../../../core/errors.ts';
import type {
  BlobSpan, FooterKind, ManifestEntry, ZstdChunkedChunk, ZstdChunkedFlavour, ZstdChunkedSummary, ZstdChunkedVerifyReport,
} from '../../../core/formats/zstd-chunked/index.ts';

/** A zstd:chunked layer's footer and manifest, as its panel shows them (plain data). */
export interface ZstdChunkedManifestView {
  layer: number;
  variant: FooterKind;
  flavour: ZstdChunkedFlavour;
  /** Bytes the footer's skippable frame takes at the end of the blob. */
  footerSize: number;
  blobSize: number;
  /** Where the compressed manifest lies (the footer's words). */
  manifest: BlobSpan;
  /** Manifest JSON size as stored, decompressed. */
  manifestBytes: number;
  manifestVersion: number;
  manifestDigest: string;
  manifestDigestCheck: ZstdChunkedSummary['manifestDigestCheck'];
  /** The `manifest-checksum` annotation, when the layer has one. */
  manifestChecksum?: string;
  positionCheck: ZstdChunkedSummary['positionCheck'];
  /** Where the payload frames end (the manifest's frame starts there). */
  dataEnd: number;
  /** The first `entries.length` of `entryTotal` manifest entries, in stored order (`chunk` entries included). */
  entries: ManifestEntry[];
  entryTotal: number;
  /** The chunks of the entries sent, in manifest order; `chunkTotal` counts all. */
  chunks: ZstdChunkedChunk[];
  chunkTotal: number;
  zeroChunks: number;
  duplicates: { name: string; first: number; later: number }[];
  notes: string[];
  /** Findings that do not stop reading (annotations that disagree with the footer), with the layer named. */
  problems: SerializedError[];
  tarSplit: ZstdChunkedSummary['tarSplit'];
  /** Where the tar-split is, what found it and what authenticates it. */
  tarSplitAt?: BlobSpan & { from: 'footer' | 'annotation'; digest?: string; digestFrom?: 'manifest' | 'annotation' };
}

/** One tar-split line: raw tar bytes (a segment) or a file whose content comes from the payload. */
export type TarSplitRow =
  | { type: 'segment'; position: number; size: number }
  | { type: 'file'; position: number; name: string; size: number; crc64?: string };

/** A layer's tar-split, authenticated against its digest; the first `rows.length` lines of `total.entries`. */
export interface ZstdChunkedTarSplitView {
  layer: number;
  span: BlobSpan;
  from: 'footer' | 'annotation';
  digest: string;
  /** Only a tar-split whose digest matches is decoded: a mismatch fails the call. */
  digestCheck: 'ok';
  digestFrom: 'manifest' | 'annotation';
  rows: TarSplitRow[];
  total: { entries: number; segments: number; files: number; segmentBytes: number; fileBytes: number };
}

/** What Verify found (core ZstdChunkedVerifyReport, problems serialized with the layer named). */
export interface ZstdChunkedVerifyResult extends Omit<ZstdChunkedVerifyReport, 'problems'> {
  layer: number;
  problems: SerializedError[];
  seconds: number;
}
