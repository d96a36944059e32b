import type { FormatView } from '../format-views.ts';

/** The Nydus inspector, only for Nydus inputs (an image, a bootstrap, a per-layer blob). */
export const nydusView: FormatView = { id: 'nydus', label: 'Nydus', shows: (r) => !!r.nydus };
