/**
 * The tars every format of the registry is run through (./format-suite.ts), each small and each
 * aimed at something layer writers get wrong. `files` is what the DSL put in every regular file
 * (hard-link names included: they show the target's bytes), keyed by normalised path as a byte
 * string; it is the truth lazy reads are held to. Whiteout markers are not files of the image
 * (image-spec layer.md), so they are not in `files`.
 */
import { dir, file, gnuLong, member, pax, symlink, tarOf } from '../helpers/tar-builder.ts';
import { latin1 } from './tar-reader.ts';
import type { SuiteCase } from './format-suite.ts';

const enc = new TextEncoder();
const text = (s: string) => enc.encode(s);
const bytes = (...parts: (string | number[])[]) => new Uint8Array(parts.flatMap((p) => (typeof p === 'string' ? [...enc.encode(p)] : p)));
const filesOf = (entries: [string | Uint8Array, string | Uint8Array][]) =>
  new Map(entries.map(([k, v]) => [typeof k === 'string' ? latin1(text(k)) : latin1(k), typeof v === 'string' ? text(v) : v]));

const MiB = 1 << 20;

function hardLinks(): SuiteCase {
  const orig = 'the target of three hard links\n';
  return {
    name: 'hard links',
    about: 'links to files earlier in the same layer, one from another directory, one to an empty file',
    tar: tarOf(
      dir('hl/'),
      file('hl/orig', orig),
      member({ name: 'hl/link', typeflag: '1', linkname: 'hl/orig' }),
      dir('hl/sub/'),
      member({ name: 'hl/sub/link2', typeflag: '1', linkname: 'hl/orig' }),
      file('hl/zero', ''),
      member({ name: 'hl/zero-link', typeflag: '1', linkname: 'hl/zero' }),
    ),
    files: filesOf([['hl/orig', orig], ['hl/link', orig], ['hl/sub/link2', orig], ['hl/zero', ''], ['hl/zero-link', '']]),
  };
}

function longNames(): SuiteCase {
  // Components stay under 255 bytes (EROFS's limit, which Nydus inherits); the paths are > 100 bytes.
  const deep = `long/${'d'.repeat(70)}/${'e'.repeat(70)}`;
  const paxName = `${deep}/named-by-a-pax-path-record.txt`;
  const gnuName = `${deep}/named-by-a-gnu-L-record-${'g'.repeat(40)}.txt`;
  return {
    name: 'long names',
    about: 'names and link targets over 100 bytes, by PAX path/linkpath and by GNU L/K records',
    tar: tarOf(
      dir('long/'),
      pax([['path', paxName]], file('pax-placeholder', 'PAX path\n')),
      gnuLong('L', gnuName, file(gnuName.slice(0, 100), 'GNU L\n', { format: 'gnu' })),
      pax([['linkpath', `/${paxName}`]], symlink('long/pax-symlink', 'placeholder')),
      gnuLong('K', `/${gnuName}`, symlink('long/gnu-symlink', `/${gnuName}`.slice(0, 100), { format: 'gnu' })),
    ),
    files: filesOf([[paxName, 'PAX path\n'], [gnuName, 'GNU L\n']]),
  };
}

function longComponent(): SuiteCase {
  // Beyond the brief's list: one name component of 300 bytes. Tar (PAX) holds it; EROFS, and so
  // Nydus, allows 255 bytes per component: the refusal the suite's table must record.
  const name = `lc/${'c'.repeat(300)}`;
  return {
    name: 'long component',
    about: 'a single name component of 300 bytes (PAX path)',
    tar: tarOf(dir('lc/'), pax([['path', name]], file('lc/placeholder', 'long component\n'))),
    files: filesOf([[name, 'long component\n']]),
  };
}

function paxRecords(): SuiteCase {
  return {
    name: 'PAX records',
    about: 'mtime with a fraction, uid/gid beyond the octal fields, SCHILY.xattr.user.* (text and binary)',
    tar: tarOf(
      dir('pax/'),
      pax([
        ['mtime', '1700000000.123456789'],
        ['uid', '3000000000'],
        ['gid', '4000000000'],
        ['SCHILY.xattr.user.x', 'an xattr value'],
        ['SCHILY.xattr.user.bin', new Uint8Array([0, 1, 0xff, 0x80])],
      ], file('pax/file', 'PAX records\n')),
      pax([['mtime', '1600000000.5']], dir('pax/dir/')),
      pax([['SCHILY.xattr.user.on-a-dir', 'yes']], file('pax/dir/inner', 'inner\n', { uid: 1000, gid: 1000 })),
    ),
    files: filesOf([['pax/file', 'PAX records\n'], ['pax/dir/inner', 'inner\n']]),
  };
}

function zeroRuns(): SuiteCase {
  // Not a GNU sparse member: a regular file whose bytes are mostly zero. With 1 MiB chunks its
  // second and third chunks are identical all-zero chunks (Nydus stores one), the others are not.
  const big = new Uint8Array(3 * MiB + 100);
  big[1] = 0x58;
  big[3 * MiB + 50] = 0x59;
  big[big.length - 1] = 0x5a;
  const small = new Uint8Array(5000);
  small[4999] = 1;
  return {
    name: 'zero runs',
    about: 'a 3 MiB regular file of zeros with a few non-zero bytes (not a sparse member), and a smaller one',
    tar: tarOf(dir('zeros/'), file('zeros/big', big), file('zeros/small', small)),
    files: filesOf([['zeros/big', big], ['zeros/small', small]]),
  };
}

function emptyFiles(): SuiteCase {
  return {
    name: 'empty files',
    about: 'regular files without data, in a directory and at the top, one with its own mode',
    tar: tarOf(dir('empty/'), file('empty/a', ''), file('empty/b', '', { mode: 0o600 }), file('top-empty', ''), file('not-empty', 'x')),
    files: filesOf([['empty/a', ''], ['empty/b', ''], ['top-empty', ''], ['not-empty', 'x']]),
  };
}

function whiteouts(): SuiteCase {
  return {
    name: 'whiteouts',
    about: '.wh.NAME and .wh..wh..opq markers next to ordinary files',
    tar: tarOf(
      dir('wh/'),
      file('wh/kept', 'still here\n'),
      file('wh/.wh.gone', ''),
      dir('wh/opq/'),
      file('wh/opq/.wh..wh..opq', ''),
      file('wh/opq/new', 'new in the opaque dir\n'),
      file('.wh.top', ''),
    ),
    files: filesOf([['wh/kept', 'still here\n'], ['wh/opq/new', 'new in the opaque dir\n']]),
  };
}

function nonUtf8Names(): SuiteCase {
  const badFile = bytes('bad-', [0xff, 0xfe], '.txt');
  const badDir = bytes('dir-', [0xff], '/');
  const inner = bytes('dir-', [0xff], '/inner');
  return {
    name: 'non-UTF-8 names',
    about: 'bytes 0xff 0xfe in a file name, a directory name and a symlink target',
    tar: tarOf(
      file(badFile, 'a name that is not UTF-8\n'),
      member({ name: badDir, typeflag: '5', mode: 0o755 }),
      file(inner, 'inside a directory whose name is not UTF-8\n'),
      member({ name: 'link-to-bad', typeflag: '2', linkname: badFile, mode: 0o777 }),
    ),
    files: filesOf([[badFile, 'a name that is not UTF-8\n'], [inner, 'inside a directory whose name is not UTF-8\n']]),
  };
}

function symlinkTree(): SuiteCase {
  return {
    name: 'symlink tree',
    about: 'nested directories with relative, absolute, dangling, upward and directory symlinks',
    tar: tarOf(
      dir('tree/'),
      dir('tree/a/'),
      dir('tree/a/b/'),
      file('tree/a/b/f', 'leaf\n'),
      file('tree/a/x', '#!/bin/sh\n', { mode: 0o755 }),
      symlink('tree/rel', 'a/b/f'),
      symlink('tree/abs', '/etc/passwd'),
      symlink('tree/dangling', 'no/such/file'),
      symlink('tree/a/up', '../rel'),
      symlink('tree/dirlink', 'a/b'),
      dir('tree/private/', { mode: 0o700, uid: 1000, gid: 1000 }),
    ),
    files: filesOf([['tree/a/b/f', 'leaf\n'], ['tree/a/x', '#!/bin/sh\n']]),
  };
}

export function suiteCases(): SuiteCase[] {
  return [hardLinks(), longNames(), longComponent(), paxRecords(), zeroRuns(), emptyFiles(), whiteouts(), nonUtf8Names(), symlinkTree()];
}
