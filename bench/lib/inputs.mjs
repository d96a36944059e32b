// Builds the bench inputs once into .cache/bench/ (gitignored) and describes them.
//
// Real content, not random: valid tars of system files (/usr/lib, /usr/share: libraries,
// locale data, docs), which compress like real layers (~3:1 with gzip -6). Files are taken in
// sorted path order until the target size is reached, so a rebuild on the same machine gives
// the same tar. Each compressed variant is made by the reference CLIs.
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const MiB = 1 << 20;

/** name → how it is made. `tar` variants hold the uncompressed stream the others decode to. */
export const INPUTS = {
  'tar': { file: 'layer.tar', what: 'tar of /usr/lib + /usr/share files, ≥ 256 MiB' },
  'gz': { file: 'layer.tar.gz', what: 'gzip -6 -n of tar (one member)' },
  'zst': { file: 'layer.tar.zst', what: 'zstd -3 of tar (one frame, content size in header)' },
  'gz-members': { file: 'layer.members.gz', what: 'tar cut in 1 MiB pieces, each gzip -6 -n, concatenated (eStargz-like members)' },
  'zst-frames': { file: 'layer.frames.zst', what: 'tar cut in 4 MiB pieces, each zstd -3 with content size, concatenated (zstd:chunked-like)' },
  'tar-64m': { file: 'layer-64m.tar', what: 'first 64 MiB of tar (encoder input)' },
  'tar-1g': { file: 'layer-1g.tar', what: 'tar of /usr/lib + /usr/share files, ≥ 1 GiB' },
  'gz-1g': { file: 'layer-1g.tar.gz', what: 'gzip -6 -n of tar-1g' },
};

export function cacheDir(root) {
  const dir = join(root, '.cache/bench');
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Builds what is missing; returns { name: { path, size, sha256?, ... } }. */
export function buildInputs(root, log = console.error) {
  const dir = cacheDir(root);
  const p = (n) => join(dir, INPUTS[n].file);
  const step = (name, make) => {
    if (existsSync(p(name))) return;
    const t = Date.now();
    log(`bench: building ${INPUTS[name].file} (${INPUTS[name].what}) …`);
    const tmp = p(name) + '.part';
    make(tmp);
    renameSync(tmp, p(name));
    log(`bench:   ${(statSync(p(name)).size / MiB).toFixed(1)} MiB in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  };
  const gzipTool = has('pigz') ? 'pigz' : 'gzip';

  step('tar', (out) => makeTar(out, 256 * MiB, dir));
  step('gz', (out) => sh(`${gzipTool} -6 -n -c < '${p('tar')}' > '${out}'`));
  step('zst', (out) => sh(`zstd -3 -q -T0 -c '${p('tar')}' > '${out}'`));
  step('gz-members', (out) => sh(`split -b 1M --filter='gzip -6 -n -c' '${p('tar')}' > '${out}'`));
  step('zst-frames', (out) => framesOf(p('tar'), out, 4 * MiB));
  step('tar-64m', (out) => sh(`head -c ${64 * MiB} '${p('tar')}' > '${out}'`));
  step('tar-1g', (out) => makeTar(out, 1024 * MiB, dir));
  step('gz-1g', (out) => sh(`${gzipTool} -6 -n -c < '${p('tar-1g')}' > '${out}'`));

  const meta = join(dir, 'inputs.json');
  const known = existsSync(meta) ? JSON.parse(readFileSync(meta, 'utf8')) : {};
  const result = {};
  for (const name of Object.keys(INPUTS)) {
    const path = p(name);
    const size = statSync(path).size;
    const prev = known[name];
    result[name] = prev && prev.size === size && prev.mtimeMs === statSync(path).mtimeMs
      ? { ...prev, path }
      : { path, size, mtimeMs: statSync(path).mtimeMs, sha256: name.startsWith('tar') ? sha256File(path) : undefined };
  }
  writeFileSync(meta, JSON.stringify(result, null, 1));
  return result;
}

function makeTar(out, target, dir) {
  // Regular files only (tar adds no parent directories for them); sorted; stop at the target.
  const list = execFileSync('sh', ['-c', "find /usr/lib /usr/share -xdev -type f -readable -printf '%p\\t%s\\n' 2>/dev/null | LC_ALL=C sort"],
    { maxBuffer: 1 << 30 }).toString().split('\n');
  const names = [];
  let total = 0;
  for (const line of list) {
    const [path, size] = line.split('\t');
    if (!size) continue;
    names.push(path.replace(/^\//, ''));
    total += Number(size) + 512;
    if (total >= target) break;
  }
  if (total < target) throw new Error(`only ${total} bytes of files under /usr/lib and /usr/share`);
  const listFile = join(dir, 'files.txt');
  writeFileSync(listFile, names.join('\n') + '\n');
  sh(`tar -cf '${out}' -C / --no-recursion --verbatim-files-from --files-from='${listFile}'`);
}

function framesOf(src, out, frame) {
  const fd = openSync(src, 'r');
  const parts = [];
  const buf = Buffer.alloc(frame);
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, frame, null);
      if (n === 0) break;
      // From stdin zstd cannot know the size; --stream-size makes it write Frame_Content_Size,
      // as zstd:chunked writers do.
      const r = spawnSync('zstd', ['-3', '-q', '-c', `--stream-size=${n}`], { input: buf.subarray(0, n), maxBuffer: 1 << 28 });
      if (r.status !== 0) throw new Error(`zstd failed: ${r.stderr}`);
      parts.push(r.stdout);
    }
  } finally {
    closeSync(fd);
  }
  writeFileSync(out, Buffer.concat(parts));
}

function sha256File(path) {
  return 'sha256:' + execFileSync('sha256sum', [path]).toString().split(' ')[0];
}

function sh(cmd) {
  execFileSync('sh', ['-c', `set -e; ${cmd}`], { stdio: ['ignore', 'ignore', 'inherit'] });
}

export function has(tool) {
  return spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
}
