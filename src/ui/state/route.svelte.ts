import { formatRoute, parseRoute, type Route } from '../lib/route.ts';

/**
 * The current Route, kept in step with `location.hash`. Selection changes replace the history
 * entry (so Back is not a list of every file clicked); opening something else pushes one.
 */
class RouteState {
  current = $state<Route>(parseRoute(location.hash));

  constructor() {
    addEventListener('hashchange', () => { this.current = parseRoute(location.hash); });
  }

  /** Applies a change; `push` makes a new history entry. */
  set(change: Partial<Route>, push = false): void {
    const next: Route = { ...this.current, ...change };
    const hash = formatRoute(next);
    if (hash !== (location.hash || '#')) history[push ? 'pushState' : 'replaceState'](null, '', hash);
    this.current = next;
  }

  /** A link to the current route with a change (for <a href>). */
  href(change: Partial<Route>): string {
    return formatRoute({ ...this.current, ...change });
  }
}

export const route = new RouteState();
