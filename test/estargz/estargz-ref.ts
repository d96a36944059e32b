/**
 * The Go reference converter (../shared/tools/estargz-ref: our CLI over the Debian-packaged
 * stargz-snapshotter 0.12.0 library), built on demand into .cache/estargz-ref/ (the shared folder
 * is read-only). Needs `go` and golang-github-containerd-stargz-snapshotter-dev: test/install-deps.sh.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { ROOT, SHARED } from '../helpers/cli.ts';

const SRC = resolve(SHARED, 'tools/estargz-ref');
const DIR = resolve(ROOT, '.cache/estargz-ref');
const BIN = resolve(DIR, 'bin/estargz-ref');
const LIB = '/usr/share/gocode/src/github.com/containerd/stargz-snapshotter/estargz';

let built: string | undefined;

/** Path of the built reference binary; builds it when missing or older than main.go. */
export function estargzRef(): string {
  if (built) return built;
  const fresh = existsSync(BIN) && statSync(BIN).mtimeMs >= statSync(resolve(SRC, 'main.go')).mtimeMs;
  if (!fresh) {
    const go = spawnSync('go', ['version'], { encoding: 'utf8' });
    if (go.error || go.status !== 0 || !existsSync(LIB)) {
      throw new Error(`the eStargz reference needs Go and the Debian package golang-github-containerd-stargz-snapshotter-dev (${go.error ? 'go not found' : `missing ${LIB}`}): run bash test/install-deps.sh`);
    }
    mkdirSync(DIR, { recursive: true });
    for (const f of ['main.go', 'build.sh']) copyFileSync(resolve(SRC, f), resolve(DIR, f));
    const r = spawnSync('sh', [resolve(DIR, 'build.sh')], { encoding: 'utf8', cwd: DIR });
    if (r.status !== 0) throw new Error(`building estargz-ref failed (see test/install-deps.sh for what it needs):\n${r.stdout}${r.stderr}`);
  }
  return (built = BIN);
}

export interface RefRun {
  status: number;
  stdout: Buffer;
  stderr: string;
}

export function runRef(args: string[]): RefRun {
  const r = spawnSync(estargzRef(), args, { maxBuffer: 1 << 30 });
  if (r.error) throw r.error;
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr.toString() };
}

/** `key: value` lines of the tool's output. */
export function refFields(out: Buffer | string): Record<string, string> {
  const m: Record<string, string> = {};
  for (const line of out.toString().split('\n')) {
    const i = line.indexOf(': ');
    if (i > 0) m[line.slice(0, i)] = line.slice(i + 2);
  }
  return m;
}
