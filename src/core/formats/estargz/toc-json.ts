/**
 * The TOC JSON exactly as Go writes it: `json.MarshalIndent(toc, "", "\t")` over the library's
 * `JTOC` / `TOCEntry` structs (spec §4.2, §4.4). Byte-identical output matters because the TOC
 * digest is the sha256 of these bytes: the same TOC must give the same digest as the reference.
 *
 * Go rules reproduced: keys in struct order, every field but `name`/`type` omitted when zero,
 * tab indentation with `"key": value`, no trailing newline; strings escaped with HTML escaping
 * (`<` `>` `&` → \u003c \u003e \u0026), U+2028/U+2029 escaped, control characters as \u00xx
 * except \n \r \t, every invalid UTF-8 byte → the escape \ufffd; map keys (`xattrs`) sorted by
 * bytes; a nil `entries` slice → `null`.
 */
import { GoJsonBuilder, compareUtf8 } from '../../bytes/go-json.ts';

export { base64Std } from '../../bytes/go-json.ts';
import type { TocEntry } from './types.ts';

/**
 * One TOC entry as the writer holds it. Strings may be given as raw UTF-8 bytes (`nameBytes`,
 * `linkNameBytes`) so that invalid UTF-8 is escaped per byte, as Go does; otherwise the JS string
 * is used. `xattrs` values are the raw bytes (JSON: standard base64).
 */
export interface TocJsonEntry extends Omit<TocEntry, 'xattrs'> {
  nameBytes?: Uint8Array;
  linkNameBytes?: Uint8Array;
  xattrs?: Map<string, Uint8Array>;
}

const utf8 = new TextEncoder();
const IND2 = '\n\t\t';
const IND3 = '\n\t\t\t';
const IND4 = '\n\t\t\t\t';

/** `json.MarshalIndent(JTOC{Version: 1, Entries: entries}, "", "\t")`. */
export function encodeTocJson(entries: readonly TocJsonEntry[] | null): Uint8Array {
  const out = new GoJsonBuilder();
  out.ascii('{\n\t"version": 1,\n\t"entries": ');
  if (entries === null) {
    out.ascii('null');
  } else if (entries.length === 0) {
    out.ascii('[]');
  } else {
    out.ascii('[');
    entries.forEach((e, i) => {
      if (i > 0) out.ascii(',');
      out.ascii(IND2 + '{');
      writeEntry(out, e);
      out.ascii(IND2 + '}');
    });
    out.ascii('\n\t]');
  }
  out.ascii('\n}');
  return out.result();
}

function writeEntry(out: GoJsonBuilder, e: TocJsonEntry): void {
  let first = true;
  const key = (k: string) => {
    out.ascii(first ? IND3 : ',' + IND3);
    first = false;
    out.ascii(`"${k}": `);
  };
  const str = (k: string, v: string | undefined, raw?: Uint8Array) => {
    if (raw ? raw.length === 0 : !v) return;
    key(k);
    out.stringBytes(raw ?? utf8.encode(v!));
  };
  const int = (k: string, v: number | undefined) => {
    if (!v) return;
    key(k);
    out.ascii(String(v));
  };
  key('name');
  out.stringBytes(e.nameBytes ?? utf8.encode(e.name));
  key('type');
  out.string(e.type);
  int('size', e.size);
  str('modtime', e.modtime);
  str('linkName', e.linkName, e.linkNameBytes);
  int('mode', e.mode);
  int('uid', e.uid);
  int('gid', e.gid);
  str('userName', e.userName);
  str('groupName', e.groupName);
  int('offset', e.offset);
  int('innerOffset', e.innerOffset);
  int('devMajor', e.devMajor);
  int('devMinor', e.devMinor);
  if (e.xattrs && e.xattrs.size > 0) {
    key('xattrs');
    out.ascii('{');
    const keys = [...e.xattrs.keys()].sort(compareUtf8);
    keys.forEach((k, i) => {
      out.ascii(i === 0 ? IND4 : ',' + IND4);
      out.string(k).ascii(': ').base64(e.xattrs!.get(k)!);
    });
    out.ascii(IND3 + '}');
  }
  str('digest', e.digest);
  int('chunkOffset', e.chunkOffset);
  int('chunkSize', e.chunkSize);
  str('chunkDigest', e.chunkDigest);
}

/**
 * `formatModtime` of the library: "" for the zero time or when the Unix seconds are 0, else
 * UTC RFC 3339 after rounding to the second (halves up). `mtime` is seconds since the epoch.
 */
export function formatModtime(mtime: number): string {
  if (Math.floor(mtime) === 0 || mtime === GO_ZERO_TIME) return '';
  const secs = Math.floor(mtime + 0.5);
  const d = new Date(secs * 1000);
  const y = d.getUTCFullYear();
  if (!Number.isFinite(y) || y < 0 || y > 9999) return '';
  const p2 = (n: number) => String(n).padStart(2, '0');
  return `${String(y).padStart(4, '0')}-${p2(d.getUTCMonth() + 1)}-${p2(d.getUTCDate())}T${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}Z`;
}

/** Go's zero `time.Time` (January 1, year 1, UTC) in Unix seconds. */
const GO_ZERO_TIME = -62135596800;
