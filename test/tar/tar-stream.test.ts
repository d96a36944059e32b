/**
 * readTarEntries: the pull-style wrapper. Same entries and bodies as the push parser, whether
 * bodies are read, skipped or half read; errors surface through the iteration; and a tar can be
 * copied member by member into the writer (the converter's loop), byte-identical here.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LayerlabError } from '../../src/core/errors.ts';
import { readTarEntries } from '../../src/core/tar/tar-stream.ts';
import { TarWriter } from '../../src/core/tar/tar-writer.ts';
import { file, tarOf } from '../helpers/tar-builder.ts';
import { hex, parseBytes } from './support.ts';
import { writeTar, writerSamples } from './writer-samples.ts';

async function* chunksOf(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function collect(body: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const c of body) parts.push(c);
  return Buffer.concat(parts);
}

const fixture = new Uint8Array(readFileSync(join(import.meta.dirname, '../../../shared/fixtures/estargz/inputs/t1-basic.tar')));

describe('readTarEntries', () => {
  it('gives the push parser’s entries and bodies, for any input chunking', async () => {
    const expected = parseBytes(fixture);
    for (const size of [1, 333, 4096, fixture.length]) {
      const names: string[] = [];
      const bodies: string[] = [];
      for await (const { entry, body } of readTarEntries(chunksOf(fixture, size))) {
        names.push(entry.name);
        bodies.push(hex(await collect(body)));
      }
      expect(names).toEqual(expected.entries.map((e) => e.name));
      expect(bodies).toEqual(expected.bodies.map(hex));
    }
  });

  it('skips bodies that are not read, or only partly read', async () => {
    const t = tarOf(file('a', new Uint8Array(3000).fill(1)), file('b', new Uint8Array(3000).fill(2)), file('c', 'see'));
    const seen: [string, number][] = [];
    for await (const { entry, body } of readTarEntries(chunksOf(t, 100))) {
      if (entry.name === 'a') continue; // not read at all
      if (entry.name === 'b') {
        for await (const c of body) {
          seen.push([entry.name, c[0]]);
          break; // read one piece, then move on
        }
        continue;
      }
      seen.push([entry.name, (await collect(body)).length]);
    }
    expect(seen).toEqual([['b', 2], ['c', 3]]);
  });

  it('refuses a body read after moving on', async () => {
    const t = tarOf(file('a', 'x'), file('b', 'y'));
    const items = [];
    for await (const item of readTarEntries(chunksOf(t, 512))) items.push(item);
    await expect(collect(items[0].body)).rejects.toMatchObject({ code: 'INTERNAL' });
  });

  it('reports truncation through the iteration', async () => {
    const t = tarOf(file('a', new Uint8Array(2000)));
    const err = await (async () => {
      for await (const { body } of readTarEntries(chunksOf(t.subarray(0, 1500), 512))) await collect(body);
    })().catch((e) => e);
    expect(err).toBeInstanceOf(LayerlabError);
    expect(err.code).toBe('TRUNCATED');
    expect(err.context.offset).toBe(1500);
  });

  it('stops reading the input when the consumer stops', async () => {
    let pulled = 0;
    async function* counted() {
      for await (const c of chunksOf(fixture, 512)) {
        pulled++;
        yield c;
      }
    }
    for await (const { entry } of readTarEntries(counted())) if (entry.name === 'etc/one') break;
    expect(pulled).toBeLessThan(10);
  });

  it('copies an archive member by member into the writer, byte for byte', async () => {
    const original = await writeTar(writerSamples());
    const out: Uint8Array[] = [];
    const w = new TarWriter((c) => out.push(c));
    for await (const { entry, body } of readTarEntries(chunksOf(original, 1000))) await w.addEntry(entry, body);
    w.finish();
    expect(hex(Buffer.concat(out))).toBe(hex(original));
  });
});
