/**
 * Bench page: forwards the picked Files to a module worker (where the app runs the engine) and
 * runs cases there on request from bench/lib/chromium.mjs, one at a time.
 */
import type { WorkerReply, WorkerRequest } from './worker.ts';

const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
let seq = 0;
const pending = new Map<number, (r: WorkerReply) => void>();
worker.onmessage = (e: MessageEvent<WorkerReply>) => {
  pending.get(e.data.id)?.(e.data);
  pending.delete(e.data.id);
};

type Request = WorkerRequest extends infer R ? (R extends unknown ? Omit<R, 'id'> : never) : never;

function call(req: Request): Promise<WorkerReply> {
  const id = ++seq;
  return new Promise((resolve) => {
    pending.set(id, resolve);
    worker.postMessage({ ...req, id } as WorkerRequest);
  });
}

const bench = {
  /** Hands the Files from the input to the worker under the given names (in input order). */
  async setFiles(names: string[]): Promise<WorkerReply> {
    const input = document.getElementById('files') as HTMLInputElement;
    const files: Record<string, File> = {};
    names.forEach((n, i) => (files[n] = input.files![i]));
    return call({ type: 'files', files });
  },
  run(name: string): Promise<WorkerReply> {
    return call({ type: 'run', name });
  },
  list(): Promise<WorkerReply> {
    return call({ type: 'list' });
  },
};

(window as unknown as { bench: typeof bench }).bench = bench;
(window as unknown as { benchReady: boolean }).benchReady = true;
