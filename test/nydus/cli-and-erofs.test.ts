/**
 * `layerlab nydus inspect|check|cat` as a user runs them, and the v6 decoder against erofs-utils
 * (fsck.erofs / dump.erofs, spec §10) as an independent reader of the EROFS half.
 */
import { describe, it, expect } from 'vitest';
import { readFileSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fromPath } from '../../src/cli/node-sources.ts';
import { openNydus } from '../../src/core/formats/nydus/open-bootstrap.ts';
import { ROOT, SHARED, layerlab } from '../helpers/cli.ts';

const F = resolve(SHARED, 'fixtures/nydus');
const DF = resolve(F, 'dragonflyoss-nydus');
const SN = resolve(F, 'nydus-snapshotter');
const BE7 = 'be7d77eeb719f70884758d1aa800ed0fb09d701aaec469964e9d54325f0d5fef';

describe('layerlab nydus', () => {
  it('inspect --tree of a bootstrap layer prints the fixture listing', () => {
    const r = layerlab('nydus', 'inspect', resolve(SN, 'v6-bootstrap-chunk-pos-438272.tar.gz'), '--tree');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(readFileSync(resolve(SN, 'v6-bootstrap-chunk-pos-438272.listing.tsv'), 'utf8'));
  });

  it('inspect of a per-layer blob shows records, TOC and the offset quirk', () => {
    const r = layerlab('nydus', 'inspect', resolve(DF, '2fa78cad554b75ac91a4a125ed148d0ddeb25efa4aaa8bd80e5dc292690a4dca'));
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/layer-blob: RAFS v6/);
    expect(r.stdout).toMatch(/toc image\.boot: zstd @7997\+501→20480/);
    expect(r.stdout).toMatch(/nydus ≤ 2\.2 bug/);
    const j = JSON.parse(layerlab('nydus', 'inspect', resolve(DF, 'rafs-v6-2.2.boot'), '--json').stdout) as { blobs: { id: string }[]; summary: { files: number } };
    expect([j.blobs[0].id, j.summary.files]).toEqual([BE7, 2]);
  });

  it('check with blob data and layer digests; a wrong layer list fails', () => {
    const ok = layerlab('nydus', 'check', resolve(DF, 'rafs-v6-2.2.boot'), '--blob', resolve(DF, BE7), '--layers', `sha256:${BE7}`);
    expect([ok.status, ok.stdout]).toEqual([0, expect.stringMatching(/2 chunk\(s\) read and verified\nOK\n$/)]);
    const bad = layerlab('nydus', 'check', resolve(DF, 'rafs-v6-2.2.boot'), '--layers', 'sha256:' + '0'.repeat(64));
    expect([bad.status, bad.stdout]).toEqual([1, expect.stringMatching(/is not a layer of the manifest[\s\S]*FAILED/)]);
    const layer = layerlab('nydus', 'check', resolve(DF, '2fa78cad554b75ac91a4a125ed148d0ddeb25efa4aaa8bd80e5dc292690a4dca'));
    expect([layer.status, layer.stdout]).toEqual([0, expect.stringMatching(/toc image\.blob: ok[\s\S]*3 chunk\(s\) read and verified/)]);
  });

  it('cat fetches one file; errors are one clear line', () => {
    const r = spawnSync(resolve(ROOT, 'bin/layerlab'), ['nydus', 'cat', resolve(DF, 'sha256-nocompress-repeatable'), '/normal-file-test/holefiles/head-hole-1', '--blob', resolve(DF, 'blobs')], { maxBuffer: 64 << 20 });
    expect(r.status).toBe(0);
    expect(createHash('md5').update(r.stdout).digest('hex')).toBe('ea7ac8dc0ae3673040f3b1d816d972d7');
    const bad = layerlab('nydus', 'inspect', resolve(SN, 'invalid.tar.gz'));
    expect([bad.status, bad.stderr]).toEqual([1, expect.stringMatching(/^layerlab: bootstrap layer has no image\/image\.boot/)]);
    const none = layerlab('nydus', 'cat', resolve(DF, 'rafs-v6-2.2.boot'), '/lib.rs');
    expect([none.status, none.stderr]).toEqual([1, expect.stringMatching(/blob 0 \(be7d77.*\) is not available/)]);
  });
});

const haveErofs = spawnSync('fsck.erofs', ['-V']).error === undefined;

// test/install-deps.sh installs erofs-utils: without it this is a failure, not a silent skip.
it('erofs-utils is installed (test/install-deps.sh)', () => {
  expect(haveErofs, 'fsck.erofs is missing: run test/install-deps.sh').toBe(true);
});

describe.skipIf(!haveErofs)('v6 decoder vs erofs-utils 1.5', () => {
  it('fsck.erofs accepts the bootstraps, and dump.erofs lists every directory as we decode it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nydus-erofs-'));
    try {
      for (const [name, src] of [['ubuntu', resolve(SN, 'v6-bootstrap-chunk-pos-438272.tar.gz')], ['v6-2.2', resolve(DF, 'rafs-v6-2.2.boot')]] as const) {
        const o = await openNydus(await fromPath(src));
        const b = o.bootstrap;
        const file = join(dir, name + '.boot');
        if (o.kind === 'bootstrap') writeFileSync(file, readFileSync(src));
        else {
          spawnSync('tar', ['xzf', src, '-C', dir]);
          writeFileSync(file, readFileSync(join(dir, 'image/image.boot')));
        }
        const devices = b.blobs.map(() => '--device=/dev/null');
        const fsck = spawnSync('fsck.erofs', [...devices, file], { encoding: 'utf8' });
        expect([name, fsck.status, fsck.stderr]).toEqual([name, 0, '']);
        // Every directory: (nid, file type, name) of each dirent as dump.erofs prints them.
        const typeCode = { file: 1, dir: 2, char: 3, block: 4, fifo: 5, socket: 6, symlink: 7 } as const;
        const byParent = new Map<string, string[]>();
        for (const n of b.nodes) {
          if (n.path === '/') continue;
          const parent = n.path.slice(0, n.path.lastIndexOf('/')) || '/';
          const rows = byParent.get(parent) ?? [];
          rows.push(`${n.nid} ${typeCode[n.type]} ${n.path.slice(n.path.lastIndexOf('/') + 1)}`);
          byParent.set(parent, rows);
        }
        for (const d of b.nodes.filter((n) => n.type === 'dir')) {
          const r = spawnSync('dump.erofs', [...devices, `--nid=${d.nid}`, '--ls', file], { encoding: 'utf8' });
          const listed = r.stdout.split('\n').slice(r.stdout.split('\n').findIndex((l) => /NID TYPE\s+FILENAME/.test(l)) + 1)
            .map((l) => l.trim().split(/\s+/)).filter((p) => p.length >= 3 && p[2] !== '.' && p[2] !== '..').map((p) => `${p[0]} ${p[1]} ${p.slice(2).join(' ')}`);
          expect([d.path, listed]).toEqual([d.path, byParent.get(d.path) ?? []]);
        }
        const sb = spawnSync('dump.erofs', [...devices, '-s', file], { encoding: 'utf8' }).stdout;
        expect(sb).toMatch(new RegExp(`Filesystem inode count:\\s+${b.inodeCount}\\b`));
        expect(sb).toMatch(new RegExp(`Filesystem root nid:\\s+${b.v6!.sb.rootNid}\\b`));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
