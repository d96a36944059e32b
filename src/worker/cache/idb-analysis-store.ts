import { clear, createStore, del, delMany, entries, get, set, values, type UseStore } from 'idb-keyval';
import type { AnalysisKey, AnalysisMeta, AnalysisRecord, AnalysisStore } from '../../core/store/content-store.ts';

/** Identities remembered per analysis (a file opened under several names, a URL and a file). */
const MAX_IDENTITIES = 8;

/**
 * Analyses in IndexedDB through idb-keyval, in three stores so that listing the cache never
 * loads a report or a tree:
 *   meta        key → AnalysisMeta (small; the cache page reads all of these)
 *   data        key → { report, trees } (large; read only to reopen)
 *   identities  identity → key
 * idb-keyval opens one database per store, hence three database names.
 */
export class IdbAnalysisStore implements AnalysisStore {
  readonly #meta: UseStore;
  readonly #data: UseStore;
  readonly #ids: UseStore;

  constructor(prefix = 'layerlab') {
    this.#meta = createStore(`${prefix}-meta`, 'meta');
    this.#data = createStore(`${prefix}-data`, 'data');
    this.#ids = createStore(`${prefix}-identities`, 'identities');
  }

  resolve(identity: string): Promise<AnalysisKey | undefined> {
    return get<AnalysisKey>(identity, this.#ids);
  }

  getMeta(key: AnalysisKey): Promise<AnalysisMeta | undefined> {
    return get<AnalysisMeta>(key, this.#meta);
  }

  async get(key: AnalysisKey): Promise<AnalysisRecord | undefined> {
    const [meta, data] = await Promise.all([
      get<AnalysisMeta>(key, this.#meta),
      get<Omit<AnalysisRecord, 'meta'>>(key, this.#data),
    ]);
    return meta && data ? { meta, ...data } : undefined;
  }

  async put(record: AnalysisRecord): Promise<void> {
    const { meta, report, trees } = record;
    // Data first: a meta entry must never point to data that is not there.
    await set(meta.key, { report, trees }, this.#data);
    await set(meta.key, meta, this.#meta);
    await Promise.all(meta.identities.map((i) => set(i, meta.key, this.#ids)));
  }

  async link(identity: string, key: AnalysisKey): Promise<void> {
    await set(identity, key, this.#ids);
    await this.#updateMeta(key, (m) => ({
      ...m,
      identities: [identity, ...m.identities.filter((i) => i !== identity)].slice(0, MAX_IDENTITIES),
      lastOpenedAt: Date.now(),
    }));
  }

  async updateMeta(key: AnalysisKey, change: Partial<Omit<AnalysisMeta, 'key'>>): Promise<void> {
    await this.#updateMeta(key, (m) => ({ ...m, ...change }));
  }

  /** Read-modify-write in one transaction; nothing is written when the entry is gone. */
  #updateMeta(key: AnalysisKey, change: (m: AnalysisMeta) => AnalysisMeta): Promise<void> {
    return this.#meta('readwrite', (store) => new Promise<void>((resolve, reject) => {
      const req = store.get(key);
      req.onsuccess = () => {
        if (req.result) store.put(change(req.result as AnalysisMeta), key);
        resolve();
      };
      req.onerror = () => reject(req.error);
    }));
  }

  async list(): Promise<AnalysisMeta[]> {
    const all = await values<AnalysisMeta>(this.#meta);
    return all.filter(Boolean).sort((a, b) => b.lastOpenedAt - a.lastOpenedAt);
  }

  async remove(key: AnalysisKey): Promise<void> {
    await del(key, this.#meta);
    await del(key, this.#data);
    const stale = (await entries<string, AnalysisKey>(this.#ids)).filter(([, k]) => k === key).map(([i]) => i);
    await delMany(stale, this.#ids);
  }

  async clear(): Promise<void> {
    await Promise.all([clear(this.#meta), clear(this.#data), clear(this.#ids)]);
  }
}
