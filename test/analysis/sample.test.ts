import { describe, it, expect } from 'vitest';
import { resolve } from 'node:path';
import { ROOT, SHARED, layerlab, run } from '../helpers/cli.ts';

/** The bundled sample (public/sample/make-sample.sh: busybox + umoci + skopeo) against expect.py. */
const SAMPLE = resolve(ROOT, 'public/sample/sample.tar');
const EXPECT = resolve(SHARED, 'tools/corpus/expect.py');

describe('the bundled sample image', () => {
  it('inspect --json and ls --tsv equal the corpus ground truth', () => {
    const r = layerlab('inspect', SAMPLE, '--json');
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toStrictEqual(JSON.parse(run('python3', [EXPECT, SAMPLE])));
    expect(layerlab('ls', SAMPLE, '--tsv').stdout).toBe(run('python3', [EXPECT, '--tree', SAMPLE]));
  });

  it('cat returns the top layer version of a file, and a hard link resolves to its copy', () => {
    expect(layerlab('cat', SAMPLE, 'etc/os-release').stdout).toBe('NAME="layerlab sample"\nVERSION_ID=2\n');
    expect(layerlab('cat', SAMPLE, '/etc/os-release', '--layer', '0').stdout).toBe('NAME="layerlab sample"\nVERSION_ID=1\n');
    const script = '#!/bin/sh\necho "$GREETING from layerlab"\n';
    expect(layerlab('cat', SAMPLE, 'app/hello.sh').stdout).toBe(script);
    expect(layerlab('cat', SAMPLE, 'app/hello-link.sh').stdout).toBe(script);
    const missing = layerlab('cat', SAMPLE, 'var/log/build.log');
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/no var\/log\/build\.log in the merged tree/);
  });

  it('inspect --report: config summary, history mapped to layers, waste and duplicates', () => {
    const rep = JSON.parse(layerlab('inspect', SAMPLE, '--report').stdout);
    expect(rep.summary).toMatchObject({ entrypoint: ['/bin/sh'], cmd: ['/app/hello.sh'], user: '1000:1000', workdir: '/app', ports: ['8080/tcp'] });
    const mapped = rep.history.filter((h: { layer?: number }) => h.layer !== undefined).map((h: { layer: number }) => h.layer);
    expect(mapped).toEqual([0, 1, 2]);
    expect(rep.history.some((h: { emptyLayer: boolean }) => h.emptyLayer)).toBe(true);
    // data-copy.bin (layer 2) duplicates data.bin (layer 1)
    const dup = rep.duplicates.find((d: { size: number }) => d.size === 300000);
    expect(dup.copies).toEqual([{ layer: 1, path: 'app/static/data.bin' }, { layer: 2, path: 'app/static/data-copy.bin' }]);
    // the whited-out build log and the overwritten README are the waste
    expect(rep.layers[0].wastedBytes).toBe(20000 + 36); // build.log, and the first etc/os-release
    expect(rep.layers[1].wastedBytes).toBe(60);
    expect(rep.layers[1].removed).toBe(1);
    expect(rep.efficiency).toBeCloseTo(1 - rep.wastedBytes / rep.layers.reduce((s: number, l: { fileBytes: number }) => s + l.fileBytes, 0), 12);
  });
});
