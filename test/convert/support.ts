import { expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ROOT, layerlab } from '../helpers/cli.ts';

/** The image corpus built by test/corpus/ensure-corpus.sh (../shared/tools/corpus). */
export const CORPUS = resolve(ROOT, '.cache/corpus');

/** corpus.tsv rows: name, kind, path relative to CORPUS, description. */
export function corpusRows(): string[][] {
  return readFileSync(join(CORPUS, 'corpus.tsv'), 'utf8').trim().split('\n').map((l) => l.split('\t'));
}

/** The image file or folder of a corpus variant. */
export function corpusImage(name: string): string {
  const row = corpusRows().find((r) => r[0] === name);
  if (!row) throw new Error(`${name} is not in the corpus: run test/corpus/ensure-corpus.sh`);
  return join(CORPUS, row[2]);
}

export const expectTree = (name: string) => readFileSync(join(CORPUS, name, 'expect-tree.tsv'), 'utf8');
export const expectJson = (name: string) => JSON.parse(readFileSync(join(CORPUS, name, 'expect.json'), 'utf8'));

/** `layerlab convert … --json`, which must succeed; its report. */
export function convert(...args: string[]) {
  const r = layerlab('convert', ...args, '--json');
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}
