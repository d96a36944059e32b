import type { UiFormat } from '../ui-format.ts';
import NydusView from './NydusView.svelte';
import NydusBadge from './NydusBadge.svelte';
import { nydusView } from './view.ts';

export const nydusUi: UiFormat = {
  view: { ...nydusView, component: NydusView },
  layerBadge: NydusBadge,
};
