/**
 * Members for the writer tests: one of each case the encoder treats differently (plain ustar,
 * prefix split, PAX path / linkpath / uid / gid / mtime / uname / gname / xattrs, non-UTF-8
 * name, every type). Shared by the GNU tar / Python checks and the Go check.
 */
import { TarWriter, type TarWriterEntry, type TarWriterOptions } from '../../src/core/tar/tar-writer.ts';

export interface Sample {
  entry: TarWriterEntry;
  body?: Uint8Array;
}

const enc = new TextEncoder();
const bytes = (n: number, seed: number) => new Uint8Array(n).map((_, i) => (i * 31 + seed) & 0xff);
const T = 1700000000;
/** 'w/raw-\xff\xfe.bin': not UTF-8. */
export const RAW_NAME = new Uint8Array([...enc.encode('w/raw-'), 0xff, 0xfe, ...enc.encode('.bin')]);

export function writerSamples(): Sample[] {
  const own = { uid: 1000, gid: 1000, uname: 'user', gname: 'group', mtime: T };
  return [
    { entry: { name: 'w/', type: 'dir', mode: 0o755, ...own } },
    { entry: { name: 'w/empty', type: 'file', mode: 0o644, ...own } },
    { entry: { name: 'w/f512', type: 'file', mode: 0o644, ...own }, body: bytes(512, 1) },
    { entry: { name: 'w/f513', type: 'file', mode: 0o640, ...own }, body: bytes(513, 2) },
    { entry: { name: 'w/' + 'a'.repeat(90) + '/', type: 'dir', mode: 0o755, ...own } },
    { entry: { name: 'w/' + 'a'.repeat(90) + '/' + 'b'.repeat(60) + '.txt', type: 'file', mode: 0o644, ...own }, body: enc.encode('prefix + name\n') },
    { entry: { name: 'w/' + 'x'.repeat(200) + '/', type: 'dir', mode: 0o755, ...own } },
    { entry: { name: 'w/' + 'x'.repeat(200) + '/' + 'y'.repeat(150), type: 'file', mode: 0o644, ...own }, body: enc.encode('PAX path\n') },
    { entry: { name: 'w/caf\u00e9-\u6587\u4ef6.txt', type: 'file', mode: 0o644, ...own }, body: enc.encode('UTF-8 name\n') },
    { entry: { name: new TextDecoder().decode(RAW_NAME), nameBytes: RAW_NAME, type: 'file', mode: 0o644, ...own }, body: enc.encode('raw name\n') },
    { entry: { name: 'w/link', type: 'symlink', linkname: 'target', mode: 0o777, ...own } },
    { entry: { name: 'w/longlink', type: 'symlink', linkname: '../' + 'z'.repeat(150), mode: 0o777, ...own } },
    { entry: { name: 'w/hard', type: 'hardlink', linkname: 'w/f513', mode: 0o640, ...own } },
    { entry: { name: 'w/null', type: 'char', devmajor: 1, devminor: 3, mode: 0o666, ...own } },
    { entry: { name: 'w/sda', type: 'block', devmajor: 8, devminor: 16, mode: 0o660, ...own } },
    { entry: { name: 'w/fifo', type: 'fifo', mode: 0o644, ...own } },
    { entry: { name: 'w/bigid', type: 'file', mode: 0o644, ...own, uid: 3000000, gid: 4000000 }, body: enc.encode('big ids\n') },
    { entry: { name: 'w/frac', type: 'file', mode: 0o644, ...own, mtime: T + 0.25 }, body: enc.encode('quarter second\n') },
    { entry: { name: 'w/old', type: 'file', mode: 0o644, ...own, mtime: -1000 }, body: enc.encode('before 1970\n') },
    { entry: { name: 'w/names', type: 'file', mode: 0o644, ...own, uname: 'u'.repeat(40), gname: 'gr\u00fcppe' }, body: enc.encode('owner names\n') },
    {
      entry: {
        name: 'w/xattr', type: 'file', mode: 0o644, ...own,
        xattrs: new Map([['user.plain', enc.encode('value')], ['user.bin', new Uint8Array([0, 0xff, 0x80])]]),
        pax: new Map([['comment', enc.encode('kept')]]),
      },
      body: enc.encode('xattrs\n'),
    },
    { entry: { name: 'w/setuid', type: 'file', mode: 0o4755, ...own }, body: enc.encode('#!/bin/sh\n') },
    { entry: { name: 'w/big-body', type: 'file', mode: 0o644, ...own }, body: bytes(100_000, 3) },
  ];
}

/** Runs the writer over samples; bodies go in uneven pieces to exercise the sink. */
export async function writeTar(samples: Sample[], options?: TarWriterOptions): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  const w = new TarWriter((c) => chunks.push(c), options);
  for (const { entry, body } of samples) {
    if (body && body.length > 1000) {
      await w.addEntry({ ...entry, size: body.length }, (async function* () {
        for (let i = 0; i < body.length; i += 777) yield body.subarray(i, i + 777);
      })());
    } else {
      await w.addEntry(entry, body);
    }
  }
  w.finish();
  return Buffer.concat(chunks);
}
