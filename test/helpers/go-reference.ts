/**
 * Our Go peers in ../shared/tools/<name> (small CLIs over the Debian-packaged reference libraries:
 * estargz-ref over stargz-snapshotter, zstdchunked-ref over containers/storage), built on demand
 * into .cache/<name>/ (the shared folder is read-only) and rebuilt when their main.go is newer.
 * What they need is installed by test/install-deps.sh.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { ROOT, SHARED } from './cli.ts';

export interface GoReferenceRun {
  status: number;
  stdout: Buffer;
  stderr: string;
}

export interface GoReference {
  /** Path of the built binary; builds it first when missing or stale. */
  bin(): string;
  /** Runs it; never throws on a non-zero exit (verifiers exit 1 on findings). */
  run(args: string[]): GoReferenceRun;
}

/**
 * `packages`: the Debian packages it builds from, named in the error when a library is missing;
 * `libs`: source folders (under /usr/share/gocode/src) that must exist.
 */
export function goReference(name: string, o: { what: string; packages: string[]; libs: string[] }): GoReference {
  const src = resolve(SHARED, 'tools', name);
  const dir = resolve(ROOT, '.cache', name);
  const binPath = resolve(dir, 'bin', name);
  let built: string | undefined;
  const bin = () => {
    if (built) return built;
    const fresh = existsSync(binPath) && statSync(binPath).mtimeMs >= statSync(resolve(src, 'main.go')).mtimeMs;
    if (!fresh) {
      const go = spawnSync('go', ['version'], { encoding: 'utf8' });
      const missing = o.libs.map((l) => `/usr/share/gocode/src/${l}`).filter((l) => !existsSync(l));
      if (go.error || go.status !== 0 || missing.length > 0) {
        throw new Error(`${o.what} needs Go and the Debian package(s) ${o.packages.join(', ')} (${go.error ? 'go not found' : `missing ${missing.join(', ')}`}): run bash test/install-deps.sh`);
      }
      mkdirSync(dir, { recursive: true });
      for (const f of ['main.go', 'build.sh']) copyFileSync(resolve(src, f), resolve(dir, f));
      const r = spawnSync('sh', [resolve(dir, 'build.sh')], { encoding: 'utf8', cwd: dir });
      if (r.status !== 0) throw new Error(`building ${name} failed (see test/install-deps.sh for what it needs):\n${r.stdout}${r.stderr}`);
    }
    return (built = binPath);
  };
  return {
    bin,
    run(args) {
      const r = spawnSync(bin(), args, { maxBuffer: 1 << 30 });
      if (r.error) throw r.error;
      return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr.toString() };
    },
  };
}
