import type { UiFormat } from '../ui-format.ts';
import EstargzBadge from './EstargzBadge.svelte';
import EstargzPanel from './EstargzPanel.svelte';

export const estargzUi: UiFormat = {
  layerBadge: EstargzBadge,
  layerPanel: { has: (l) => !!l.estargz, component: EstargzPanel },
  diffIdNote: (l) => (l.lazyFormat === 'estargz' && !l.diffID
    ? 'not checked: the files were listed from the eStargz TOC, without inflating the layer (the diffID is a hash of the inflated stream); "TOC" → Verify chunks checks every chunk'
    : undefined),
  layersNote(layers) {
    const n = layers.filter((l) => l.estargz).length;
    if (!n) return undefined;
    const who = n === layers.length ? (n === 1 ? 'The layer is' : 'All layers are') : n === 1 ? 'One layer is' : `${n} layers are`;
    return `${who} eStargz: "TOC" shows its table of contents and verifies its chunks.`;
  },
};
