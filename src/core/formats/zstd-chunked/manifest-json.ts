/**
 * The zstd:chunked manifest JSON exactly as containers/storage writes it (spec zstd-chunked.md
 * §3): `json.Marshal` (jsoniter, std-compatible) of `{version, entries, tarSplitDigest}` over
 * `minimal.FileMetadata`. Byte-identical output matters: the manifest-checksum annotation is the
 * sha256 of these bytes compressed, and a reader compares entries with the tar-split headers.
 *
 * Go rules reproduced: compact; keys in struct order (`type name linkName mode size uid gid
 * modtime accesstime changetime devMajor devMinor xattrs digest offset endOffset chunkSize
 * chunkOffset chunkDigest chunkType`); every field but `type` and `name` omitted when empty
 * (`omitempty`: "", 0, nil time pointer, empty map); string escaping as ../../bytes/go-json.ts
 * (HTML characters, U+2028/2029, invalid UTF-8 → \ufffd); `xattrs` keys sorted by bytes, values
 * already base64; a nil entry list → `null`; `tarSplitDigest` omitted when empty.
 */
import { GoJsonBuilder, compareUtf8 } from '../../bytes/go-json.ts';
import { LayerlabError } from '../../errors.ts';
import type { ManifestEntry } from './types.ts';

/**
 * One entry as the encoder takes it: the parsed shape (types.ts), times as their JSON text, plus
 * the raw bytes of `name` / `linkName` when they are not valid UTF-8 (Go escapes such bytes one
 * by one; a JS string has lost them).
 */
export interface ManifestJsonEntry extends ManifestEntry {
  nameBytes?: Uint8Array;
  linkNameBytes?: Uint8Array;
}

/** `json.Marshal(TOC{Version: 1, Entries: entries, TarSplitDigest: tarSplitDigest})`. */
export function encodeManifestJson(entries: readonly ManifestJsonEntry[], tarSplitDigest?: string): Uint8Array {
  const out = new GoJsonBuilder(Math.max(1 << 16, entries.length * 256));
  out.ascii('{"version":1,"entries":');
  if (entries.length === 0) {
    // The writer's entry slice starts nil and stays so for a tar without entries.
    out.ascii('null');
  } else {
    out.ascii('[');
    for (let i = 0; i < entries.length; i++) {
      if (i > 0) out.ascii(',');
      writeEntry(out, entries[i]);
    }
    out.ascii(']');
  }
  if (tarSplitDigest) out.ascii(',"tarSplitDigest":').string(tarSplitDigest);
  out.ascii('}');
  return out.result();
}

function writeEntry(out: GoJsonBuilder, e: ManifestJsonEntry): void {
  const str = (key: string, v: string | undefined, raw?: Uint8Array) => {
    if (raw ? raw.length > 0 : v) {
      out.ascii(`,"${key}":`);
      if (raw) out.stringBytes(raw);
      else out.string(v!);
    }
  };
  const int = (key: string, v: number | undefined) => {
    if (v) out.ascii(`,"${key}":${v}`);
  };
  out.ascii('{"type":').string(e.type);
  out.ascii(',"name":');
  if (e.nameBytes) out.stringBytes(e.nameBytes);
  else out.string(e.name);
  str('linkName', e.linkName, e.linkNameBytes);
  int('mode', e.mode);
  int('size', e.size);
  int('uid', e.uid);
  int('gid', e.gid);
  str('modtime', e.modtime);
  str('accesstime', e.accesstime);
  str('changetime', e.changetime);
  int('devMajor', e.devMajor);
  int('devMinor', e.devMinor);
  if (e.xattrs) {
    const keys = Object.keys(e.xattrs).sort(compareUtf8);
    if (keys.length > 0) {
      out.ascii(',"xattrs":{');
      keys.forEach((k, i) => {
        if (i > 0) out.ascii(',');
        out.string(k).ascii(':').string(e.xattrs![k]);
      });
      out.ascii('}');
    }
  }
  str('digest', e.digest);
  int('offset', e.offset);
  int('endOffset', e.endOffset);
  int('chunkSize', e.chunkSize);
  int('chunkOffset', e.chunkOffset);
  str('chunkDigest', e.chunkDigest);
  str('chunkType', e.chunkType);
  out.ascii('}');
}

/** A point in time as Go's `time.Time` holds it: Unix seconds and nanoseconds (0 ≤ nsec < 1e9). */
export interface GoTime {
  sec: number;
  nsec: number;
}

/**
 * `time.Time.MarshalJSON` text of a UTC time (RFC 3339 with nanoseconds, trailing zeros of the
 * fraction dropped, zone `Z`), without the quotes. Go refuses years outside 0..9999 (the marshal
 * fails, and with it containers/storage's writer): UNSUPPORTED here.
 */
export function goTimeText(t: GoTime): string {
  const d = new Date(t.sec * 1000);
  const y = d.getUTCFullYear();
  if (!Number.isFinite(t.sec) || Number.isNaN(y) || y < 0 || y > 9999) {
    throw new LayerlabError('UNSUPPORTED', `the time ${t.sec}s since the epoch is outside the years 0..9999 that Go can write in JSON (RFC 3339)`);
  }
  const p2 = (n: number) => String(n).padStart(2, '0');
  let frac = '';
  if (t.nsec > 0) frac = '.' + String(t.nsec).padStart(9, '0').replace(/0+$/, '');
  return `${String(y).padStart(4, '0')}-${p2(d.getUTCMonth() + 1)}-${p2(d.getUTCDate())}T${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}${frac}Z`;
}

/**
 * A PAX time record (`mtime`, `atime`, `ctime`) as Go's archive/tar `parsePAXTime` reads it:
 * integer seconds, then at most 9 fraction digits (more are cut off, fewer padded); a negative
 * value subtracts the fraction. undefined for text Go rejects (its reader then fails).
 */
export function parsePaxTime(v: Uint8Array): GoTime | undefined {
  const s = new TextDecoder().decode(v);
  const m = /^([+-]?\d+)(?:\.(\d*))?$/.exec(s);
  if (!m) return undefined;
  const sec = Number(m[1]);
  if (!Number.isSafeInteger(sec)) return undefined;
  const nsec = m[2] ? Number((m[2] + '000000000').slice(0, 9)) : 0;
  if (m[1].startsWith('-') && nsec > 0) return { sec: sec - 1, nsec: 1e9 - nsec };
  return { sec, nsec };
}
