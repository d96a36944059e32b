import { spawnSync } from 'node:child_process';
import { createBLAKE3 } from 'hash-wasm';
import { beforeAll, describe, expect, test } from 'vitest';
import { blake3HexWasm, blake3HexWasmSync, blake3Wasm, initBlake3Wasm } from '../../src/core/wasm/blake3.ts';
import { realContent } from '../compress/helpers.ts';

// BLAKE3-team/BLAKE3 test_vectors/test_vectors.json, "hash" mode: input byte i is i % 251; the
// default 32-byte output is the first 64 hex digits of the extended output given there.
const VECTORS: [number, string][] = [
  [0, 'af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262e00f03e7b69af26b'],
  [1, '2d3adedff11b61f14c886e35afa036736dcd87a74d27b5c1510225d0f592e213c3a6cb8bf623e20c'],
  [1023, '10108970eeda3eb932baac1428c7a2163b0e924c9a9e25b35bba72b28f70bd11a182d27a591b0559'],
  [1024, '42214739f095a406f3fc83deb889744ac00df831c10daa55189b5d121c855af71cf8107265ecdaf8'],
  [1025, 'd00278ae47eb27b34faecf67b4fe263f82d5412916c1ffd97c8cb7fb814b8444f4c4a22b4b399155'],
  [2048, 'e776b6028c7cd22a4d0ba182a8bf62205d2ef576467e838ed6f2529b85fba24a9a60bf80001410ec'],
  [2049, '5f4d72f40d7a5f82b15ca2b2e44b1de3c2ef86c426c95c1af0b687952256303096de31d71d741034'],
  [3072, 'b98cb0ff3623be03326b373de6b9095218513e64f1ee2edd2525c7ad1e5cffd29a3f6b0b978d6608'],
  [3073, '7124b49501012f81cc7f11ca069ec9226cecb8a2c850cfe644e327d22d3e1cd39a27ae3b79d68d89'],
  [4096, '015094013f57a5277b59d8475c0501042c0b642e531b0a1c8f58d2163229e9690289e9409ddb1b99'],
  [4097, '9b4052b38f1c5fc8b1f9ff7ac7b27cd242487b3d890d15c96a1c25b8aa0fb99505f91b0b5600a112'],
  [5120, '9cadc15fed8b5d854562b26a9536d9707cadeda9b143978f319ab34230535833acc61c8fdc114a20'],
  [5121, '628bd2cb2004694adaab7bbd778a25df25c47b9d4155a55f8fbd79f2fe154cff96adaab0613a6146'],
  [6144, '3e2e5b74e048f3add6d21faab3f83aa44d3b2278afb83b80b3c35164ebeca2054d742022da6fdda4'],
  [6145, 'f1323a8631446cc50536a9f705ee5cb619424d46887f3c376c695b70e0f0507f18a2cfdd73c6e39d'],
  [7168, '61da957ec2499a95d6b8023e2b0e604ec7f6b50e80a9678b89d2628e99ada77a5707c321c8336179'],
  [7169, 'a003fc7a51754a9b3c7fae0367ab3d782dccf28855a03d435f8cfe74605e781798a8b20534be1ca9'],
  [8192, 'aae792484c8efe4f19e2ca7d371d8c467ffb10748d8a5a1ae579948f718a2a635fe51a27db045a56'],
  [8193, 'bab6c09cb8ce8cf459261398d2e7aef35700bf488116ceb94a36d0f5f1b7bc3bb2282aa69be08935'],
  [16384, 'f875d6646de28985646f34ee13be9a576fd515f76b5b0a26bb324735041ddde49d764c270176e53e'],
  [31744, '62b6960e1a44bcc1eb1a611a8d6235b6b4b78f32e7abc4fb4c6cdcce94895c47860cc51f2b0c28a7'],
  [102400, 'bc3e3d41a1146b069abffad3c0d44860cf664390afce4d9661f7902e7943e085e01c59dab908c04c'],
];

const MiB = 1 << 20;
const hex = (d: Uint8Array) => Array.from(d, (b) => b.toString(16).padStart(2, '0')).join('');

function pattern(n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = i % 251;
  return b;
}

/** Deterministic pseudo-random bytes and sizes (xorshift32). */
function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}
function randomBytes(n: number, seed: number): Uint8Array {
  const r = rng(seed);
  const b = new Uint8Array(n);
  const w = new Uint32Array(b.buffer, 0, n >>> 2);
  for (let i = 0; i < w.length; i++) w[i] = (r() * 2 ** 32) >>> 0;
  for (let i = w.length * 4; i < n; i++) b[i] = (r() * 256) >>> 0;
  return b;
}

let ref: (b: Uint8Array) => string;

beforeAll(async () => {
  await initBlake3Wasm();
  const h = await createBLAKE3();
  ref = (b) => {
    h.init();
    h.update(b);
    return h.digest('hex');
  };
});

describe('blake3 wasm (SIMD)', () => {
  test('official test vectors (hash mode, 32-byte output)', () => {
    for (const [len, want] of VECTORS) {
      expect(want.length).toBeGreaterThanOrEqual(64);
      const input = pattern(len);
      expect(blake3HexWasmSync(input), `len ${len}`).toBe(want.slice(0, 64));
      // The same through many small buffer refills (update/finish paths and the subtree stack).
      for (const piece of [1024, 3072, 4096]) expect(hex(blake3Wasm(input, piece)), `len ${len} piece ${piece}`).toBe(want.slice(0, 64));
    }
  });

  test('async entry point and the digest bytes', async () => {
    expect(await blake3HexWasm(pattern(1025))).toBe(VECTORS[4][1].slice(0, 64));
    const d = blake3Wasm(pattern(0));
    expect(d).toBeInstanceOf(Uint8Array);
    expect(d.length).toBe(32);
    expect(hex(d)).toBe(VECTORS[0][1].slice(0, 64));
  });

  test('equals hash-wasm around block, chunk, 4-chunk and buffer boundaries', () => {
    const sizes = new Set<number>();
    for (const base of [64, 1024, 2048, 3072, 4096, 5120, 8192, 65536, MiB, 2 * MiB, 3 * MiB]) {
      for (const d of [-65, -64, -63, -1, 0, 1, 63, 64, 65, 1023, 1024, 1025, 4095, 4096, 4097]) if (base + d >= 0) sizes.add(base + d);
    }
    const data = realContent(3 * MiB + 5000, 1);
    for (const n of sizes) {
      const input = data.subarray(0, n);
      expect(blake3HexWasmSync(input), `len ${n}`).toBe(ref(input));
    }
  });

  test('equals hash-wasm for random sizes up to 16 MiB and odd piece sizes', () => {
    const r = rng(0xb1a4e3);
    const big = randomBytes(16 * MiB, 7);
    const sizes = [16 * MiB, 16 * MiB - 1, 16 * MiB - 1023, 15 * MiB + 333];
    for (let i = 0; i < 40; i++) sizes.push(Math.floor(r() * 16 * MiB) + 1);
    for (let i = 0; i < 40; i++) sizes.push(Math.floor(r() * 20_000));
    for (const n of sizes) {
      const input = big.subarray(0, n);
      expect(blake3HexWasmSync(input), `len ${n}`).toBe(ref(input));
    }
    // Pieces that are not powers of two break the input into unaligned subtrees.
    for (const n of [1, 1024, 1025, 7 * 1024, 7 * 1024 + 1, 100_000, 333_333, MiB + 17, 3 * MiB + 1]) {
      const input = big.subarray(0, n);
      const want = ref(input);
      for (const piece of [1024, 5 * 1024, 7 * 1024, 12 * 1024, 65 * 1024, 1000 * 1024]) {
        expect(hex(blake3Wasm(input, piece)), `len ${n} piece ${piece}`).toBe(want);
      }
    }
  });

  test('subarray views at odd byte offsets', () => {
    const data = randomBytes(2 * MiB + 4099, 11);
    for (const off of [1, 3, 7, 15, 63, 1023, 4097]) {
      for (const n of [0, 1, 65, 1024, 4097, 100_001, MiB, MiB + 1]) {
        const view = data.subarray(off, off + n);
        expect(blake3HexWasmSync(view), `offset ${off} len ${n}`).toBe(ref(view));
      }
    }
  });

  test('repeated calls share no state', () => {
    const a = randomBytes(MiB + 3000, 1);
    const b = pattern(5121);
    const ha = ref(a), hb = ref(b);
    for (let i = 0; i < 3; i++) {
      expect(blake3HexWasmSync(a)).toBe(ha);
      expect(blake3HexWasmSync(b)).toBe(hb);
      expect(blake3HexWasmSync(new Uint8Array(0))).toBe(VECTORS[0][1].slice(0, 64));
    }
    // A refused piece size throws before touching the module's state.
    expect(() => blake3Wasm(a, 1000)).toThrow(/piece size/);
    expect(() => blake3Wasm(a, 2 * MiB)).toThrow(/piece size/);
    expect(blake3HexWasmSync(a)).toBe(ha);
  });

  const b3sum = spawnSync('b3sum', ['--version']).status === 0;
  test.skipIf(!b3sum)('equals b3sum', () => {
    const input = randomBytes(3 * MiB + 12345, 3);
    const out = spawnSync('b3sum', ['--no-names'], { input }).stdout.toString().trim();
    expect(blake3HexWasmSync(input)).toBe(out);
  });
});
