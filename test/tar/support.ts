/**
 * Shared pieces of the tar tests: running our parser over bytes in chosen chunk sizes, and
 * asking Python's tarfile (./py/tarview.py) for its independent view of the same archive.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { TarParser, type TarParserOptions } from '../../src/core/tar/tar-parser.ts';
import type { TarEntry } from '../../src/core/tar/tar-types.ts';

export const HERE = dirname(fileURLToPath(import.meta.url));
const TARVIEW = join(HERE, 'py', 'tarview.py');

export interface Parsed {
  entries: TarEntry[];
  /** Each member's data, joined; one per entry. */
  bodies: Uint8Array[];
  /** Number of data() calls per entry. */
  pieces: number[];
  endOfArchive: number | undefined;
  offset: number;
}

/**
 * Parses `bytes` pushing `chunk` bytes at a time (a list cycles: [511, 513] alternates).
 * Body pieces are copied as they arrive, so a wrong view would show up as wrong bytes.
 */
export function parseBytes(bytes: Uint8Array, chunk: number | number[] = bytes.length || 1, options?: TarParserOptions): Parsed {
  const sizes = Array.isArray(chunk) ? chunk : [chunk];
  const out: Parsed = { entries: [], bodies: [], pieces: [], endOfArchive: undefined, offset: 0 };
  const parser = new TarParser({
    entry(e) {
      const index = out.entries.push(e) - 1;
      const parts: Uint8Array[] = [];
      out.pieces.push(0);
      out.bodies.push(new Uint8Array(0));
      return {
        data(c) { parts.push(c.slice()); out.pieces[index]++; },
        end() { out.bodies[index] = Buffer.concat(parts); },
      };
    },
    endOfArchive(offset) { out.endOfArchive = offset; },
  }, options);
  let k = 0;
  for (let i = 0; i < bytes.length;) {
    const n = sizes[k++ % sizes.length];
    parser.push(bytes.subarray(i, i + n));
    i += n;
  }
  parser.finish();
  out.offset = parser.offset;
  return out;
}

/** Runs `fn`, returns what it threw (failing the test if it did not throw). */
export function thrown(fn: () => unknown): any {
  try {
    fn();
  } catch (e) {
    return e;
  }
  expect.fail('expected an error, nothing was thrown');
}

export function sha256(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

export function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

export function fromHex(h: string): Uint8Array {
  return new Uint8Array(Buffer.from(h, 'hex'));
}

export function tempDir(tag: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), `layerlab-tar-${tag}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** Runs a command; throws with its stderr if it fails (or exits with a status not in `ok`). */
export function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; ok?: number[]; input?: Uint8Array } = {}): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 256 << 20, cwd: opts.cwd, env: opts.env ?? process.env, input: opts.input });
  if (r.error) throw r.error;
  if (!(opts.ok ?? [0]).includes(r.status ?? -1)) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

/** Member as tarview.py reports it (see its docstring). */
export interface PyMember {
  name: string;
  type: string;
  isdir: boolean;
  size: number;
  mode: number;
  uid: number;
  gid: number;
  uname: string;
  gname: string;
  mtime: number;
  linkname: string;
  devmajor: number;
  devminor: number;
  offset: number;
  offset_data: number;
  sparse: boolean;
  pax: Record<string, string>;
  xattrs: Record<string, string>;
  sha256: string | null;
}

export function pythonView(file: string): PyMember[] {
  return JSON.parse(run('python3', [TARVIEW, 'view', file]));
}

/** Several archives in one Python run (each run costs ~0.1 s of interpreter start). */
export function pythonViews(files: string[]): Record<string, PyMember[]> {
  return JSON.parse(run('python3', [TARVIEW, 'views', ...files]));
}

export function pythonFirst(file: string): PyMember {
  return JSON.parse(run('python3', [TARVIEW, 'first', file]));
}

export function pythonMake(dir: string): string[] {
  return run('python3', [TARVIEW, 'make', dir]).trim().split('\n');
}

export function pythonXattrs(paths: string[]): Record<string, Record<string, string>> {
  return JSON.parse(run('python3', [TARVIEW, 'xattrs', ...paths]));
}

const TYPE_OF_FLAG: Record<string, TarEntry['type']> = {
  '0': 'file', '\0': 'file', '7': 'file', '1': 'hardlink', '2': 'symlink', '3': 'char', '4': 'block', '5': 'dir', '6': 'fifo', S: 'sparse',
};

/** Our view of a member in Python's terms, so that one `toEqual` shows every difference. */
export function asPython(e: TarEntry, body: Uint8Array | undefined, py: PyMember): Record<string, unknown> {
  // tarfile strips the trailing '/' of directory names and turns '\0'+'/' into '5'.
  let name = e.nameBytes;
  if (py.isdir) while (name.length > 1 && name[name.length - 1] === 0x2f) name = name.subarray(0, name.length - 1);
  const sparse10 = py.pax['GNU.sparse.major'] !== undefined;
  return {
    name: hex(name),
    type: py.isdir && e.typeflag === '\0' ? '5' : e.typeflag,
    isdir: e.type === 'dir',
    size: e.type === 'sparse' ? e.realSize : e.size,
    mode: e.mode,
    uid: e.uid,
    gid: e.gid,
    uname: hex(new TextEncoder().encode(e.uname)),
    gname: hex(new TextEncoder().encode(e.gname)),
    mtime: e.mtime,
    linkname: hex(e.linknameBytes),
    devmajor: e.devmajor,
    devminor: e.devminor,
    offset: e.headerOffset,
    // GNU sparse 1.0 keeps its map at the start of the data; tarfile skips it, we pass it on.
    offset_data: sparse10 ? py.offset_data : e.dataOffset,
    sparse: e.type === 'sparse',
    pax: Object.fromEntries([...e.pax].map(([k, v]) => [k, hex(v)])),
    xattrs: Object.fromEntries([...e.xattrs].map(([k, v]) => [k, hex(v)])),
    sha256: py.sha256 === null ? null : sha256(body ?? new Uint8Array(0)),
  };
}

/** What we compare Python's member against: its uname/gname as UTF-8 text, like ours. */
export function pythonComparable(py: PyMember): Record<string, unknown> {
  const text = (h: string) => hex(new TextEncoder().encode(new TextDecoder().decode(fromHex(h))));
  return { ...py, uname: text(py.uname), gname: text(py.gname) };
}

/** Asserts our entries equal tarfile's, member by member, with the member named on failure. */
export function expectSameAsPython(parsed: Parsed, py: PyMember[], label: string): void {
  expect(parsed.entries.map((e) => hex(e.nameBytes)).length, `${label}: member count`).toBe(py.length);
  parsed.entries.forEach((e, i) => {
    const p = py[i];
    expect(asPython(e, parsed.bodies[i], p), `${label}: member ${i} ${JSON.stringify(e.name)}`).toEqual(pythonComparable(p));
    expect(e.type, `${label}: type of ${e.name}`).toBe(p.sparse ? 'sparse' : p.isdir ? 'dir' : TYPE_OF_FLAG[p.type] ?? 'other');
    expect(e.headerLength, `${label}: headerLength of ${e.name}`).toBe(e.dataOffset - e.headerOffset);
    expect(e.name, `${label}: name text of ${e.name}`).toBe(new TextDecoder().decode(e.nameBytes));
  });
}
