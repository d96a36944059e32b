/**
 * Shared pieces of the Nydus builder tests: input tars made by Python's tarfile
 * (build-fixtures.py), the independent oracle (../shared/tools/nydus-oracle) and erofs-utils.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildNydusLayer, type NydusBuildOptions, type NydusLayerResult } from '../../src/core/formats/nydus/build/layer.ts';
import { ROOT, SHARED } from '../helpers/cli.ts';

export const ORACLE = resolve(SHARED, 'tools/nydus-oracle/nydus-oracle.py');
export const FIXTURES = resolve(SHARED, 'fixtures/nydus');
const PY = resolve(ROOT, 'test/nydus/build-fixtures.py');

export function tmp(prefix = 'nydus-build-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function run(cmd: string, args: string[]): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 256 << 20 });
  if (r.error) throw r.error;
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export function oracle(...args: string[]) {
  return run('python3', [ORACLE, ...args]);
}

export type Spec = Record<string, unknown>[];

/** Writes a tar of `spec` (see build-fixtures.py make_tar) and returns its path. */
export function makeTar(dir: string, name: string, spec: Spec): string {
  const specPath = join(dir, `${name}.json`);
  writeFileSync(specPath, JSON.stringify(spec));
  const out = join(dir, `${name}.tar`);
  const r = run('python3', [PY, 'tar', specPath, out]);
  if (r.status !== 0) throw new Error(r.stderr);
  return out;
}

/** Expected merged tree (tree-boot columns minus nlink/nid) of layer tars. */
export function expectedTree(dir: string, tars: string[]): string[][] {
  const out = join(dir, `expect-${Math.random().toString(36).slice(2)}.tsv`);
  const r = run('python3', [PY, 'expect', out, ...tars]);
  if (r.status !== 0) throw new Error(r.stderr);
  return readFileSync(out, 'utf8').trim().split('\n').map((l) => l.split('\t'));
}

export function tarEntries(tar: string): unknown[] {
  const r = run('python3', [PY, 'entries', tar]);
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as unknown[];
}

/** tree-boot rows with the columns build-fixtures.py predicts (nlink and nid dropped). */
export function treeBootRows(stdout: string): string[][] {
  return stdout.trim().split('\n').map((l) => {
    const c = l.split('\t');
    return [...c.slice(0, 9), c[11]];
  });
}

export async function* fileChunks(path: string, size = 65536): AsyncIterable<Uint8Array> {
  const data = readFileSync(path);
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

/** Builds the nydus layer of a tar file into `out`. */
export async function buildLayerFile(tar: string, out: string, o: NydusBuildOptions = {}): Promise<NydusLayerResult> {
  const parts: Uint8Array[] = [];
  const r = await buildNydusLayer(fileChunks(tar, 7919), (c) => { parts.push(c.slice()); }, o);
  writeFileSync(out, Buffer.concat(parts));
  return r;
}

/** A tree with every kind of entry the spec's checklist names. */
export function richSpec(): Spec {
  const many = Array.from({ length: 300 }, (_, i) => ({ name: `many/entry-with-a-fairly-long-name-${String(i).padStart(4, '0')}`, type: 'file', data: `n${i % 7}\n` }));
  return [
    { name: './', type: 'dir', mode: 0o755, mtime: 1690000000 },
    { name: 'a.txt', type: 'file', random: 1, size: 6000, uid: 1000, gid: 1000, xattrs: { 'user.foo': 'bar', 'security.capability': '\u0001\u0000\u0000\u0002' } },
    { name: 'hl', type: 'hardlink', target: 'a.txt' },
    { name: 'big.bin', type: 'file', random: 2, size: 2_500_000 },
    { name: 'dup.bin', type: 'file', repeat: 'ab', count: 600_000 },
    { name: 'dup2.bin', type: 'file', repeat: 'ab', count: 600_000 },
    { name: 'empty', type: 'file', data: '' },
    { name: '.wh.removed', type: 'file', data: '' },
    { name: '-dash', type: 'file', data: 'dash\n' },
    { name: '#hash', type: 'file', data: 'hash\n' },
    { name: 'link', type: 'symlink', target: 'a.txt' },
    { name: 'longlink', type: 'symlink', target: 'x'.repeat(3001) },
    { name: 'vlonglink', type: 'symlink', target: 'y/'.repeat(2025) + 'z' },
    { name: 'dev/', type: 'dir', xattrs: { 'trusted.overlay.opaque': 'y' } },
    { name: 'dev/null', type: 'char', dev: [1, 3] },
    { name: 'dev/sda', type: 'block', dev: [8, 0] },
    { name: 'dev/fifo', type: 'fifo' },
    { name: 'dev/big', type: 'char', dev: [300, 70000] },
    ...many,
    { name: 'deep/a/b/c/d/e/f.txt', type: 'file', data: 'deep\n', mode: 0o600, uid: 65534, gid: 65534 },
    { name: 'deep/a/', type: 'dir', mode: 0o700, mtime: 1600000000 },
    { name: 'sub/script', type: 'file', data: '#!/bin/sh\n', mode: 0o755 },
    { name: 'sub/tmp/', type: 'dir', mode: 0o777 },
    { name: 'sub/acl', type: 'file', data: 'acl', xattrs: { 'system.posix_acl_access': '\u0002\u0000\u0000\u0000' } },
    { name: 'unicodé/ファイル', type: 'file', data: 'utf8 name\n' },
  ];
}
