/** How layerlab writes figures for people, the same in the app and the CLI. */
import type { TreeNode } from './layer/tree-node.ts';
import { shortDigest as shortDigestOf } from './errors.ts';

/** 1234567 → "1.2 MB" (decimal units, like docker, dive and registries print). */
export function formatBytes(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return '–';
  if (n < 1000) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n / 1000;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) { v /= 1000; i++; }
  return `${v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : v.toFixed(0)} ${units[i]}`;
}

/** Exact count with thousands separators, for tooltips next to a rounded figure. */
export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

export function formatRate(bytesPerSecond: number): string {
  if (!Number.isFinite(bytesPerSecond) || bytesPerSecond <= 0) return '';
  return `${(bytesPerSecond / 1e6).toFixed(bytesPerSecond < 1e7 ? 1 : 0)} MB/s`;
}

export function formatPercent(x: number): string {
  return `${(x * 100).toFixed(x >= 0.999 || x <= 0.001 ? 0 : 1)} %`;
}

/** `sha256:0123456789ab`; '–' for none. */
export function shortDigest(d: string | undefined, hex = 12): string {
  return d ? shortDigestOf(d, hex) : '–';
}

/** Seconds since the epoch → "2024-05-01 12:34:56 UTC"; tar mtimes are UTC. */
export function formatMtime(seconds: number): string {
  if (!seconds) return '1970-01-01 00:00:00 UTC';
  const d = new Date(seconds * 1000);
  return Number.isNaN(d.getTime()) ? String(seconds) : d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}

export function formatDate(iso: string | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}

const TYPE_CHAR: Record<TreeNode['type'], string> = {
  file: '-', hardlink: '-', dir: 'd', symlink: 'l', char: 'c', block: 'b', fifo: 'p', whiteout: '-', opaque: 'd',
};

/** `ls -l` style: type, then rwx for user/group/other with setuid, setgid and sticky bits. */
export function modeString(type: TreeNode['type'], mode: number): string {
  const rwx = (bits: number, special: boolean, specialChar: string) => {
    const x = bits & 1;
    const exec = special ? (x ? specialChar : specialChar.toUpperCase()) : (x ? 'x' : '-');
    return `${bits & 4 ? 'r' : '-'}${bits & 2 ? 'w' : '-'}${exec}`;
  };
  return TYPE_CHAR[type] +
    rwx((mode >> 6) & 7, !!(mode & 0o4000), 's') +
    rwx((mode >> 3) & 7, !!(mode & 0o2000), 's') +
    rwx(mode & 7, !!(mode & 0o1000), 't');
}

/** Last path component. */
export function baseName(path: string): string {
  const i = path.lastIndexOf('/');
  return i >= 0 ? path.slice(i + 1) : path;
}

/** "application/vnd.oci.image.layer.v1.tar+gzip" → "oci tar+gzip" for a narrow column. */
export function shortMediaType(mt: string): string {
  if (!mt) return '–';
  return mt
    .replace('application/vnd.oci.image.layer.nydus.blob.v1', 'nydus blob')
    .replace('application/vnd.oci.image.layer.v1.', 'oci ')
    .replace('application/vnd.docker.image.rootfs.diff.', 'docker ')
    .replace('application/vnd.oci.image.layer.nondistributable.v1.', 'oci nondistributable ')
    .replace('application/vnd.docker.image.rootfs.foreign.diff.', 'docker foreign ');
}
