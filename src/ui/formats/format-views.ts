import type { ImageReport } from '../../core/analysis/report.ts';
import { nydusView } from './nydus/view.ts';

/**
 * A view (a tab of its own) that a format adds for images in it. Plain data, no components, so
 * the router (../lib/route.ts) can know the view names without loading any UI.
 */
export interface FormatView {
  /** The view's name in the URL (`#view=…`). */
  id: string;
  label: string;
  /** Whether the open image has something for this view. */
  shows(report: ImageReport): boolean;
}

export const FORMAT_VIEWS: readonly FormatView[] = [nydusView];
