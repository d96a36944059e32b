/**
 * A tiny tar DSL for tests that need archives no well-behaved writer makes: any field value,
 * raw bytes, base-256 numbers, broken checksums, hand-written PAX records. Deliberately
 * independent of src/core/tar (its own field table), so tests do not check code against itself.
 * (Joining bytes is not what is tested: that uses the engine's concatBytes.)
 *
 *   tarOf(file('a/b', 'hi'), dir('a/'), pax([['path', 'long…']], file('x', '')))
 */

import { concatBytes } from '../../src/core/bytes/concat.ts';

const FIELDS = {
  name: [0, 100], mode: [100, 8], uid: [108, 8], gid: [116, 8], size: [124, 12], mtime: [136, 12],
  chksum: [148, 8], typeflag: [156, 1], linkname: [157, 100], magic: [257, 8], uname: [265, 32],
  gname: [297, 32], devmajor: [329, 8], devminor: [337, 8], prefix: [345, 155],
} as const;

type Value = string | number | bigint | Uint8Array;

export interface HeaderSpec {
  name?: string | Uint8Array;
  mode?: Value;
  uid?: Value;
  gid?: Value;
  /** Defaults to the data length. A bigint is written base-256 (GNU), so can be huge or negative. */
  size?: Value;
  mtime?: Value;
  typeflag?: string;
  linkname?: string | Uint8Array;
  /** 'ustar' = POSIX "ustar\0" "00", 'gnu' = "ustar  \0", 'v7' = none. Default ustar. */
  format?: 'ustar' | 'gnu' | 'v7';
  uname?: string | Uint8Array;
  gname?: string | Uint8Array;
  devmajor?: Value;
  devminor?: Value;
  prefix?: string | Uint8Array;
  /** 'signed' sums bytes as signed chars (historic tars); a number is stored as is (a bad checksum). */
  checksum?: 'unsigned' | 'signed' | number;
  /** Raw bytes written last, before the checksum: [offset, bytes]. */
  poke?: [number, Uint8Array][];
}

const enc = new TextEncoder();
const bytesOf = (v: string | Uint8Array) => (typeof v === 'string' ? enc.encode(v) : v);

/** `len - 1` octal digits and a NUL. */
export function octal(v: number, len: number): Uint8Array {
  return enc.encode(v.toString(8).padStart(len - 1, '0') + '\0');
}

/** GNU base-256, two's complement for negative values. */
export function base256(v: bigint, len: number): Uint8Array {
  const out = new Uint8Array(len);
  let x = BigInt.asUintN(8 * len, v);
  for (let i = len - 1; i >= 0; i--) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  out[0] = v < 0n ? out[0] | 0xc0 : 0x80 | out[0];
  return out;
}

function field(v: Value, len: number): Uint8Array {
  if (typeof v === 'bigint') return base256(v, len);
  if (typeof v === 'number') return octal(v, len);
  return bytesOf(v);
}

export function header(spec: HeaderSpec, dataLength = 0): Uint8Array {
  const b = new Uint8Array(512);
  const put = (f: keyof typeof FIELDS, v: Value | undefined) => {
    if (v === undefined) return;
    const [at, len] = FIELDS[f];
    const bytes = field(v, len);
    b.set(bytes.subarray(0, len), at);
  };
  put('name', spec.name ?? 'file');
  put('mode', spec.mode ?? 0o644);
  put('uid', spec.uid ?? 0);
  put('gid', spec.gid ?? 0);
  put('size', spec.size ?? dataLength);
  put('mtime', spec.mtime ?? 1700000000);
  put('typeflag', spec.typeflag ?? '0');
  put('linkname', spec.linkname);
  const format = spec.format ?? 'ustar';
  if (format !== 'v7') {
    put('magic', format === 'ustar' ? 'ustar\u000000' : 'ustar  \0');
    put('uname', spec.uname ?? 'root');
    put('gname', spec.gname ?? 'root');
    put('devmajor', spec.devmajor ?? 0);
    put('devminor', spec.devminor ?? 0);
    put('prefix', spec.prefix);
  }
  for (const [at, bytes] of spec.poke ?? []) b.set(bytes, at);
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (const x of b) sum += spec.checksum === 'signed' ? (x << 24) >> 24 : x;
  const stored = typeof spec.checksum === 'number' ? spec.checksum : sum;
  b.set(enc.encode(stored.toString(8).padStart(6, '0') + '\0 '), 148);
  return b;
}

export function padded(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.ceil(data.length / 512) * 512);
  out.set(data);
  return out;
}

/** Header + data + padding. */
export function member(spec: HeaderSpec, data: string | Uint8Array = new Uint8Array(0)): Uint8Array {
  const d = bytesOf(data);
  return concat(header(spec, d.length), padded(d));
}

export function file(name: string | Uint8Array, data: string | Uint8Array = '', spec: HeaderSpec = {}): Uint8Array {
  return member({ ...spec, name, typeflag: spec.typeflag ?? '0' }, data);
}

export function dir(name: string, spec: HeaderSpec = {}): Uint8Array {
  return member({ mode: 0o755, ...spec, name, typeflag: '5' });
}

export function symlink(name: string, target: string, spec: HeaderSpec = {}): Uint8Array {
  return member({ mode: 0o777, ...spec, name, linkname: target, typeflag: '2' });
}

/** `"%d %s=%s\n"` records (POSIX pax), the length counting its own digits. */
export function paxRecords(records: [string, string | Uint8Array][]): Uint8Array {
  return concat(...records.map(([k, v]) => {
    const body = concat(enc.encode(` ${k}=`), bytesOf(v), enc.encode('\n'));
    const digits = String(body.length).length;
    let n = body.length + digits;
    if (String(n).length > digits) n = body.length + String(n).length;
    return concat(enc.encode(String(n)), body);
  }));
}

/** A PAX 'x' (or 'g') header with these records, then `next` (usually the member). */
export function pax(records: [string, string | Uint8Array][] | Uint8Array, next: Uint8Array = new Uint8Array(0), typeflag = 'x'): Uint8Array {
  const data = records instanceof Uint8Array ? records : paxRecords(records);
  return concat(member({ name: 'PaxHeaders/x', typeflag }, data), next);
}

/** A GNU 'L' (long name) or 'K' (long link) header holding `value` and its NUL, then `next`. */
export function gnuLong(kind: 'L' | 'K', value: string | Uint8Array, next: Uint8Array): Uint8Array {
  return concat(member({ name: '././@LongLink', typeflag: kind, format: 'gnu' }, concat(bytesOf(value), new Uint8Array(1))), next);
}

/** The POSIX end-of-archive marker: two zero blocks. */
export const END = new Uint8Array(1024);

export function tarOf(...members: Uint8Array[]): Uint8Array {
  return concat(...members, END);
}

/** A buffer of its own, always (tests edit what they build): the engine's join, copying a lone part. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  return parts.length === 1 ? parts[0].slice() : concatBytes(parts);
}
