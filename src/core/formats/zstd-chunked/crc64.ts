/**
 * CRC-64/ISO (polynomial 0x1B, reflected: 0xD800000000000000, init and xorout all ones), as Go's
 * hash/crc64 with crc64.ISO computes it — the checksum tar-split records for each file's content
 * (vbatts/tar-split tar/asm; spec zstd-chunked.md §4). Table-driven on two 32-bit halves (no
 * BigInt in the loop): the content of every file of a layer goes through here. Once
 * `initCrc64Wasm()` (core/wasm/crc64.ts) has resolved in the realm, inputs of WASM_MIN bytes or
 * more go through the WebAssembly port (slicing-by-8, several times faster); this loop stays the
 * fallback and the oracle of its test.
 */
import { crc64UpdateWasm, crc64WasmReady } from '../../wasm/crc64.ts';

/** Below this many bytes the BigInt round trip to the module costs more than it saves. */
const WASM_MIN = 256;
const LO = new Uint32Array(256);
const HI = new Uint32Array(256);
for (let n = 0; n < 256; n++) {
  let lo = n >>> 0;
  let hi = 0;
  for (let k = 0; k < 8; k++) {
    const carry = lo & 1;
    lo = ((lo >>> 1) | ((hi & 1) << 31)) >>> 0;
    hi >>>= 1;
    if (carry) hi = (hi ^ 0xd8000000) >>> 0;
  }
  LO[n] = lo;
  HI[n] = hi;
}

/** A running CRC-64/ISO: `update` as bytes arrive, `digest` the 8 bytes big-endian (Go's Sum). */
export class Crc64Iso {
  private lo = 0xffffffff;
  private hi = 0xffffffff;

  update(data: Uint8Array): this {
    if (data.length >= WASM_MIN && crc64WasmReady()) {
      const c = crc64UpdateWasm((BigInt(this.hi) << 32n) | BigInt(this.lo), data);
      this.lo = Number(c & 0xffffffffn);
      this.hi = Number(c >> 32n);
      return this;
    }
    let lo = this.lo;
    let hi = this.hi;
    for (let i = 0; i < data.length; i++) {
      const t = (lo ^ data[i]) & 0xff;
      lo = (((lo >>> 8) | (hi << 24)) ^ LO[t]) >>> 0;
      hi = ((hi >>> 8) ^ HI[t]) >>> 0;
    }
    this.lo = lo;
    this.hi = hi;
    return this;
  }

  /** The final value, big-endian as Go's `hash.Hash64.Sum(nil)` appends it. */
  digest(): Uint8Array {
    const out = new Uint8Array(8);
    const dv = new DataView(out.buffer);
    dv.setUint32(0, ~this.hi >>> 0);
    dv.setUint32(4, ~this.lo >>> 0);
    return out;
  }
}

export function crc64Iso(data: Uint8Array): Uint8Array {
  return new Crc64Iso().update(data).digest();
}
