/// <reference lib="webworker" />
/**
 * Runs bench cases in a module worker, as the app runs the engine: inputs are the picked Files
 * read through fromBlob (Blob.slice().stream()).
 */
import { fromBlob } from '../../src/core/bytes/blob-source.ts';
import { browserCompressionPool } from '../../src/worker/compress-pool/index.ts';
import { CASES, MEMORY_CASE, MEMORY_CASES, analyzeCase, type BenchCase, type BenchContext, type InputName } from '../cases.ts';
import { offloadedSha256 } from '../../src/worker/hash-offload/offloaded-sha256.ts';
import { CHROMIUM_REFERENCE_CASES } from './reference-cases.ts';

export type WorkerRequest =
  | { id: number; type: 'files'; files: Record<string, File> }
  | { id: number; type: 'run'; name: string }
  | { id: number; type: 'list' };

export interface WorkerReply { id: number; ok: boolean; result?: unknown; error?: string }

/** The app's own configuration: layer digests hashed on the other core (src/worker/hash-offload). */
const offload = offloadedSha256();
const APP_CASES: BenchCase[] = [
  {
    name: 'analyze gz layer, sha256 on the other core (the app)', reference: 'tar -tzf', input: 'gz',
    async run(c) {
      return analyzeCase(await c.open('gz'), offload);
    },
  },
];
/** The memory cases as the app runs them (the analysis hashes on the other core). */
const APP_MEMORY_CASES: BenchCase[] = MEMORY_CASES.map((m) => (m !== MEMORY_CASE ? m : {
  ...MEMORY_CASE,
  async run(c) {
    return analyzeCase(await c.open('gz-1g'), offload);
  },
}));
const all: BenchCase[] = [...CASES, ...APP_CASES, ...CHROMIUM_REFERENCE_CASES, ...APP_MEMORY_CASES];
let files: Record<string, File> = {};
const ctx: BenchContext = {
  runtime: 'chromium',
  compressionPool: () => browserCompressionPool(),
  async open(name: InputName) {
    const f = files[name];
    if (!f) throw new Error(`input ${name} was not provided`);
    return fromBlob(f, name);
  },
};

/** performance.memory is Chromium-only and may be absent in workers; reported when present. */
function jsHeap(): number | undefined {
  return (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize;
}

self.onmessage = async (e: MessageEvent<WorkerRequest>) => {
  const req = e.data;
  const reply = (r: Omit<WorkerReply, 'id'>) => postMessage({ ...r, id: req.id } satisfies WorkerReply);
  try {
    if (req.type === 'files') {
      files = req.files;
      reply({ ok: true, result: Object.fromEntries(Object.entries(files).map(([k, f]) => [k, f.size])) });
    } else if (req.type === 'list') {
      const kind = (c: BenchCase) => (APP_MEMORY_CASES.includes(c) ? 'memory' : CASES.includes(c) || APP_CASES.includes(c) ? 'case' : 'reference');
      reply({ ok: true, result: all.map((c) => ({ name: c.name, input: c.input, reference: c.reference, kind: kind(c) })) });
    } else {
      const c = all.find((x) => x.name === req.name);
      if (!c) throw new Error(`no case ${req.name}`);
      const runs: number[] = [];
      let last;
      let heapPeak = jsHeap();
      for (let i = 0; i < (c.runs ?? 2); i++) {
        const t = performance.now();
        last = await c.run(ctx);
        runs.push(last.ms ?? performance.now() - t);
        const h = jsHeap();
        if (h !== undefined) heapPeak = Math.max(heapPeak ?? 0, h);
      }
      reply({ ok: true, result: { ...last, ms: Math.min(...runs), runs, jsHeapAfter: heapPeak } });
    }
  } catch (err) {
    reply({ ok: false, error: String((err as Error)?.stack ?? err) });
  }
};
