import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';

export const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const SHARED = resolve(ROOT, '../shared');

export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs the real CLI (./bin/layerlab) as a user would. */
export function layerlab(...args: string[]): CliResult {
  const r = spawnSync(resolve(ROOT, 'bin/layerlab'), args, { encoding: 'utf8', maxBuffer: 512 << 20, cwd: ROOT });
  if (r.error) throw r.error;
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Runs a command and returns stdout; throws with stderr when it fails. */
export function run(cmd: string, args: string[], opts: { cwd?: string; input?: string | Buffer } = {}): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 512 << 20, ...opts });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

/** The CLI without blocking this process (needed when the test itself serves the CLI, e.g. over HTTP). */
export function layerlabAsync(...args: string[]): Promise<CliResult> {
  return new Promise((res, rej) => {
    const p = spawn(resolve(ROOT, 'bin/layerlab'), args, { cwd: ROOT });
    let stdout = '', stderr = '';
    p.stdout.on('data', (d: Buffer) => { stdout += d; });
    p.stderr.on('data', (d: Buffer) => { stderr += d; });
    p.on('error', rej);
    p.on('close', (status) => res({ status: status ?? -1, stdout, stderr }));
  });
}
