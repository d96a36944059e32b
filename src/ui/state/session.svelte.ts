import type { TreeNode } from '../../core/analysis/report.ts';
import { EngineError, toEngineError } from '../engine-client.ts';
import type { RouteSource } from '../lib/route.ts';
import type { AnalyzeOutcome, EngineInput, JobProgress } from '../../worker/protocol.ts';
import { engine } from './engine.ts';
import { JobTracker } from './job.svelte.ts';
import { route } from './route.svelte.ts';
import { settings } from './settings.svelte.ts';

/** Where the bundled sample is, relative to the page (works from any static host path). */
export function sampleUrl(): string {
  return new URL(`${import.meta.env.BASE_URL}sample/sample.tar`, location.href).href;
}

export interface OpenRequest {
  input: EngineInput;
  /** What the hash should say afterwards; undefined: the cache key (a dropped file). */
  source?: RouteSource;
  label: string;
  platform?: string;
  /** Keep the view, layer and path of the current route (a reload or a shared link). */
  keepSelection?: boolean;
}

/** The failure of the last open, with what it was about. */
export interface OpenFailure {
  label: string;
  error: EngineError;
}

/**
 * The image being looked at: opening it (one job at a time; a new open cancels the previous),
 * its report and trees, and the per-layer trees fetched on demand.
 */
class ImageSession {
  outcome = $state.raw<AnalyzeOutcome | null>(null);
  /** What the outcome was opened from (for the title and for reopening with another platform). */
  opened = $state.raw<OpenRequest | null>(null);
  /** The last open asked for, successful or not (a failed open can be retried with a platform). */
  lastRequest = $state.raw<OpenRequest | null>(null);
  job = $state.raw<JobTracker | null>(null);
  failure = $state.raw<OpenFailure | null>(null);
  /** A quiet note after a cancel ("Cancelled opening x"). */
  notice = $state<string | null>(null);
  /** Per-layer trees already fetched, by layer index (replaced, never mutated, so views update). */
  layerTrees = $state.raw<ReadonlyMap<number, TreeNode[]>>(new Map());

  async open(req: OpenRequest): Promise<void> {
    this.job?.cancel();
    const job = new JobTracker(`Opening ${req.label}`);
    this.job = job;
    this.lastRequest = req;
    this.failure = null;
    this.notice = null;
    try {
      const out = await engine.analyze(job.signal, req.input,
        { platform: req.platform, keepCopyUpTo: settings.keepCopyUpTo }, (p) => job.update(p));
      if (this.job !== job) return; // superseded
      const previous = this.outcome;
      this.outcome = out;
      this.opened = req;
      this.layerTrees = new Map();
      if (previous) void engine.closeImage(previous.image.id);
      const source = req.source ?? { kind: 'cache', key: out.image.key };
      route.set(req.keepSelection
        ? { source, platform: req.platform }
        : { source, platform: req.platform, view: route.current.view === 'cache' ? 'overview' : route.current.view, layer: 'merged', path: undefined },
        !req.keepSelection);
    } catch (e) {
      if (this.job !== job) return;
      const error = toEngineError(e);
      if (error.cancelled) this.notice = `Cancelled opening ${req.label}.`;
      else this.failure = { label: req.label, error };
    } finally {
      if (this.job === job) this.job = null;
    }
  }

  /** Opens the same input again for another platform of its index. */
  switchPlatform(platform: string): void {
    const o = this.lastRequest ?? this.opened;
    if (o) void this.open({ ...o, platform, keepSelection: false });
  }

  cancel(): void {
    this.job?.cancel();
  }

  /** One layer's tree, fetched once. */
  async layerTree(layer: number, signal: AbortSignal, onProgress?: (p: JobProgress) => void): Promise<TreeNode[]> {
    const have = this.layerTrees.get(layer);
    if (have) return have;
    const out = this.outcome;
    if (!out) throw new EngineError({ code: 'NOT_FOUND', message: 'no image is open' });
    const tree = await engine.layerTree(signal, out.image, layer, onProgress);
    if (this.outcome === out) this.layerTrees = new Map(this.layerTrees).set(layer, tree);
    return tree;
  }
}

export const session = new ImageSession();
