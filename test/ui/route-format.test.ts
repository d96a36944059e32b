import { describe, expect, it } from 'vitest';
import { formatRoute, parseRoute } from '../../src/ui/lib/route.ts';
import { formatBytes, modeString, shortMediaType } from '../../src/core/display.ts';

describe('route', () => {
  it('round-trips source, view, layer and path', () => {
    const r = parseRoute('#source=sample&view=files&layer=2&path=app/hello.sh');
    expect(r).toEqual({ source: { kind: 'sample' }, view: 'files', layer: 2, path: 'app/hello.sh' });
    expect(formatRoute(r)).toBe('#source=sample&view=files&layer=2&path=app/hello.sh');
    expect(parseRoute(formatRoute(r))).toEqual(r);
  });
  it('keeps URLs and odd paths intact', () => {
    const r = { source: { kind: 'url' as const, url: 'https://h.example/a b.tar?x=1&y=2' }, view: 'files' as const, layer: 'merged' as const, path: 'a&b/c=d #e' };
    expect(parseRoute(formatRoute(r))).toEqual(r);
  });
  it('accepts #sample and ignores unknown views', () => {
    expect(parseRoute('#sample').source).toEqual({ kind: 'sample' });
    expect(parseRoute('#view=nope').view).toBe('overview');
  });
});

describe('format', () => {
  it('prints modes like ls -l', () => {
    expect(modeString('file', 0o755)).toBe('-rwxr-xr-x');
    expect(modeString('dir', 0o1777)).toBe('drwxrwxrwt');
    expect(modeString('file', 0o4755)).toBe('-rwsr-xr-x');
    expect(modeString('file', 0o2644)).toBe('-rw-r-Sr--');
    expect(modeString('symlink', 0o777)).toBe('lrwxrwxrwx');
  });
  it('prints sizes in decimal units', () => {
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(1234)).toBe('1.23 kB');
    expect(formatBytes(85_301_248)).toBe('85.3 MB');
    expect(formatBytes(1.5e9)).toBe('1.50 GB');
  });
  it('shortens layer media types', () => {
    expect(shortMediaType('application/vnd.oci.image.layer.v1.tar+gzip')).toBe('oci tar+gzip');
  });
});
