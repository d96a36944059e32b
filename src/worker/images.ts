import type { ImageReport } from '../core/analysis/report.ts';
import type { AnalysisTrees } from '../core/store/content-store.ts';
import type { OpenedImage } from '../core/image/opened-image.ts';
import type { ImageRef } from './protocol.ts';
import type { OpfsSpool } from './cache/opfs-spool.ts';

/**
 * The images this worker has open, by id, so file reads and per-layer trees do not reopen them.
 * An entry may know less than everything: an image shown from the cache has trees but is not
 * opened until the user reads a file; an image a restarted worker never saw is re-created from
 * the ImageRef the UI sends with every call.
 */
export interface ImageEntry {
  ref: ImageRef;
  opened?: Promise<OpenedImage>;
  trees?: AnalysisTrees;
  spool?: OpfsSpool;
  /** The analysis report (conversion estimates come from it). */
  report?: ImageReport;
}

export class OpenImages {
  readonly #byId = new Map<string, ImageEntry>();

  add(entry: ImageEntry): ImageEntry {
    this.#byId.set(entry.ref.id, entry);
    return entry;
  }

  /** The entry for `ref`, made from the ref itself when this worker has not seen it. */
  get(ref: ImageRef): ImageEntry {
    return this.#byId.get(ref.id) ?? this.add({ ref });
  }

  async close(id: string): Promise<void> {
    const e = this.#byId.get(id);
    if (!e) return;
    this.#byId.delete(id);
    try { await (await e.opened)?.close?.(); } catch { /* it failed to open: nothing to close */ }
    await e.spool?.release();
  }
}
