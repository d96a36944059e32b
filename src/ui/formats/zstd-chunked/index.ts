import type { UiFormat } from '../ui-format.ts';
import ZstdChunkedBadge from './ZstdChunkedBadge.svelte';
import ZstdChunkedPanel from './ZstdChunkedPanel.svelte';

export const zstdChunkedUi: UiFormat = {
  layerBadge: ZstdChunkedBadge,
  layerPanel: { has: (l) => !!l.zstdChunked, component: ZstdChunkedPanel },
  diffIdNote(l) {
    const z = l.zstdChunked;
    if (!z || l.diffID) return undefined;
    const listed = 'not checked: the files were listed from the zstd:chunked manifest, without decompressing the layer (the diffID is a hash of the decompressed tar)';
    return z.tarSplit === 'present' || z.tarSplit === 'ok'
      ? `${listed}; "Manifest" → Verify checks it by rebuilding the tar from the tar-split`
      : `${listed}; this layer has no usable tar-split, so "Manifest" → Verify checks every chunk but not the diffID`;
  },
  layersNote(layers) {
    const n = layers.filter((l) => l.zstdChunked).length;
    if (!n) return undefined;
    const who = n === layers.length ? (n === 1 ? 'The layer is' : 'All layers are') : n === 1 ? 'One layer is' : `${n} layers are`;
    return `${who} zstd:chunked: "Manifest" shows its manifest, chunks and tar-split, and verifies them.`;
  },
};
