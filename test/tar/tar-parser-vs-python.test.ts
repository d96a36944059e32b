/**
 * The parser against Python's tarfile on archives made at test time by GNU tar (every
 * --format) and by tarfile itself (PAX, GNU, USTAR): every member's name bytes, type, size,
 * mode, owner, times, link target, device numbers, PAX records, xattrs, data sha256 and the
 * header/data offsets must be what tarfile reports (`offset`, `offset_data`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linkSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expectSameAsPython, parseBytes, pythonMake, pythonViews, run, tempDir, type Parsed, type PyMember } from './support.ts';

const tmp = tempDir('vs-python');
const archives = new Map<string, string>();
let python: Record<string, PyMember[]> = {};
let mknodWorked = false;

/** A tree with what each tar format has to express; built on disk, archived by GNU tar. */
function buildTree(root: string): void {
  const d = join(root, 'd');
  mkdirSync(d);
  writeFileSync(join(d, 'empty'), '');
  writeFileSync(join(d, 'one'), '1');
  writeFileSync(join(d, 'f511'), Buffer.alloc(511, 7));
  writeFileSync(join(d, 'f512'), Buffer.alloc(512, 8));
  writeFileSync(join(d, 'f513'), Buffer.alloc(513, 9));
  // 157 bytes: fits ustar only as prefix + name.
  mkdirSync(join(d, 'a'.repeat(90)));
  writeFileSync(join(d, 'a'.repeat(90), 'b'.repeat(60) + '.txt'), 'split\n');
  // 403 bytes: needs GNU 'L' or PAX path.
  mkdirSync(join(d, 'x'.repeat(200)));
  writeFileSync(join(d, 'x'.repeat(200), 'y'.repeat(200)), 'long\n');
  symlinkSync('target', join(d, 'link'));
  symlinkSync('../' + 'z'.repeat(150), join(d, 'longlink'));
  linkSync(join(d, 'f513'), join(d, 'hard'));
  // Non-UTF-8 name bytes, kept as they are.
  writeFileSync(Buffer.concat([Buffer.from(join(d, 'raw-')), Buffer.from([0xff, 0xfe]), Buffer.from('.bin')]), 'raw');
  writeFileSync(join(d, 'caf\u00e9.txt'), 'utf-8');
  writeFileSync(join(d, 'frac'), 'fraction');
  writeFileSync(join(d, 'setuid'), '#!/bin/sh\n');
  run('chmod', ['4755', join(d, 'setuid')]);
  run('touch', ['-d', '2020-01-01 00:00:00.123456789', join(d, 'frac')]);
  run('mkfifo', [join(d, 'fifo')]);
  try {
    run('mknod', [join(d, 'null'), 'c', '1', '3']);
    mknodWorked = true;
  } catch {
    // Not root: device members are still covered by the tarfile-made archives.
  }
  run('python3', ['-c', `import os; os.setxattr(${JSON.stringify(join(d, 'one'))}, 'user.test', b'v\\x00\\xff')`]);
  // A sparse file: 1 MiB hole, 5 bytes, 2 MiB hole.
  const sparse = join(d, 'sparse');
  run('truncate', ['-s', '3M', sparse]);
  run('python3', ['-c', `f=open(${JSON.stringify(sparse)},'r+b'); f.seek(1<<20); f.write(b'hello')`]);
}

beforeAll(() => {
  buildTree(tmp.path);
  const env = { ...process.env, TZ: 'UTC', LC_ALL: 'C.UTF-8' };
  const gnuTar = (out: string, args: string[]) => {
    // ustar and v7 cannot hold some members; GNU tar skips those with status 2 and writes the rest.
    run('tar', ['--sort=name', '-cf', join(tmp.path, out), ...args, 'd'], { cwd: tmp.path, env, ok: [0, 2] });
    archives.set(out, join(tmp.path, out));
  };
  gnuTar('gnu.tar', ['--format=gnu', '--sparse', '--owner=bob:3000000', '--group=grp:4000000']);
  gnuTar('oldgnu.tar', ['--format=oldgnu', '--sparse']);
  gnuTar('posix.tar', ['--format=posix', '--xattrs', '--sparse', '--owner=bob:3000000']);
  for (const v of ['0.0', '0.1', '1.0']) gnuTar(`posix-sparse-${v}.tar`, ['--format=posix', '--sparse', `--sparse-version=${v}`]);
  gnuTar('ustar.tar', ['--format=ustar']);
  gnuTar('v7.tar', ['--format=v7']);
  for (const p of pythonMake(tmp.path)) archives.set(p.slice(tmp.path.length + 1), p);
  python = pythonViews([...archives.values()]);
}, 60_000);

afterAll(() => tmp.remove());

function parsedOf(name: string): Parsed {
  return parseBytes(new Uint8Array(readFileSync(archives.get(name)!)), 64 << 10);
}

describe('TarParser agrees with Python tarfile', () => {
  const all = ['gnu.tar', 'oldgnu.tar', 'posix.tar', 'posix-sparse-0.0.tar', 'posix-sparse-0.1.tar', 'posix-sparse-1.0.tar',
    'ustar.tar', 'v7.tar', 'python-pax.tar', 'python-gnu.tar', 'python-ustar.tar'];
  for (const name of all) {
    it(`reads ${name} member by member as tarfile does`, () => {
      const parsed = parsedOf(name);
      expectSameAsPython(parsed, python[archives.get(name)!], name);
      // Every archive here ends with the POSIX end-of-archive blocks, right after the last member.
      const last = parsed.entries[parsed.entries.length - 1];
      expect(parsed.endOfArchive).toBe(last.dataOffset + Math.ceil(last.size / 512) * 512);
    });
  }

  // The comparisons above only mean something if the archives hold the hard cases.
  it('the archives hold the cases they are meant to test', () => {
    const byName = (a: string) => parsedOf(a).entries;
    const gnu = byName('gnu.tar');
    expect(gnu.some((e) => e.nameBytes.length > 255 && e.headerLength > 512)).toBe(true); // 'L'
    expect(gnu.some((e) => e.linknameBytes.length > 100 && e.type === 'symlink')).toBe(true); // 'K'
    expect(gnu.some((e) => e.uid === 3000000 && e.gid === 4000000)).toBe(true); // base-256
    expect(gnu.find((e) => e.name === 'd/sparse')).toMatchObject({ type: 'sparse', typeflag: 'S', realSize: 3 << 20 });
    expect(gnu.find((e) => e.name === 'd/hard')).toMatchObject({ type: 'hardlink', linkname: 'd/f513', size: 0 });
    expect(gnu.find((e) => e.name === 'd/fifo')).toMatchObject({ type: 'fifo' });
    if (mknodWorked) expect(gnu.find((e) => e.name === 'd/null')).toMatchObject({ type: 'char', devmajor: 1, devminor: 3 });

    const posix = byName('posix.tar');
    expect(posix.find((e) => e.name === 'd/one')!.xattrs.get('user.test')).toEqual(new Uint8Array([0x76, 0, 0xff]));
    expect(posix.find((e) => e.name === 'd/frac')!.mtime).toBe(1577836800.123456789);
    expect(posix.some((e) => e.pax.has('path') && e.nameBytes.length > 255)).toBe(true);
    expect(posix.find((e) => e.name === 'd/sparse')).toMatchObject({ type: 'sparse', typeflag: '0', realSize: 3 << 20 });
    for (const v of ['0.0', '0.1', '1.0']) {
      expect(byName(`posix-sparse-${v}.tar`).find((e) => e.name === 'd/sparse'), v).toMatchObject({ type: 'sparse', realSize: 3 << 20 });
    }

    const ustar = byName('ustar.tar');
    const split = ustar.find((e) => e.nameBytes.length === 2 + 90 + 1 + 64)!;
    expect(split.headerLength).toBe(512); // prefix + name, no extension header
    expect(ustar.some((e) => e.nameBytes.length > 255)).toBe(false);
    // v7 has no owner names; GNU tar still writes '5' for directories there.
    expect(byName('v7.tar').every((e) => e.uname === '' && e.gname === '')).toBe(true);

    const pyPax = byName('python-pax.tar');
    expect(pyPax[0].headerOffset).toBe(1024); // after the global header, which is no member's
    expect(pyPax.every((e) => e.xattrs.get('user.global')?.[0] === 0x67)).toBe(true);
    const x = pyPax.find((e) => e.name === 'd/xattr')!;
    expect(x.xattrs.get('user.b=x')).toEqual(new Uint8Array([0, 0xff, 0x62, 0x69, 0x6e])); // LIBARCHIVE, base64
    expect(x.xattrs.get('security.capability')).toEqual(new Uint8Array([1, 0, 0xff, 0x80]));
    expect(pyPax.find((e) => e.name === 'd/old')!.mtime).toBe(-1000);
    expect(pyPax.find((e) => e.name === 'd/frac')!.mtime).toBe(1700000000.5);
    const raw = pyPax.find((e) => e.pax.get('hdrcharset') !== undefined)!;
    expect([...raw.nameBytes.subarray(6, 8)]).toEqual([0xff, 0xfe]);
    expect(raw.name).toBe('d/raw-\ufffd\ufffd.bin');

    const pyGnu = byName('python-gnu.tar');
    expect(pyGnu.find((e) => e.name === 'd/old')!.mtime).toBe(-1000); // negative base-256
    expect(pyGnu.find((e) => e.name === 'd/bigid')).toMatchObject({ uid: 3000000, gid: 4000000 });
    expect(pyGnu.find((e) => e.name === 'd/sda')).toMatchObject({ type: 'block', devmajor: 8, devminor: 0, mode: 0o660 });
  });
});
