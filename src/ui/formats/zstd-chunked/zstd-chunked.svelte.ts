import type { ZstdChunkedSummary } from '../../../core/formats/zstd-chunked/index.ts';
import { engine } from '../../state/engine.ts';
import { LayerChecks } from '../../state/layer-checks.svelte.ts';

/**
 * "Verify" per zstd:chunked layer: every chunk fetched, decompressed on its own and hashed, and
 * the tar rebuilt from the tar-split against the diffID, in the worker. Results stay for the open image.
 */
export const zstdChunkedChecks = new LayerChecks((layer) => `Verifying zstd:chunked layer ${layer}`,
  (signal, image, layer, onProgress) => engine.verifyZstdChunked(signal, image, layer, onProgress));

/** The footer shape in a few words (spec §2, §9), for the badge. */
export function variantLabel(v: ZstdChunkedSummary['variant']): string {
  return v === 'v2-64' ? 'v2 (64-byte footer)' : v === 'v1-40' ? 'v1 (40-byte, containers/storage ≤ 1.46)' : 'interim (56-byte)';
}

/** The footer shape with who writes it and where its tar-split is, for the panel. */
export function variantText(v: ZstdChunkedSummary['variant']): string {
  return v === 'v2-64' ? '64-byte GNUlInUx footer (containers/storage ≥ 1.50): it locates the manifest and the tar-split'
    : v === 'v1-40' ? '40-byte GnUlInUx footer (containers/storage ≤ 1.46): the manifest only, no tar-split'
      : '56-byte GnUlInUx footer (containers/storage 1.47–1.49): the tar-split is located by the tarsplit-position annotation';
}

export function checkText(c: 'ok' | 'mismatch' | 'unchecked'): string {
  return c === 'ok' ? 'matches the annotation' : c === 'mismatch' ? 'does NOT match the annotation' : 'not checked (no annotation)';
}

export function tarSplitText(s: ZstdChunkedSummary['tarSplit']): string {
  return s === 'absent' ? 'none (the tar cannot be rebuilt, so the diffID is not checked through it)'
    : s === 'unauthenticated' ? 'present but not authenticated (no tarSplitDigest, no tarsplit-checksum): not used'
      : s === 'present' ? 'present, its digest known' : s === 'ok' ? 'digest verified' : 'digest does NOT match';
}
