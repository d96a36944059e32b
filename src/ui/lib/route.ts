/**
 * The URL hash holds what is open and what is selected, so a reload (or a shared link) comes
 * back to the same place: `#source=sample&view=files&layer=merged&path=app/hello.sh`.
 * `#sample` alone is accepted too (the README's `npm start` link).
 */
import { FORMAT_VIEWS } from '../formats/format-views.ts';

/** The app's own views, and those formats add (an inspector of their own: ../formats/format-views.ts). */
export type View = 'overview' | 'layers' | 'files' | 'waste' | 'cache' | (string & {});
export const VIEWS: View[] = ['overview', 'layers', 'files', 'waste', ...FORMAT_VIEWS.map((v) => v.id), 'cache'];

export type RouteSource =
  | { kind: 'sample' }
  | { kind: 'url'; url: string }
  /** An analysis in the browser cache (a dropped file or folder, after a reload). */
  | { kind: 'cache'; key: string };

export interface Route {
  source?: RouteSource;
  platform?: string;
  view: View;
  /** 'merged' or a layer index. */
  layer: 'merged' | number;
  path?: string;
}

export function parseRoute(hash: string): Route {
  const raw = hash.replace(/^#/, '');
  const q = new URLSearchParams(raw === 'sample' ? 'source=sample' : raw);
  const route: Route = { view: 'overview', layer: 'merged' };
  const src = q.get('source');
  if (src === 'sample') route.source = { kind: 'sample' };
  else if (src === 'url' && q.get('url')) route.source = { kind: 'url', url: q.get('url')! };
  else if (src === 'cache' && q.get('key')) route.source = { kind: 'cache', key: q.get('key')! };
  const view = q.get('view');
  if (view && (VIEWS as string[]).includes(view)) route.view = view as View;
  const layer = q.get('layer');
  if (layer && /^\d+$/.test(layer)) route.layer = Number(layer);
  const path = q.get('path');
  if (path) route.path = path;
  const platform = q.get('platform');
  if (platform) route.platform = platform;
  return route;
}

export function formatRoute(r: Route): string {
  const q = new URLSearchParams();
  if (r.source) {
    q.set('source', r.source.kind);
    if (r.source.kind === 'url') q.set('url', r.source.url);
    if (r.source.kind === 'cache') q.set('key', r.source.key);
  }
  if (r.platform) q.set('platform', r.platform);
  if (r.view !== 'overview') q.set('view', r.view);
  if (r.layer !== 'merged') q.set('layer', String(r.layer));
  if (r.path) q.set('path', r.path);
  // Keep '/' and ':' readable in paths, URLs and digests.
  return '#' + q.toString().replace(/%2F/gi, '/').replace(/%3A/gi, ':');
}

export function sameSource(a: RouteSource | undefined, b: RouteSource | undefined): boolean {
  if (!a || !b) return a === b;
  if (a.kind !== b.kind) return false;
  if (a.kind === 'url') return a.url === (b as { url: string }).url;
  if (a.kind === 'cache') return a.key === (b as { key: string }).key;
  return true;
}
