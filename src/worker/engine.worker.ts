/// <reference lib="webworker" />
import * as Comlink from 'comlink';
import { api, startWorker } from './api.ts';

/**
 * The engine's worker. Nothing here may use top-level await: a module that awaits at the top
 * delays `expose`, and the page's first call is then silently lost (toolchain notes §2). As a
 * second guard the worker announces itself once exposed, and the UI sends nothing before that.
 */
Comlink.expose(api);
startWorker();
(self as unknown as DedicatedWorkerGlobalScope).postMessage({ layerlabReady: true });
