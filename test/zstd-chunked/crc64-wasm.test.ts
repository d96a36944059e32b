/**
 * CRC-64/ISO in WebAssembly (wasm/assembly/crc64.ts) against the JS table loop it replaces on
 * large inputs (core/formats/zstd-chunked/crc64.ts), and Go's check value.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { Crc64Iso, crc64Iso } from '../../src/core/formats/zstd-chunked/crc64.ts';
import { crc64UpdateWasm, initCrc64Wasm } from '../../src/core/wasm/crc64.ts';

beforeAll(() => initCrc64Wasm());

/** The JS loop alone: pieces below the wasm threshold. */
function jsCrc(data: Uint8Array): Uint8Array {
  const c = new Crc64Iso();
  for (let at = 0; at < data.length; at += 100) c.update(data.subarray(at, at + 100));
  return c.digest();
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('CRC-64/ISO wasm', () => {
  it('gives Go\'s check value (crc64.Checksum("123456789", ISO) = 0xb90956c775a41001)', () => {
    const big = new TextEncoder().encode('123456789');
    expect(hex(jsCrc(big))).toBe('b90956c775a41001');
    expect(crc64UpdateWasm(0xffffffffffffffffn, big) ^ 0xffffffffffffffffn).toBe(0xb90956c775a41001n);
  });

  it('equals the JS loop on random data of every length up to 2 KiB and on multi-buffer inputs, in any pieces', () => {
    let x = 5;
    const rnd = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 8;
    for (const n of [...Array.from({ length: 2049 }, (_, i) => i), 65535, 65536, 65537, 300_001]) {
      const d = Uint8Array.from({ length: n }, () => rnd() & 0xff);
      const want = hex(jsCrc(d));
      expect(hex(crc64Iso(d))).toBe(want);
      if (n > 1000) {
        const c = new Crc64Iso();
        for (let at = 0; at < n;) {
          const k = 1 + (rnd() % 5000);
          c.update(d.subarray(at, at + k));
          at += k;
        }
        expect(hex(c.digest())).toBe(want);
      }
    }
  });
});
