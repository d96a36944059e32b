import { LayerlabError } from '../errors.ts';

/**
 * LZ4 *block* compressor: one raw LZ4 block (lz4 doc/lz4_Block_format.md — sequences of token,
 * literal-length bytes, literals, 2-byte offset, match-length bytes; no frame, no size prefix),
 * the format `LZ4_compress_default` produces and nydus stores as `lz4_block` (chunks, CI array;
 * spec/nydus.md "lz4"). The reader is formats/nydus/lz4-block.ts `decodeLz4Block`; like the
 * caller, it must know the uncompressed size, which nydus keeps in the chunk record.
 *
 * Small on purpose: only the Nydus builder writes LZ4, so this is one greedy single-pass matcher
 * (the same kind of search as LZ4's default "fast" mode), no levels, no dictionary, no streaming.
 * Written from the block-format description, not ported from liblz4; the output is valid for any
 * conforming decoder but is not byte-identical to liblz4's (nothing requires that: nydus records
 * the compressed size and digest of what was written).
 */

// Block-format constants ("Block format" doc; section names quoted in the comments below).
/** "Match length": a match is at least 4 bytes; the token stores length − 4. */
const MIN_MATCH = 4;
/** "End of block conditions": the last 5 bytes of the input are always literals. */
const LAST_LITERALS = 5;
/** "End of block conditions": the last match must start at least 12 bytes before the end. */
const MFLIMIT = 12;
/** "Offset": 2 bytes little-endian, 1..65535 (0 is invalid). */
const MAX_DISTANCE = 65535;
/** Token nibbles saturate at 15; the rest follows as 255-valued bytes and one final < 255 byte ("Token", "Literals length"). */
const RUN_MASK = 15;
/**
 * Below MFLIMIT + 1 bytes no match can satisfy both end rules at once (a match needs a position
 * ≥ 1 to refer back to and must start ≤ n − 12), so such inputs are one literal-only sequence.
 */
const MIN_INPUT_FOR_MATCH = MFLIMIT + 1;
/** What LZ4 itself accepts (LZ4_MAX_INPUT_SIZE); far above nydus' 16 MiB chunk limit. */
const MAX_INPUT = 0x7e000000;

/**
 * 2^16 slots of 4 bytes: 256 KiB, still cache-resident, and with 16 hash bits the distinct
 * 4-byte sequences of a 1 MiB chunk collide far less than in LZ4's default 4096-slot table:
 * on 1 MiB chunks of /usr/bin files, ratio 2.35 instead of 2.22 at the same speed (Node 20).
 */
const HASH_LOG = 16;
/**
 * Skip acceleration: after every 2^SKIP_STRENGTH consecutive misses the search step grows by one
 * byte, so incompressible data is crossed in ever larger strides and ends up as one long literal
 * run (a memcpy). The first match found resets the step. Same idea and strength as LZ4's fast mode.
 */
const SKIP_STRENGTH = 6;

/**
 * The hash table, kept between calls so a small chunk does not pay for allocating and zeroing
 * 256 KiB. Entries hold `position + base`; each call uses a `base` above every value stored by
 * earlier calls plus 65536, so a leftover entry decodes to a position ≤ −65537, i.e. a distance
 * > MAX_DISTANCE, and is rejected by the distance check the search needs anyway. Output therefore
 * depends only on the input (nydus blob digests must be reproducible). Safe without locking: the
 * encoder is synchronous and JS runs one call at a time per thread (each worker has its own module).
 */
let table: Int32Array | undefined;
let base = 0;

/** Worst-case output for `n` input bytes: all literals plus the run-length bytes, as LZ4_compressBound. */
export function lz4BlockBound(n: number): number {
  return n + Math.floor(n / 255) + 16;
}

/**
 * Compresses `data` into one raw LZ4 block. Returns exactly the compressed bytes, in a new
 * Uint8Array whose buffer holds nothing else (at most `lz4BlockBound(n)` bytes). Empty input
 * gives the single token 0x00, as LZ4 does. Throws LayerlabError TOO_LARGE above 0x7E000000 bytes (LZ4's own input limit).
 */
export function encodeLz4Block(data: Uint8Array): Uint8Array {
  const n = data.length;
  if (n > MAX_INPUT) throw new LayerlabError('TOO_LARGE', `lz4 block: input of ${n} bytes exceeds the LZ4 limit of ${MAX_INPUT}`);
  const out = new Uint8Array(lz4BlockBound(n));
  let op = 0;
  let anchor = 0; // first input byte not yet emitted (start of the pending literal run)

  if (n >= MIN_INPUT_FOR_MATCH) {
    if (table === undefined) table = new Int32Array(1 << HASH_LOG);
    // Keep every stored value (position + base) inside int32; restart from a zeroed table when not.
    if (base === 0 || base > 0x7fffffff - n) {
      table.fill(0);
      base = 65536; // zeroed slots then mean position −65536: out of reach, see `table`
    }
    const t = table;
    // Unaligned little-endian 4-byte loads: one DataView read is cheaper than four byte loads,
    // shifts and ors (about 10% overall in V8), and the format is little-endian throughout.
    const dv = new DataView(data.buffer, data.byteOffset, n);
    const b = base;
    const shift = 32 - HASH_LOG;
    // "End of block conditions": a match may start at most at n − 12 and may cover bytes only up to n − 5.
    const lastMatchStart = n - MFLIMIT;
    const matchLimit = n - LAST_LITERALS;

    // Multiplicative (Fibonacci) hash of the 4 bytes at p: 2654435761 ≈ 2^32 / golden ratio
    // spreads the bits of the sequence into the top HASH_LOG bits, which we keep.
    t[Math.imul(dv.getInt32(0, true), 2654435761) >>> shift] = b;
    let ip = 1;

    search: for (;;) {
      // --- Find the next match: greedy, first candidate whose 4 bytes agree. ---
      let ref: number;
      let misses = 1 << SKIP_STRENGTH; // step = misses >> SKIP_STRENGTH, so it starts at 1
      for (;;) {
        if (ip > lastMatchStart) break search;
        const seq = dv.getInt32(ip, true);
        const h = Math.imul(seq, 2654435761) >>> shift;
        ref = t[h] - b;
        t[h] = ip + b;
        // The distance test also rejects empty and stale slots (see `table`), so data[ref] is in range.
        if (ip - ref <= MAX_DISTANCE && dv.getInt32(ref, true) === seq) break;
        ip += misses++ >> SKIP_STRENGTH;
      }

      // Extend backwards into the pending literals: same offset, fewer literals, longer match.
      while (ip > anchor && ref > 0 && data[ip - 1] === data[ref - 1]) { ip--; ref--; }
      // Extend forwards, but never into the last 5 bytes ("End of block conditions"). Four bytes
      // per step; at the first difference the lowest set bit of the XOR (little-endian: the first
      // differing byte) says how many of those four still match.
      let end = ip + MIN_MATCH;
      let r = ref + MIN_MATCH;
      for (;;) {
        if (end > matchLimit - 4) {
          while (end < matchLimit && data[end] === data[r]) { end++; r++; }
          break;
        }
        const diff = dv.getInt32(end, true) ^ dv.getInt32(r, true);
        if (diff !== 0) {
          end += (31 - Math.clz32(diff & -diff)) >> 3;
          break;
        }
        end += 4;
        r += 4;
      }

      // --- Emit one sequence ("Sequence": token, literal length, literals, offset, match length). ---
      const litLen = ip - anchor;
      const mlCode = end - ip - MIN_MATCH;
      const tokenPos = op++;
      let token: number;
      if (litLen >= RUN_MASK) {
        token = RUN_MASK << 4;
        let rest = litLen - RUN_MASK;
        for (; rest >= 255; rest -= 255) out[op++] = 255;
        out[op++] = rest;
      } else {
        token = litLen << 4;
      }
      // Short runs are copied by hand: a subarray per sequence costs more than a few byte moves.
      if (litLen > 32) {
        out.set(data.subarray(anchor, ip), op);
        op += litLen;
      } else {
        for (let i = anchor; i < ip; i++) out[op++] = data[i];
      }
      // "Offset": little-endian distance back from the match start; 1..65535 by construction.
      const dist = ip - ref;
      out[op++] = dist & 255;
      out[op++] = dist >>> 8;
      if (mlCode >= RUN_MASK) {
        token |= RUN_MASK;
        let rest = mlCode - RUN_MASK;
        for (; rest >= 255; rest -= 255) out[op++] = 255;
        out[op++] = rest;
      } else {
        token |= mlCode;
      }
      out[tokenPos] = token;

      anchor = ip = end;
      if (ip > lastMatchStart) break;
      // Index a position inside the match just taken (cheap, and helps the next search find
      // nearby repeats); positions skipped by the match are otherwise never hashed.
      const p = ip - 2;
      t[Math.imul(dv.getInt32(p, true), 2654435761) >>> shift] = p + b;
    }
    // The next call starts above every value stored here, plus the 65536 gap (see `table`).
    base = b + n + 65536;
  }

  // --- Last sequence: literals only ("End of block conditions"), at least the last 5 bytes. ---
  const litLen = n - anchor;
  if (litLen >= RUN_MASK) {
    out[op++] = RUN_MASK << 4;
    let rest = litLen - RUN_MASK;
    for (; rest >= 255; rest -= 255) out[op++] = 255;
    out[op++] = rest;
  } else {
    out[op++] = litLen << 4; // n = 0 gives the lone 0x00 token
  }
  out.set(data.subarray(anchor, n), op);
  op += litLen;
  // A copy, so the result owns a buffer of exactly its size: callers keep many chunks alive or
  // transfer them between workers, and a view would drag the whole worst-case buffer along.
  return out.slice(0, op);
}
