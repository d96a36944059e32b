/**
 * Runs bench cases in this Node process and prints one JSON line per result on stdout.
 *   node --import tsx bench/node/runner.ts <inputs.json> all [filter] | memory-list | memory <i>
 * `memory i` runs only MEMORY_CASES[i] (one per process: VmHWM is the process' peak), sampling process.memoryUsage() every 20 ms (the pipeline awaits
 * I/O between chunks, so the timer gets its turns) and reading VmHWM (peak RSS) at the end.
 */
import { readFileSync } from 'node:fs';
import { CASES, MEMORY_CASES, type BenchCase, type BenchContext, type InputName } from '../cases.ts';
import { NODE_REFERENCE_CASES } from './reference-cases.ts';
import { fromPath } from '../../src/cli/node-sources.ts';
import { nodeCompressionPool } from '../../src/cli/node-compression-pool.ts';

const [inputsFile, mode = 'all', filter] = process.argv.slice(2);
const inputs = JSON.parse(readFileSync(inputsFile, 'utf8')) as Record<InputName, { path: string }>;
const ctx: BenchContext = { runtime: 'node', open: (name) => fromPath(inputs[name].path), compressionPool: () => nodeCompressionPool() };

function emit(x: unknown): void {
  process.stdout.write(JSON.stringify(x) + '\n');
}

async function time(c: BenchCase) {
  const runs: number[] = [];
  let last;
  for (let i = 0; i < (c.runs ?? 2); i++) {
    const t = performance.now();
    last = await c.run(ctx);
    runs.push(last.ms ?? performance.now() - t);
  }
  return { ...last!, ms: Math.min(...runs), runs };
}

function vmHwm(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

if (mode === 'memory-list') {
  for (const c of MEMORY_CASES) emit({ name: c.name });
} else if (mode === 'memory') {
  const base = process.memoryUsage();
  let peakRss = base.rss;
  let peakBuffers = base.arrayBuffers;
  const timer = setInterval(() => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakBuffers = Math.max(peakBuffers, m.arrayBuffers);
  }, 20);
  const c = MEMORY_CASES[Number(filter ?? 0)];
  const r = await time(c);
  clearInterval(timer);
  emit({ runtime: 'node', name: c.name, input: c.input, reference: c.reference, ...r,
    memory: { baseRss: base.rss, peakRss, peakArrayBuffers: peakBuffers, vmHwm: vmHwm() } });
} else {
  for (const c of [...CASES, ...NODE_REFERENCE_CASES]) {
    if (filter && !filter.split("|").some((f) => c.name.includes(f))) continue;
    try {
      emit({ runtime: 'node', name: c.name, input: c.input, reference: c.reference, ...(await time(c)) });
    } catch (e) {
      emit({ runtime: 'node', name: c.name, input: c.input, error: String((e as Error)?.stack ?? e) });
    }
  }
}
