// Native CLI references on the same files, same run: wall time of the whole command with output
// to /dev/null (process start included: ~2 ms, negligible at these sizes), best of `runs`.
import { execFileSync } from 'node:child_process';
import { has } from './inputs.mjs';

/** name → [input whose tar size is the MB/s basis, shell command, required tool]. */
function commands(inputs) {
  const p = (n) => `'${inputs[n].path}'`;
  return {
    'gzip -dc': ['tar', `gzip -dc < ${p('gz')} > /dev/null`, 'gzip'],
    'pigz -dc': ['tar', `pigz -dc < ${p('gz')} > /dev/null`, 'pigz'],
    'tar -tzf': ['tar', `tar -tzf ${p('gz')} > /dev/null`, 'tar'],
    'gzip -dc members': ['tar', `gzip -dc < ${p('gz-members')} > /dev/null`, 'gzip'],
    'zstd -dc': ['tar', `zstd -dc < ${p('zst')} > /dev/null`, 'zstd'],
    'zstd -dc frames': ['tar', `zstd -dc < ${p('zst-frames')} > /dev/null`, 'zstd'],
    'tar --zstd -tf': ['tar', `tar --zstd -tf ${p('zst')} > /dev/null`, 'zstd'],
    'sha256sum': ['tar', `sha256sum ${p('tar')} > /dev/null`, 'sha256sum'],
    'sha256sum 64m': ['tar-64m', `sha256sum ${p('tar-64m')} > /dev/null`, 'sha256sum'],
    'b3sum': ['tar', `b3sum --num-threads 1 ${p('tar')} > /dev/null`, 'b3sum'],
    'gzip -6': ['tar-64m', `gzip -6 -n -c < ${p('tar-64m')} > /dev/null`, 'gzip'],
    'zstd -3 -T1': ['tar-64m', `zstd -3 -T1 -q -c < ${p('tar-64m')} > /dev/null`, 'zstd'],
    'tar -tzf 1g': ['tar-1g', `tar -tzf ${p('gz-1g')} > /dev/null`, 'tar'],
  };
}

export function runNative(inputs, { runs = 3, filter, log = console.error } = {}) {
  const out = {};
  for (const [name, [basis, cmd, tool]] of Object.entries(commands(inputs))) {
    if (filter && !name.includes(filter)) continue;
    if (!has(tool)) {
      log(`bench: ${tool} not installed, skipping "${name}"`);
      continue;
    }
    const times = [];
    for (let i = 0; i < (name.endsWith('1g') ? 1 : runs); i++) {
      const t = performance.now();
      execFileSync('sh', ['-c', cmd], { stdio: 'ignore' });
      times.push(performance.now() - t);
    }
    const ms = Math.min(...times);
    out[name] = { bytes: inputs[basis].size, ms, runs: times, mbps: inputs[basis].size / 1e6 / (ms / 1000), cmd };
  }
  return out;
}
