import { describe, expect, it } from 'vitest';
import { fromBytes } from '../../src/core/bytes/memory-source.ts';
import type { BlobInfo, BlobStore, BlobWriter } from '../../src/core/store/content-store.ts';
import { copyingSource } from '../../src/worker/cache/copying-source.ts';
import { estimateStoredBytes } from '../../src/worker/cache/estimate-size.ts';
import { sniffContent } from '../../src/worker/sniff-content.ts';

/** A BlobStore in memory that records what was finished or discarded. */
function memoryBlobs() {
  const stored: Uint8Array[] = [];
  let discarded = 0;
  const store: BlobStore = {
    open: async () => undefined,
    create(): BlobWriter {
      const parts: Uint8Array[] = [];
      return {
        write: (c) => { parts.push(c.slice()); },
        finish: async (): Promise<BlobInfo> => {
          const all = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
          let at = 0;
          for (const p of parts) { all.set(p, at); at += p.length; }
          stored.push(all);
          return { digest: `sha256:${'0'.repeat(64)}`, size: all.length };
        },
        discard: () => { discarded++; },
      };
    },
    list: async () => [],
    remove: async () => {},
    clear: async () => {},
  };
  return { store, stored, discarded: () => discarded };
}

const bytes = Uint8Array.from({ length: 10_000 }, (_, i) => i % 251);

describe('copyingSource', () => {
  it('copies the first front-to-back stream, and only that one', async () => {
    const m = memoryBlobs();
    const c = copyingSource(fromBytes(bytes, 'x'), m.store);
    for await (const _ of c.source.stream({ start: 100, end: 200 })) { /* a slice: not copied */ }
    for await (const _ of c.source.stream({ chunkSize: 777 })) { /* the whole thing */ }
    for await (const _ of c.source.stream()) { /* again: no second copy */ }
    const info = await c.copied;
    expect(info?.size).toBe(bytes.length);
    expect(m.stored).toHaveLength(1);
    expect(m.stored[0]).toEqual(bytes);
  });

  it('drops a copy when the reader stops early, and settles with nothing on stop()', async () => {
    const m = memoryBlobs();
    const c = copyingSource(fromBytes(bytes, 'x'), m.store);
    for await (const _ of c.source.stream({ chunkSize: 1000 })) break;
    expect(m.discarded()).toBe(1);
    c.stop();
    expect(await c.copied).toBeUndefined();
    expect(m.stored).toHaveLength(0);
  });
});

describe('copyingSource.finish', () => {
  it('makes the copy with one extra read when the engine only sought through the file', async () => {
    const m = memoryBlobs();
    const c = copyingSource(fromBytes(bytes, 'x'), m.store);
    await c.source.read(0, 512);
    for await (const _ of c.source.stream({ start: 512, end: 4000 })) { /* a member slice */ }
    c.finish();
    const info = await c.copied;
    expect(info?.size).toBe(bytes.length);
    expect(m.stored[0]).toEqual(bytes);
  });

  it('does nothing more when a whole pass already made the copy', async () => {
    const m = memoryBlobs();
    const c = copyingSource(fromBytes(bytes, 'x'), m.store);
    for await (const _ of c.source.stream()) { /* whole */ }
    c.finish();
    await c.copied;
    expect(m.stored).toHaveLength(1);
  });
});

describe('sniffContent', () => {
  const enc = (s: string) => new TextEncoder().encode(s);
  it('tells text, images and binary apart by content', () => {
    expect(sniffContent(new Uint8Array(0), 'a').kind).toBe('empty');
    expect(sniffContent(enc('hello\nworld\n'), 'a.bin').kind).toBe('text');
    expect(sniffContent(Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0]), 'x.txt')).toEqual({ kind: 'image', mime: 'image/png' });
    expect(sniffContent(enc('<svg xmlns="http://www.w3.org/2000/svg"></svg>'), 'i.svg')).toEqual({ kind: 'image', mime: 'image/svg+xml' });
    expect(sniffContent(enc('<svg></svg>'), 'i.txt').kind).toBe('text');
    expect(sniffContent(Uint8Array.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0]), 'sh').kind).toBe('binary');
    // A multi-byte character cut at the end of the preview is still text.
    expect(sniffContent(enc('héllo').subarray(0, 2), 'a').kind).toBe('text');
  });
});

describe('estimateStoredBytes', () => {
  it('is in the right range for a tree-like value', () => {
    const nodes = Array.from({ length: 1000 }, (_, i) => ({ path: `usr/lib/file-${i}`, size: i, mode: 0o644 }));
    const est = estimateStoredBytes(nodes);
    const json = JSON.stringify(nodes).length;
    expect(est).toBeGreaterThan(json * 0.5);
    expect(est).toBeLessThan(json * 2);
  });
});
