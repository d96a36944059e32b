// Drives the Chromium half of the bench: Vite dev server (serves bench/browser/*.ts and the
// engine sources as they are), headless Debian Chromium, the inputs as real disk-backed Files
// (setInputFiles passes paths, nothing is copied), cases run one by one in a module worker.
// Memory: the renderer processes' RSS from /proc, sampled every 25 ms, and their VmHWM after a
// reset (clear_refs 5), because the worker's heap, its wasm memories and its ArrayBuffers all
// live in the renderer and performance.memory does not see wasm or buffers.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { createServer } from 'vite';

export const CHROMIUM_PATH = '/usr/bin/chromium';

export async function openChromiumBench(root, inputs, log = console.error) {
  const server = await createServer({
    configFile: false,
    root,
    logLevel: 'error',
    cacheDir: join(root, '.cache/vite-bench'),
    server: { host: '127.0.0.1', port: 0, hmr: false },
    worker: { format: 'es' },
    optimizeDeps: {
      entries: ['bench/browser/index.html'],
      include: ['fflate', 'fzstd', 'hash-wasm', '@bokuweb/zstd-wasm'],
      noDiscovery: true,
    },
  });
  await server.listen();
  const { port } = server.httpServer.address();
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
  const page = await browser.newPage();
  page.on('pageerror', (e) => log(`bench page error: ${e}`));
  await page.goto(`http://127.0.0.1:${port}/bench/browser/index.html`);
  await page.waitForFunction(() => window.benchReady === true, undefined, { timeout: 60_000 });
  const names = Object.keys(inputs);
  await page.setInputFiles('#files', names.map((n) => inputs[n].path));
  const sizes = await page.evaluate((n) => window.bench.setFiles(n), names);
  if (!sizes.ok) throw new Error(sizes.error);
  const version = browser.version();

  return {
    version,
    /** [{ name, input, reference, kind: 'case' | 'reference' | 'memory' }] as the worker has them. */
    async list() {
      const r = await page.evaluate(() => window.bench.list());
      if (!r.ok) throw new Error(r.error);
      return r.result;
    },
    async run(name, { memory = false } = {}) {
      const renderers = rendererPids();
      if (memory) for (const pid of renderers) resetPeak(pid);
      const base = sumRss(renderers);
      let peak = base;
      const timer = setInterval(() => {
        peak = Math.max(peak, sumRss(renderers));
      }, 25);
      try {
        const reply = await page.evaluate((n) => window.bench.run(n), name);
        if (!reply.ok) throw new Error(reply.error);
        const mem = { baseRss: base, peakRss: peak, vmHwm: renderers.reduce((s, p) => s + status(p, 'VmHWM'), 0), renderers: renderers.length };
        return { ...reply.result, memory: mem };
      } finally {
        clearInterval(timer);
      }
    },
    async close() {
      await browser.close();
      await server.close();
    },
  };
}

/** Renderer processes under this Node process (Playwright spawns Chromium as our child). */
function rendererPids() {
  const parent = new Map();
  const cmd = new Map();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const st = readFileSync(`/proc/${d}/stat`, 'utf8');
      parent.set(Number(d), Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[1]));
      cmd.set(Number(d), readFileSync(`/proc/${d}/cmdline`, 'utf8'));
    } catch {
      // the process ended while we looked
    }
  }
  const mine = (pid) => {
    for (let p = pid; p > 1; p = parent.get(p) ?? 0) if (p === process.pid) return true;
    return false;
  };
  return [...cmd].filter(([pid, c]) => c.includes('--type=renderer') && mine(pid)).map(([pid]) => pid);
}

function status(pid, field) {
  try {
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

function sumRss(pids) {
  return pids.reduce((s, p) => s + status(p, 'VmRSS'), 0);
}

/** Resets VmHWM to the current RSS (proc(5): clear_refs "5"). Best effort. */
function resetPeak(pid) {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
  } catch {
    // not permitted: VmHWM then covers the process lifetime, the sampled peak still holds
  }
}
