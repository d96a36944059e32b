import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * vitest globalSetup: every test's scratch files (tests call `os.tmpdir()`, and so do the tools
 * they spawn) go under one folder per run, removed when the run ends. A run writes several GB
 * (converted corpus images, oracle extracts); left in /tmp, repeated runs fill the disk.
 * `LAYERLAB_KEEP_TMP=1` keeps the folder for a look after a failure.
 */
export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'layerlab-test-run-'));
  process.env.TMPDIR = dir; // workers are started after this and inherit it
  return () => {
    if (process.env.LAYERLAB_KEEP_TMP) console.log(`test scratch files kept in ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  };
}
