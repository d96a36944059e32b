import { LayerlabError, checkAborted } from '../../errors.ts';
import type { BlobMeta } from './blob-meta.ts';
import type { DecodedBootstrap } from './open-bootstrap.ts';
import { NydusReader, type BlobLookup } from './reader.ts';
import { BLOB_FEATURE, EROFS_BLOCK, TAR_HEADER_SIZE, type BlobInfo, type ChunkInfo, type ChunkRef, type RafsNode } from './types.ts';

/**
 * `nydus-image check` and more (spec §8.1, §8.4): the tree has been walked by the decoder (which
 * throws on structural damage); this checks what refers outside the bootstrap — chunk
 * references against the blob table and the blob's data area or CI array, blob ids against the
 * image's layers, and, with blob data, every chunk's digest.
 */
export interface CheckFinding {
  severity: 'error' | 'warning';
  message: string;
  path?: string;
  blob?: number;
  offset?: number;
}

export interface CheckReport {
  ok: boolean;
  findings: CheckFinding[];
  counts: { dirs: number; files: number; symlinks: number; other: number; hardlinkNames: number; chunkRefs: number; uniqueChunks: number };
  /** Per blob: chunks whose data was read and verified (0 without data). */
  verified: { blob: number; id: string; chunks: number; available: boolean }[];
}

export interface CheckOptions {
  /** Manifest layer digests (`sha256:…` or hex): every blob id must be one of them. */
  layerDigests?: string[];
  /** Blob data, for CI tables and chunk digests. */
  blobOf?: BlobLookup;
  /** The id a blob entry stands for (placeholder ids of inlined bootstraps → layer digest). */
  blobIdOf?: (blob: BlobInfo) => string;
  knownMetas?: Map<number, BlobMeta>;
  signal?: AbortSignal;
}

export async function checkNydus(boot: DecodedBootstrap, o: CheckOptions = {}): Promise<CheckReport> {
  const findings: CheckFinding[] = boot.problems.map((message) => ({ severity: 'warning', message }));
  if (boot.treeError) findings.push({ severity: 'error', message: boot.treeError });
  const counts = { dirs: 0, files: 0, symlinks: 0, other: 0, hardlinkNames: 0, chunkRefs: 0, uniqueChunks: 0 };
  const seen = new Set<number>();
  const refs = new Map<string, { ref: ChunkRef; node: RafsNode }>();
  for (const n of boot.nodes) {
    if (n.type === 'dir') counts.dirs++;
    else if (n.type === 'symlink') counts.symlinks++;
    else if (n.type === 'file') {
      if (seen.has(n.nid)) { counts.hardlinkNames++; continue; }
      seen.add(n.nid);
      counts.files++;
      counts.chunkRefs += n.chunks.length;
      for (const r of n.chunks) if (!refs.has(`${r.blobIndex}:${r.ciIndex}`)) refs.set(`${r.blobIndex}:${r.ciIndex}`, { ref: r, node: n });
    } else counts.other++;
  }
  counts.uniqueChunks = refs.size;

  // Blob ids against the manifest's layers (§6.5: blob id = layer digest hex).
  const idOf = o.blobIdOf ?? ((b: BlobInfo) => b.id);
  if (o.layerDigests) {
    const layers = new Set(o.layerDigests.map((d) => d.replace(/^sha256:/, '')));
    for (const b of boot.blobs) if (!layers.has(idOf(b))) findings.push({ severity: 'error', blob: b.index, message: `blob ${b.index} (${idOf(b)}) is not a layer of the manifest` });
  }

  // Chunk references against what the bootstrap says about each blob.
  for (const { ref, node } of refs.values()) if (ref.info) checkChunkBounds(boot, ref, ref.info, node, findings);

  // With data: the CI array, then every unique chunk's bytes.
  const reader = new NydusReader(boot, o.blobOf ?? (() => undefined), o.knownMetas);
  const verified = boot.blobs.map((b) => ({ blob: b.index, id: idOf(b), chunks: 0, available: !!o.blobOf?.(b) }));
  for (const { ref, node } of refs.values()) {
    checkAborted(o.signal);
    const blob = boot.blobs[ref.blobIndex];
    const available = verified[ref.blobIndex].available;
    let info: ChunkInfo | undefined = ref.info;
    try {
      if (available || o.knownMetas?.has(ref.blobIndex)) {
        if (boot.version === 6 && blob.ciCompressedSize > 0) {
          const ci = await reader.chunkInfo({ ...ref, info: undefined }, node, o.signal);
          if (info && (ci.compressedOffset !== info.compressedOffset || ci.compressedSize !== info.compressedSize || ci.uncompressedOffset !== info.uncompressedOffset || ci.uncompressedSize !== info.uncompressedSize)) {
            findings.push({ severity: 'error', path: node.path, blob: blob.index, message: `chunk ${ref.ciIndex}: CI entry (${ci.compressedOffset}+${ci.compressedSize}, ${ci.uncompressedOffset}+${ci.uncompressedSize}) ≠ chunk table (${info.compressedOffset}+${info.compressedSize}, ${info.uncompressedOffset}+${info.uncompressedSize})` });
          }
          if (!info) { info = ci; checkChunkBounds(boot, ref, ci, node, findings); }
        }
      }
      if (available && info) {
        await reader.readChunk(ref, info, node, { signal: o.signal });
        verified[ref.blobIndex].chunks++;
      }
    } catch (e) {
      if (!(e instanceof LayerlabError) || e.code === 'ABORTED' || e.code === 'INTERNAL') throw e;
      findings.push({ severity: 'error', path: node.path, blob: blob.index, offset: e.context.offset, message: e.describe() });
    }
  }
  return { ok: !findings.some((f) => f.severity === 'error'), findings, counts, verified };
}

/**
 * A chunk must lie inside its blob's chunk-data area — before the CI array (and the `image.blob`
 * tar header, §4.5 "Compressed data size") — and inside the uncompressed blob cache, at the block
 * its index names (§4.10).
 */
function checkChunkBounds(boot: DecodedBootstrap, ref: ChunkRef, c: ChunkInfo, node: RafsNode, findings: CheckFinding[]): void {
  const b = boot.blobs[ref.blobIndex];
  const dataEnd = b.ciOffset > 0 ? b.ciOffset - (b.features & BLOB_FEATURE.hasTarHeader ? TAR_HEADER_SIZE : 0) : b.compressedSize;
  const where = { path: node.path, blob: b.index, offset: c.compressedOffset };
  if (c.compressedOffset + c.compressedSize > dataEnd) {
    findings.push({ severity: 'error', ...where, message: `chunk ${ref.ciIndex} [${c.compressedOffset}, ${c.compressedOffset + c.compressedSize}) is beyond blob ${b.index}'s ${dataEnd}-byte chunk data` });
  }
  if (b.uncompressedSize > 0 && c.uncompressedOffset + c.uncompressedSize > b.uncompressedSize) {
    findings.push({ severity: 'error', ...where, message: `chunk ${ref.ciIndex} uncompressed [${c.uncompressedOffset}, ${c.uncompressedOffset + c.uncompressedSize}) is beyond blob ${b.index}'s ${b.uncompressedSize}-byte cache` });
  }
  if (boot.version === 6 && ref.blkaddr * EROFS_BLOCK !== c.uncompressedOffset) {
    findings.push({ severity: 'error', ...where, message: `chunk ${ref.ciIndex}: index block ${ref.blkaddr} ≠ uncompressed offset ${c.uncompressedOffset} / 4096` });
  }
  if (c.blobIndex !== ref.blobIndex || c.ciIndex !== ref.ciIndex) {
    findings.push({ severity: 'error', ...where, message: `chunk record says blob ${c.blobIndex} CI ${c.ciIndex}, index says blob ${ref.blobIndex} CI ${ref.ciIndex}` });
  }
}
