/**
 * The one way into layerlab's own WebAssembly (wasm/assembly/*, built by wasm/build.mjs into
 * src/wasm-build/). One cached instantiation per module (`ready ??= instantiate()`), no top-level
 * await (toolchain notes §2):
 *
 * - browser / Vite-built worker: `new URL('…wasm', import.meta.url)` is an emitted asset; fetched
 *   with `compileStreaming` (falls back to `compile` when the server's MIME type is wrong);
 * - Node (vitest, tsx, the CLI): the same URL is a `file:` URL, read through a dynamic import of
 *   the fs module (Node 20's fetch cannot read `file:`). The specifier is built at run time so
 *   neither the core type check (no `node:` imports) nor Vite's worker bundle sees it.
 *
 * Modules are built with `--bindings raw --exportRuntime`: their only import is `env.abort`.
 */
import { LayerlabError } from '../errors.ts';

export interface WasmInstance {
  exports: WebAssembly.Exports & { memory: WebAssembly.Memory };
}

const cache = new Map<string, Promise<WasmInstance>>();

/** Instantiates the module at `url` once; a failed load is forgotten so it can be retried. */
export function loadWasm(name: string, url: URL): Promise<WasmInstance> {
  let p = cache.get(name);
  if (!p) {
    p = instantiate(name, url);
    p.catch(() => cache.delete(name));
    cache.set(name, p);
  }
  return p;
}

async function compile(url: URL): Promise<WebAssembly.Module> {
  if (url.protocol === 'file:') {
    const fsName = ['node', 'fs/promises'].join(':');
    const fs = (await import(/* @vite-ignore */ fsName)) as { readFile(u: URL): Promise<Uint8Array> };
    return WebAssembly.compile((await fs.readFile(url)) as Uint8Array<ArrayBuffer>);
  }
  const res = await fetch(url);
  if (!res.ok) throw new LayerlabError('IO', `cannot load ${url.pathname}: HTTP ${res.status}`, { file: url.href });
  if (typeof WebAssembly.compileStreaming === 'function' && (res.headers.get('content-type') ?? '').startsWith('application/wasm')) {
    return WebAssembly.compileStreaming(res);
  }
  return WebAssembly.compile(await res.arrayBuffer());
}

async function instantiate(name: string, url: URL): Promise<WasmInstance> {
  let memory: WebAssembly.Memory | undefined;
  const env = {
    // AssemblyScript's abort(message, fileName, line, column): UTF-16 strings, byte length at ptr - 4.
    abort(msg: number, file: number, line: number, column: number): never {
      const text = (p: number) => {
        if (!memory || !p) return '';
        const len = new Uint32Array(memory.buffer, p - 4, 1)[0];
        return String.fromCharCode(...new Uint16Array(memory.buffer, p, len >>> 1));
      };
      throw new LayerlabError('INTERNAL', `${name}.wasm aborted: ${text(msg)} (${text(file)}:${line}:${column})`);
    },
  };
  const module = await compile(url);
  const instance = await WebAssembly.instantiate(module, { env });
  memory = instance.exports.memory as WebAssembly.Memory;
  return instance as unknown as WasmInstance;
}

/**
 * A module's exports, loaded on first `init()` (once per realm; a failed load can be retried) and
 * read synchronously through `get()` by hot loops afterwards.
 */
export function lazyWasm<T>(name: string, url: URL): { init(): Promise<T>; get(): T | undefined } {
  let exports: T | undefined;
  let ready: Promise<T> | undefined;
  return {
    init() {
      ready ??= loadWasm(name, url).then(
        (inst) => (exports = inst.exports as unknown as T),
        (e: unknown) => {
          ready = undefined;
          throw e;
        },
      );
      return ready;
    },
    get: () => exports,
  };
}
