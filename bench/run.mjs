#!/usr/bin/env node
// layerlab bench: `npm run bench [-- --only node|chromium|native] [--filter TEXT] [--no-memory]`.
//
// One run measures, on the same files: the engine in Node (child process, TypeScript through
// tsx), the engine in headless Chromium (module worker, Files from disk), the native CLIs
// (gzip, zstd, tar, sha256sum…), and peak memory on a 1 GiB layer in both runtimes. Prints a
// table of MB/s of *uncompressed* data with ratios to the native reference of the same run, and
// writes everything as JSON to bench/results/. Inputs are built once into .cache/bench/.
// No assertion is made on speed; a case whose digest or byte count is wrong is flagged.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildInputs } from './lib/inputs.mjs';
import { runNative } from './lib/native.mjs';
import { printReport } from './lib/report.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const only = opt('--only');
const filter = opt('--filter');
const memory = !args.includes('--no-memory');
const want = (part) => !only || only === part;
/** Memory cases run when no filter is given, or when the filter names them. */
const wanted = (name) => !filter || filter.split('|').some((f) => name.includes(f));
const log = (s) => console.error(s);

const started = new Date();
const load = [loadavg()];
const inputs = buildInputs(root, log);
const inputsFile = join(root, '.cache/bench/inputs.json');
const results = { node: [], chromium: [], native: {}, memory: {} };

if (want('native')) {
  log('bench: native references …');
  results.native = runNative(inputs, { filter });
}

if (want('node')) {
  log('bench: Node cases …');
  results.node = await nodeRun(['all', ...(filter ? [filter] : [])]);
  if (memory) {
    results.memory.node = [];
    const names = (await nodeRun(['memory-list'])).map((r) => r.name);
    for (const [i, name] of names.entries()) {
      if (!wanted(name)) continue;
      log(`bench: Node, ${name} …`);
      results.memory.node.push(...(await nodeRun(['memory', String(i)])));
    }
  }
}

if (want('chromium')) {
  const { openChromiumBench, CHROMIUM_PATH } = await import('./lib/chromium.mjs');
  if (!existsSync(CHROMIUM_PATH)) {
    log(`bench: ${CHROMIUM_PATH} missing, skipping Chromium`);
  } else {
    log('bench: Chromium cases …');
    const session = await openChromiumBench(root, inputs, log);
    results.chromiumVersion = session.version;
    try {
      const list = await session.list();
      for (const { kind, ...c } of list.filter((x) => x.kind !== 'memory')) {
        if (filter && !filter.split("|").some((f) => c.name.includes(f))) continue;
        try {
          results.chromium.push({ runtime: 'chromium', ...c, ...(await session.run(c.name)) });
        } catch (e) {
          results.chromium.push({ runtime: 'chromium', ...c, error: String(e?.message ?? e) });
        }
        log(`bench:   ${c.name}`);
      }
      if (memory) {
        results.memory.chromium = [];
        for (const { kind, ...m } of list.filter((x) => x.kind === 'memory' && wanted(x.name))) {
          log(`bench: Chromium, ${m.name} …`);
          try {
            results.memory.chromium.push({ runtime: 'chromium', ...m, ...(await session.run(m.name, { memory: true })) });
          } catch (e) {
            results.memory.chromium.push({ runtime: 'chromium', ...m, error: String(e?.message ?? e) });
          }
        }
      }
    } finally {
      await session.close();
    }
  }
}

load.push(loadavg());
const report = {
  started: started.toISOString(),
  machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version, loadavg: load },
  inputs: Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, { size: v.size, sha256: v.sha256 }])),
  ...results,
};
mkdirSync(join(root, 'bench/results'), { recursive: true });
const outFile = join(root, 'bench/results', `${started.toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(outFile, JSON.stringify(report, null, 1));
printReport(report);
log(`bench: results written to ${outFile}`);

/** Runs bench/node/runner.ts in a child process (tsx loads the TypeScript). */
function nodeRun(extra) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/node/runner.ts', inputsFile, ...extra], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    const rows = [];
    let buf = '';
    child.stdout.on('data', (d) => {
      buf += d;
      for (let i; (i = buf.indexOf('\n')) >= 0; buf = buf.slice(i + 1)) {
        const row = JSON.parse(buf.slice(0, i));
        log(`bench:   ${row.name}`);
        rows.push(row);
      }
    });
    child.on('exit', (code) => (code === 0 ? resolve(rows) : reject(new Error(`bench/node/runner.ts exited with ${code}`))));
  });
}
