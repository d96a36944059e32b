import type { Component } from 'svelte';
import type { LayerReport } from '../../core/analysis/report.ts';
import type { FormatView } from './format-views.ts';

/**
 * What a format adds to the app (squoosh's per-feature client folders are the model): each folder
 * under src/ui/formats/ exports one of these, listed in ./index.ts. Generic components ask the
 * list; no format is named outside its folder.
 */
export interface UiFormat {
  /** Its own view (tab), and the component that renders it. */
  view?: FormatView & { component: Component };
  /** What the layer table shows in a layer's Format cell after the codec (a badge, a button). */
  layerBadge?: Component<{ layer: LayerReport; onpanel?: (layer: number) => void }>;
  /** A panel under the layer table for one layer (a TOC browser), opened from the badge. */
  layerPanel?: { has(layer: LayerReport): boolean; component: Component<{ layer: LayerReport; onclose: () => void }> };
  /** Why a layer's diffID was not checked, when this format is the reason. */
  diffIdNote?(layer: LayerReport): string | undefined;
  /** One sentence for the layers page when some layers are in this format. */
  layersNote?(layers: LayerReport[]): string | undefined;
}
