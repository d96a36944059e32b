import { engine } from '../../state/engine.ts';
import { LayerChecks } from '../../state/layer-checks.svelte.ts';

/**
 * "Verify chunks" per eStargz layer: every chunk fetched, decompressed from its own gzip member
 * and hashed in the worker. Results stay for the open image.
 */
export const estargzChecks = new LayerChecks((layer) => `Verifying the chunks of layer ${layer}`,
  (signal, image, layer, onProgress) => engine.verifyEstargz(signal, image, layer, onProgress));
