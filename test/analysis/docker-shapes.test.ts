import { describe, it, expect, beforeAll } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SHARED, layerlab, run } from '../helpers/cli.ts';

/**
 * The shapes of `docker save` other than the one skopeo writes, rebuilt from the synthetic
 * docker.tar of ../shared/tools/corpus/make-synthetic.py by a small Python script:
 * - Docker < 25: manifest.json lists `<id>/layer.tar`, the folders hold the layers;
 * - pre-1.10: no manifest.json at all, only `repositories` and `<id>/json` with `parent` links.
 * The figures must equal those of the original archive.
 */
const RESHAPE = String.raw`
import hashlib, io, json, sys, tarfile
src, mode, out = tarfile.open(sys.argv[1]), sys.argv[2], sys.argv[3]
man = json.load(src.extractfile('manifest.json'))[0]
cfg_bytes = src.extractfile(man['Config']).read()
dst = tarfile.open(out, 'w', format=tarfile.PAX_FORMAT)
def add(name, data):
    ti = tarfile.TarInfo(name); ti.size = len(data); dst.addfile(ti, io.BytesIO(data))
ids, parent = [], ''
for i, l in enumerate(man['Layers']):
    data = src.extractfile(l).read()
    lid = hashlib.sha256((parent + l).encode()).hexdigest()
    add(lid + '/layer.tar', data)
    add(lid + '/VERSION', b'1.0')
    meta = {'id': lid}
    if parent: meta['parent'] = parent
    if i == len(man['Layers']) - 1:
        meta.update(json.loads(cfg_bytes))
    add(lid + '/json', json.dumps(meta).encode())
    ids.append(lid); parent = lid
add(man['Config'], cfg_bytes)
if mode == 'folders':
    add('manifest.json', json.dumps([{'Config': man['Config'], 'RepoTags': ['x:latest'], 'Layers': [i + '/layer.tar' for i in ids]}]).encode())
add('repositories', json.dumps({'x': {'latest': ids[-1]}}).encode())
dst.close()
`;

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'layerlab-docker-'));
  run('python3', [resolve(SHARED, 'tools/corpus/make-synthetic.py'), dir]);
  for (const mode of ['folders', 'legacy']) run('python3', ['-c', RESHAPE, join(dir, 'docker.tar'), mode, join(dir, `${mode}.tar`)]);
});

describe('docker save shapes', () => {
  const figures = (path: string) => {
    const r = layerlab('inspect', path, '--json');
    expect(r.status, r.stderr).toBe(0);
    return JSON.parse(r.stdout);
  };
  it('Docker < 25: manifest.json naming <id>/layer.tar', () => {
    expect(figures(join(dir, 'folders.tar'))).toStrictEqual(figures(join(dir, 'docker.tar')));
  });
  it('pre-1.10: repositories and parent links, no manifest.json', () => {
    const want = figures(join(dir, 'docker.tar'));
    const got = figures(join(dir, 'legacy.tar'));
    expect(got.layers).toStrictEqual(want.layers);
    expect(got.merged).toStrictEqual(want.merged);
    // the v1 image JSON carries os/architecture at top level, as the config does
    expect(got.platform).toBe(want.platform);
  });
});
