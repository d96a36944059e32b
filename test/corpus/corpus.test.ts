import { describe, it, expect } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ROOT, layerlab } from '../helpers/cli.ts';

/**
 * Real images built by debootstrap + umoci + skopeo (../shared/tools/corpus), against the ground
 * truth its expect.py computes from the README's rules. `npm test` builds the corpus first
 * (test/corpus/ensure-corpus.sh); a missing corpus is a failure, not a skip.
 */
const CORPUS = resolve(ROOT, '.cache/corpus');
const tsv = resolve(CORPUS, 'corpus.tsv');

describe('image corpus', () => {
  it('has been built (test/corpus/ensure-corpus.sh)', () => {
    expect(existsSync(tsv), `${tsv} is missing: run test/corpus/ensure-corpus.sh as root`).toBe(true);
  });
  if (!existsSync(tsv)) return;
  const rows = readFileSync(tsv, 'utf8').trim().split('\n').map((l) => l.split('\t'));
  expect(rows.length).toBeGreaterThanOrEqual(13);

  for (const [name, kind, rel] of rows) {
    const image = resolve(CORPUS, rel);
    it(`${name} (${kind}): inspect --json equals expect.json`, () => {
      const r = layerlab('inspect', image, '--json');
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const want = JSON.parse(readFileSync(resolve(CORPUS, name, 'expect.json'), 'utf8'));
      expect(JSON.parse(r.stdout)).toStrictEqual(want);
    });
    it(`${name} (${kind}): ls --tsv equals expect-tree.tsv`, () => {
      const r = layerlab('ls', image, '--tsv');
      expect(r.status, r.stderr).toBe(0);
      const want = readFileSync(resolve(CORPUS, name, 'expect-tree.tsv'), 'utf8');
      // Compare line sets first for a readable diff, then the exact text (order included).
      const got = new Set(r.stdout.split("\n"));
      const exp = new Set(want.split("\n"));
      expect([...got].filter((l) => !exp.has(l)).slice(0, 20)).toEqual([]);
      expect([...exp].filter((l) => !got.has(l)).slice(0, 20)).toEqual([]);
      expect(r.stdout).toBe(want);
    });
  }

  it('verify passes on every image and reports every layer ok', () => {
    for (const [name, , rel] of rows) {
      const r = layerlab('verify', resolve(CORPUS, rel));
      expect(r.status, `${name}: ${r.stdout}${r.stderr}`).toBe(0);
      expect(r.stdout).toMatch(/^OK: \d+ layer/m);
    }
  });
});
