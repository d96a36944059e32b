// Native CLI references on the same files, same run: wall time of the whole command with output
// to /dev/null (process start included: ~2 ms, negligible at these sizes), best of `runs`.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { has } from './inputs.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
/**
 * The Go references (../shared/tools/estargz-ref, ../shared/tools/zstdchunked-ref: our CLIs over
 * the Debian-packaged stargz-snapshotter and containers/storage), built into .cache/ on first use
 * (test/install-deps.sh has the packages they need).
 */
const GO_REFS = {
  'estargz-ref': 'golang-github-containerd-stargz-snapshotter-dev',
  'zstdchunked-ref': 'golang-github-containers-storage-dev and golang-github-vbatts-tar-split-dev',
};
const goRef = (name) => join(ROOT, `.cache/${name}/bin/${name}`);
const ESTARGZ_REF = goRef('estargz-ref');
const ZSTDCHUNKED_REF = goRef('zstdchunked-ref');

function ensureGoRef(name, log) {
  if (existsSync(goRef(name))) return true;
  const src = join(ROOT, `../shared/tools/${name}`);
  const dir = join(ROOT, `.cache/${name}`);
  try {
    mkdirSync(dir, { recursive: true });
    for (const f of ['main.go', 'build.sh']) copyFileSync(join(src, f), join(dir, f));
    execFileSync('sh', [join(dir, 'build.sh')], { cwd: dir, stdio: 'ignore' });
    return true;
  } catch (e) {
    log(`bench: cannot build ${name} (needs golang-go and ${GO_REFS[name]}, see test/install-deps.sh): ${e.message}`);
    return false;
  }
}

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
    // Issue 5's reference for OCI → Nydus: zstd over the whole uncompressed tar on both cores.
    'zstd -3 -T2': ['tar', `zstd -3 -T2 -q -c < ${p('tar')} > /dev/null`, 'zstd'],
    'tar -tzf 1g': ['tar-1g', `tar -tzf ${p('gz-1g')} > /dev/null`, 'tar'],
    // estargz.Build of the same layer's tar, GOMAXPROCS 2 (both cores), output to a file it must write.
    'estargz-ref build L6 w2': ['tar', `'${ESTARGZ_REF}' build ${p('tar')} '${ROOT}/.cache/bench/ref.esgz' --workers 2 --level 6 > /dev/null`, 'estargz-ref'],
    'estargz-ref build L9 w2': ['tar', `'${ESTARGZ_REF}' build ${p('tar')} '${ROOT}/.cache/bench/ref.esgz' --workers 2 --level 9 > /dev/null`, 'estargz-ref'],
    // Issue 12: containers/storage's zstd:chunked writer (1.43, klauspost: levels 3–5 → "default",
    // ≥ 10 → "best") on the same tar, and zstd on both cores at the same levels.
    'zstdchunked-ref build L3': ['tar', `'${ZSTDCHUNKED_REF}' build -in ${p('tar')} -out '${ROOT}/.cache/bench/ref.zc' -level 3 > /dev/null 2>&1`, 'zstdchunked-ref'],
    'zstdchunked-ref build L10': ['tar', `'${ZSTDCHUNKED_REF}' build -in ${p('tar')} -out '${ROOT}/.cache/bench/ref.zc' -level 10 > /dev/null 2>&1`, 'zstdchunked-ref'],
    'zstd -10 -T2': ['tar', `zstd -10 -T2 -q -c < ${p('tar')} > /dev/null`, 'zstd'],
  };
}

export function runNative(inputs, { runs = 3, filter, log = console.error } = {}) {
  const out = {};
  for (const [name, [basis, cmd, tool]] of Object.entries(commands(inputs))) {
    if (filter && !filter.split("|").some((f) => name.includes(f))) continue;
    if (tool in GO_REFS ? !ensureGoRef(tool, log) : !has(tool)) {
      log(`bench: ${tool} not installed, skipping "${name}"`);
      continue;
    }
    const times = [];
    for (let i = 0; i < (name.endsWith('1g') || name.includes('-ref ') ? 1 : runs); i++) {
      const t = performance.now();
      execFileSync('sh', ['-c', cmd], { stdio: 'ignore' });
      times.push(performance.now() - t);
    }
    const ms = Math.min(...times);
    out[name] = { bytes: inputs[basis].size, ms, runs: times, mbps: inputs[basis].size / 1e6 / (ms / 1000), cmd };
  }
  return out;
}
