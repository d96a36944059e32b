import { createHash } from 'node:crypto';
import { afterEach, describe, expect, test } from 'vitest';
import { createBlake3 } from '../../src/core/digest/blake3.ts';
import { createSha256, parseDigest, setSha256Factory, sha256Digest, sha256Hex } from '../../src/core/digest/sha256.ts';
import { LayerlabError } from '../../src/core/errors.ts';
import { realContent } from '../compress/helpers.ts';
import { useNodeSha256 } from '../../src/cli/node-hash.ts';

const enc = (s: string) => new TextEncoder().encode(s);
const ABC_SHA256 = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

afterEach(() => setSha256Factory(undefined));

describe('sha256', () => {
  test('known vectors (FIPS 180-2 "abc", empty)', async () => {
    const h = await createSha256();
    h.update(enc('abc'));
    expect(h.digest()).toBe(`sha256:${ABC_SHA256}`);
    expect(await sha256Hex(new Uint8Array(0))).toBe(EMPTY_SHA256);
    expect(await sha256Digest(enc('abc'))).toBe(`sha256:${ABC_SHA256}`);
  });

  test('streaming with odd and growing update sizes equals one-shot and node:crypto', async () => {
    const data = realContent(1_000_003, 2);
    const want = createHash('sha256').update(data).digest('hex');
    const h = await createSha256();
    for (let p = 0, n = 1; p < data.length; p += n, n = n * 3 + 1) h.update(data.subarray(p, p + n));
    expect(h.digest()).toBe(`sha256:${want}`);
    expect(await sha256Hex(data)).toBe(want);
    expect(await sha256Hex(data.subarray(1, 99_999))).toBe(createHash('sha256').update(data.subarray(1, 99_999)).digest('hex'));
  });

  test('independent hashers do not share state', async () => {
    const [a, b] = await Promise.all([createSha256(), createSha256()]);
    a.update(enc('a'));
    b.update(enc('abc'));
    expect(b.digest()).toBe(`sha256:${ABC_SHA256}`);
    expect(a.digest()).toBe('sha256:' + createHash('sha256').update('a').digest('hex'));
  });

  test('setSha256Factory installs a faster hasher (the CLI: node:crypto) and undefined restores hash-wasm', async () => {
    let made = 0;
    setSha256Factory(() => {
      made++;
      const h = createHash('sha256');
      return { update: (b) => void h.update(b), digest: () => `sha256:${h.digest('hex')}` };
    });
    const h = await createSha256();
    h.update(enc('abc'));
    expect(h.digest()).toBe(`sha256:${ABC_SHA256}`);
    expect(made).toBe(1);
    setSha256Factory(undefined);
    await createSha256();
    expect(made).toBe(1);
  });
});

describe('peek: the digest of a prefix while the stream goes on', () => {
  const data = realContent(3 << 20);
  const ref = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
  for (const [name, install] of [['hash-wasm', () => setSha256Factory(undefined)], ['node:crypto (the CLI)', () => useNodeSha256()]] as const) {
    test(name, async () => {
      install();
      try {
        const h = await createSha256();
        h.update(data.subarray(0, 1000));
        expect(h.peek!()).toBe(ref(data.subarray(0, 1000)));
        h.update(data.subarray(1000, 2 << 20));
        expect(h.peek!()).toBe(ref(data.subarray(0, 2 << 20)));
        h.update(data.subarray(2 << 20));
        expect(h.digest()).toBe(ref(data));
      } finally {
        setSha256Factory(undefined);
      }
    });
  }
});

describe('parseDigest', () => {
  test('accepts sha256 and sha512 with lowercase hex', () => {
    expect(parseDigest(`sha256:${ABC_SHA256}`)).toEqual({ algorithm: 'sha256', hex: ABC_SHA256, digest: `sha256:${ABC_SHA256}` });
    const h512 = 'a'.repeat(128);
    expect(parseDigest(`sha512:${h512}`).algorithm).toBe('sha512');
  });

  test.each([
    ['uppercase hex', `sha256:${ABC_SHA256.toUpperCase()}`],
    ['short', `sha256:${ABC_SHA256.slice(1)}`],
    ['long', `sha256:${ABC_SHA256}0`],
    ['sha512 length for sha256', `sha256:${'a'.repeat(128)}`],
    ['unknown algorithm', `md5:${'a'.repeat(32)}`],
    ['no algorithm', ABC_SHA256],
    ['empty', ''],
    ['path escape', 'sha256:../../etc/passwd'],
    ['prototype key', `constructor:${ABC_SHA256}`],
    ['not a string', 42],
    ['null', null],
  ])('rejects %s with BAD_JSON', (_, s) => {
    let err: unknown;
    try {
      parseDigest(s, 'index.json');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LayerlabError);
    expect(err).toMatchObject({ code: 'BAD_JSON', context: { file: 'index.json' } });
  });
});

describe('blake3', () => {
  test('known vector ("abc", BLAKE3 reference) and streaming', async () => {
    const h = await createBlake3();
    h.update(enc('a'));
    h.update(enc('bc'));
    expect(h.digest()).toBe('blake3:6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85');
  });
});
