import * as Comlink from 'comlink';
import type { ErrorCode, ErrorContext, SerializedError } from '../core/errors.ts';
import type { TreeNode } from '../core/analysis/report.ts';
import type { EngineApi } from '../worker/api.ts';
import type {
  AnalyzeOutcome, AnalyzeRequest, CacheListing, ConversionEstimate, ConvertOutcome, ConvertProgress, ConvertRequest, EngineInput,
  EstargzTocView, EstargzVerifyResult, ExportInfo, FileChunk, FileRange, ImageRef, JobId, JobProgress,
  NydusBootstrapView, NydusCheckView, NydusFileView, ZstdChunkedManifestView, ZstdChunkedTarSplitView, ZstdChunkedVerifyResult,
} from '../worker/protocol.ts';
import type { ConvertSettings, TargetInfo } from '../core/formats/layer-format.ts';

/** How long a cancelled job may take to stop by itself before its worker is terminated. */
export const CANCEL_GRACE_MS = 1500;
/** How long a new worker may take to load before we call it failed. */
const READY_TIMEOUT_MS = 20_000;

/** An engine failure on the UI side: the worker's SerializedError, as an Error. */
export class EngineError extends Error {
  override readonly name = 'EngineError';
  readonly code: ErrorCode;
  readonly context: ErrorContext;
  /** One line for a person: what failed and where. */
  readonly text: string;

  constructor(e: Pick<SerializedError, 'code' | 'message'> & Partial<SerializedError>) {
    super(e.message);
    this.code = e.code;
    this.context = e.context ?? {};
    this.text = e.text ?? e.message;
  }

  get cancelled(): boolean {
    return this.code === 'ABORTED';
  }
}

export function toEngineError(e: unknown): EngineError {
  if (e instanceof EngineError) return e;
  const s = e as Partial<SerializedError> | undefined;
  if (s && typeof s === 'object' && typeof s.code === 'string' && typeof s.message === 'string') {
    return new EngineError(s as SerializedError);
  }
  if ((e as { name?: string })?.name === 'AbortError') return new EngineError({ code: 'ABORTED', message: 'cancelled' });
  return new EngineError({ code: 'INTERNAL', message: e instanceof Error ? e.message : String(e) });
}

type Progress = (p: JobProgress) => void;
type Remote = Comlink.Remote<EngineApi>;

/**
 * The UI's handle on the engine worker (style note §1 and §9). Every long call takes an
 * AbortSignal first. Aborting asks the worker to cancel the job; if the job has not stopped
 * after CANCEL_GRACE_MS (a tight loop, a wasm call), the worker is terminated and a fresh one is
 * started. Open images survive that: an ImageRef carries what is needed to reopen it.
 */
export class EngineClient {
  readonly #createWorker: () => Worker;
  #worker: Worker | undefined;
  #remote: Promise<Remote> | undefined;
  /** Rejecters of the calls running in the current worker, to fail them if it is replaced. */
  readonly #running = new Set<(e: EngineError) => void>();
  /** How many times a worker was terminated (for tests and diagnostics). */
  restarts = 0;

  constructor(createWorker = () => new Worker(new URL('../worker/engine.worker.ts', import.meta.url), { type: 'module', name: 'layerlab-engine' })) {
    this.#createWorker = createWorker;
  }

  analyze(signal: AbortSignal, input: EngineInput, request: AnalyzeRequest, onProgress?: Progress): Promise<AnalyzeOutcome> {
    return this.#job(signal, onProgress, (api, job, cb) => api.analyze(job, input, request, cb));
  }

  layerTree(signal: AbortSignal, image: ImageRef, layer: number, onProgress?: Progress): Promise<TreeNode[]> {
    return this.#job(signal, onProgress, (api, job, cb) => api.layerTree(job, image, layer, cb));
  }

  readFile(signal: AbortSignal, image: ImageRef, node: Pick<TreeNode, 'path' | 'content'> & { rawPath?: Uint8Array }, range: FileRange, onProgress?: Progress): Promise<FileChunk> {
    // Send only what the engine needs from the node, not its xattrs and the rest.
    const n = { path: node.path, content: node.content, ...(node.rawPath && { rawPath: node.rawPath }) };
    return this.#job(signal, onProgress, (api, job, cb) => api.readFile(job, image, n, range, cb));
  }

  convert(signal: AbortSignal, image: ImageRef, request: ConvertRequest, onProgress?: (p: ConvertProgress) => void): Promise<ConvertOutcome> {
    return this.#job(signal, onProgress as Progress | undefined, (api, job, cb) => api.convert(job, image, request, cb));
  }

  /** The formats the engine can write, with their options (core/formats/registry.ts targets). */
  convertTargets(): Promise<TargetInfo[]> {
    return this.#call((api) => api.convertTargets());
  }

  estimateConversion(image: ImageRef, settings: ConvertSettings): Promise<ConversionEstimate> {
    return this.#call((api) => api.estimateConversion(image, settings));
  }

  estargzToc(signal: AbortSignal, image: ImageRef, layer: number, onProgress?: Progress): Promise<EstargzTocView> {
    return this.#job(signal, onProgress, (api, job, cb) => api.estargzToc(job, image, layer, cb));
  }

  verifyEstargz(signal: AbortSignal, image: ImageRef, layer: number, onProgress?: Progress): Promise<EstargzVerifyResult> {
    return this.#job(signal, onProgress, (api, job, cb) => api.verifyEstargz(job, image, layer, cb));
  }

  nydusBootstrap(signal: AbortSignal, image: ImageRef, which: number | 'merged', onProgress?: Progress): Promise<NydusBootstrapView> {
    return this.#job(signal, onProgress, (api, job, cb) => api.nydusBootstrap(job, image, which, cb));
  }

  nydusFile(signal: AbortSignal, image: ImageRef, which: number | 'merged', node: Pick<TreeNode, 'path' | 'rawPath'>): Promise<NydusFileView> {
    const n = { path: node.path, ...(node.rawPath && { rawPath: node.rawPath }) };
    return this.#job(signal, undefined, (api, job) => api.nydusFile(job, image, which, n));
  }

  nydusCheck(signal: AbortSignal, image: ImageRef, which: number | 'merged', onProgress?: Progress): Promise<NydusCheckView> {
    return this.#job(signal, onProgress, (api, job, cb) => api.nydusCheck(job, image, which, cb));
  }

  zstdChunkedManifest(signal: AbortSignal, image: ImageRef, layer: number, onProgress?: Progress): Promise<ZstdChunkedManifestView> {
    return this.#job(signal, onProgress, (api, job, cb) => api.zstdChunkedManifest(job, image, layer, cb));
  }

  zstdChunkedTarSplit(signal: AbortSignal, image: ImageRef, layer: number, onProgress?: Progress): Promise<ZstdChunkedTarSplitView> {
    return this.#job(signal, onProgress, (api, job, cb) => api.zstdChunkedTarSplit(job, image, layer, cb));
  }

  verifyZstdChunked(signal: AbortSignal, image: ImageRef, layer: number, onProgress?: Progress): Promise<ZstdChunkedVerifyResult> {
    return this.#job(signal, onProgress, (api, job, cb) => api.verifyZstdChunked(job, image, layer, cb));
  }

  exportsList(): Promise<ExportInfo[]> {
    return this.#call((api) => api.exportsList());
  }

  exportsRemove(name?: string): Promise<void> {
    return this.#call((api) => api.exportsRemove(name));
  }

  async closeImage(id: string): Promise<void> {
    if (!this.#remote) return;
    try { await (await this.#remote).closeImage(id); } catch { /* the worker is gone: so is the image */ }
  }

  cacheList(): Promise<CacheListing> {
    return this.#call((api) => api.cacheList());
  }

  cacheRemove(key: string): Promise<void> {
    return this.#call((api) => api.cacheRemove(key));
  }

  cacheClear(): Promise<void> {
    return this.#call((api) => api.cacheClear());
  }

  /** Stops the worker for good (page teardown, tests). */
  dispose(): void {
    this.#replaceWorker(new EngineError({ code: 'ABORTED', message: 'the engine was shut down' }), false);
  }

  async #call<T>(fn: (api: Remote) => Promise<T>): Promise<T> {
    try {
      return await fn(await this.#api());
    } catch (e) {
      throw toEngineError(e);
    }
  }

  async #job<T>(signal: AbortSignal, onProgress: Progress | undefined,
    call: (api: Remote, job: JobId, cb: Progress | undefined) => Promise<T>): Promise<T> {
    if (signal.aborted) throw new EngineError({ code: 'ABORTED', message: 'cancelled' });
    const api = await this.#api();
    if (signal.aborted) throw new EngineError({ code: 'ABORTED', message: 'cancelled' });
    const job: JobId = crypto.randomUUID();
    const cb = onProgress && Comlink.proxy(onProgress);
    return new Promise<T>((resolve, reject) => {
      let done = false;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const settle = () => {
        done = true;
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        this.#running.delete(fail);
      };
      const fail = (e: EngineError) => { if (!done) { settle(); reject(e); } };
      const onAbort = () => {
        api.cancel(job).catch(() => {});
        timer = setTimeout(() => {
          if (done) return;
          // The job did not stop by itself: end the worker (and with it this job).
          console.info(`layerlab: a cancelled job was still running after ${CANCEL_GRACE_MS} ms; restarting the engine worker`);
          this.#running.delete(fail);
          fail(new EngineError({ code: 'ABORTED', message: 'cancelled (the engine was restarted to stop it)' }));
          this.#replaceWorker(new EngineError({ code: 'ABORTED', message: 'interrupted: the engine was restarted to stop a cancelled job' }), true);
        }, CANCEL_GRACE_MS);
      };
      this.#running.add(fail);
      signal.addEventListener('abort', onAbort, { once: true });
      call(api, job, cb).then(
        (v) => { if (!done) { settle(); resolve(v); } },
        (e) => fail(signal.aborted ? new EngineError({ code: 'ABORTED', message: 'cancelled' }) : toEngineError(e)),
      );
    });
  }

  #api(): Promise<Remote> {
    if (!this.#remote) {
      const worker = this.#createWorker();
      this.#worker = worker;
      const ready = new Promise<Remote>((resolve, reject) => {
        const timeout = setTimeout(() => reject(new EngineError({ code: 'INTERNAL', message: 'the engine worker did not start' })), READY_TIMEOUT_MS);
        const onMessage = (ev: MessageEvent) => {
          if ((ev.data as { layerlabReady?: boolean })?.layerlabReady !== true) return;
          clearTimeout(timeout);
          worker.removeEventListener('message', onMessage);
          resolve(Comlink.wrap<EngineApi>(worker));
        };
        worker.addEventListener('message', onMessage);
        worker.addEventListener('error', (ev) => {
          clearTimeout(timeout);
          reject(new EngineError({ code: 'INTERNAL', message: `the engine worker failed to load${ev.message ? `: ${ev.message}` : ''}` }));
        }, { once: true });
      });
      this.#remote = ready;
      ready.catch(() => { if (this.#remote === ready) this.#replaceWorker(undefined, false); });
    }
    return this.#remote;
  }

  #replaceWorker(reason: EngineError | undefined, counted: boolean): void {
    const w = this.#worker;
    this.#worker = undefined;
    this.#remote = undefined;
    w?.terminate();
    if (counted) this.restarts++;
    if (reason) for (const fail of [...this.#running]) fail(reason);
    this.#running.clear();
  }
}
