/**
 * The zstd:chunked content-defined chunker in WebAssembly (wasm/assembly/rollsum.ts, a port of
 * the JavaScript ContentChunker in core/formats/zstd-chunked/rollsum.ts; spec zstd-chunked.md §3
 * "Exact chunker behaviour"). Same API and the very same events as the JS one, which stays the
 * fallback where the module does not load and the oracle of test/zstd-chunked/rollsum-wasm.test.ts:
 *
 *   if (await initRollsumWasm().then(() => true, () => false)) chunker = new WasmContentChunker();
 *
 * One instance per realm with module-global scratch state; each chunker keeps its own state block
 * (the rolling sum, its window, the held zero run) and loads it around every synchronous call, so
 * chunkers of concurrent conversions in one realm do not interfere.
 */
import { LayerlabError } from '../../errors.ts';
import { lazyWasm } from '../../wasm/load.ts';
import type { ChunkEvent, Chunker } from './rollsum.ts';
import { HOLES_THRESHOLD } from './types.ts';

interface RollsumExports {
  memory: WebAssembly.Memory;
  bufferPointer(): number;
  bufferSize(): number;
  eventsPointer(): number;
  statePointer(): number;
  stateSize(): number;
  initState(): void;
  /** Events written for IN[0, len), −1 for a bad length. */
  feed(len: number): number;
  finish(): number;
}

// Event kinds (wasm/assembly/rollsum.ts EV_*).
const EV_DATA = 0;
const EV_DATA_ZEROS = 1;
const EV_ZEROS = 2;
const EV_END = 3;

/** Held-over zeros that turn out to be data are reported from here (< HOLES_THRESHOLD of them), as the JS chunker does. */
const ZERO_BLOCK = new Uint8Array(HOLES_THRESHOLD);

const mod = lazyWasm<RollsumExports>('rollsum', new URL('../../../wasm-build/rollsum.wasm', import.meta.url));

/** Loads the module (once; a failed load can be retried). */
export async function initRollsumWasm(): Promise<void> {
  await mod.init();
}

/** ContentChunker in WebAssembly; requires `initRollsumWasm()` to have resolved. */
export class WasmContentChunker implements Chunker {
  private readonly x: RollsumExports;
  private readonly state: Uint8Array;

  constructor() {
    const x = mod.get();
    if (!x) throw new LayerlabError('INTERNAL', 'rollsum wasm used before initRollsumWasm() resolved');
    this.x = x;
    x.initState();
    this.state = new Uint8Array(x.memory.buffer, x.statePointer(), x.stateSize()).slice();
  }

  feed(v: Uint8Array, out: ChunkEvent[]): void {
    const x = this.x;
    const size = x.bufferSize();
    // The module never allocates, so its memory never grows and these views stay attached.
    const mem = new Uint8Array(x.memory.buffer);
    const ptr = x.bufferPointer();
    for (let at = 0; at < v.length; at += size) {
      const piece = v.subarray(at, at + size);
      mem.set(piece, ptr);
      this.load(mem);
      const n = x.feed(piece.length);
      if (n < 0) throw new LayerlabError('INTERNAL', 'rollsum wasm: feed refused its input');
      this.events(n, piece, out);
    }
  }

  finish(out: ChunkEvent[]): void {
    const mem = new Uint8Array(this.x.memory.buffer);
    this.load(mem);
    this.events(this.x.finish(), undefined, out);
  }

  private load(mem: Uint8Array): void {
    mem.set(this.state, this.x.statePointer());
  }

  /** Turns the module's n event records into ChunkEvents (views of `v`), and saves the state. */
  private events(n: number, v: Uint8Array | undefined, out: ChunkEvent[]): void {
    const x = this.x;
    const ev = new Int32Array(x.memory.buffer, x.eventsPointer(), n * 3);
    for (let k = 0; k < ev.length; k += 3) {
      switch (ev[k]) {
        case EV_DATA: out.push({ kind: 'data', bytes: v!.subarray(ev[k + 1], ev[k + 2]) }); break;
        case EV_DATA_ZEROS: out.push({ kind: 'data', bytes: ZERO_BLOCK.subarray(0, ev[k + 1]) }); break;
        case EV_ZEROS: out.push({ kind: 'zeros', length: ev[k + 1] }); break;
        case EV_END: out.push({ kind: 'end', zeros: ev[k + 1] === 1 }); break;
        default: throw new LayerlabError('INTERNAL', `rollsum wasm: unknown event ${ev[k]}`);
      }
    }
    this.state.set(new Uint8Array(x.memory.buffer, x.statePointer(), this.state.length));
  }
}
