/**
 * The RAFS v6 bootstrap writer (wasm/assembly/rafs-v6.ts) behind a typed call. The module owns
 * the on-disk decisions (layout recipe §4.12 of ../shared/spec/nydus.md, inode forms, dirents,
 * xattr bodies, chunk indexes, superblocks, tables); this file only marshals the tree into its
 * wire format and copies the result out.
 */
import { LayerlabError } from '../errors.ts';
import { loadWasm, type WasmInstance } from './load.ts';

interface RafsExports {
  memory: WebAssembly.Memory;
  inputBuffer(len: number): number;
  build(): number;
  outputPointer(): number;
  outputLength(): number;
  errorNode(): number;
  nidOf(i: number): number;
  inoOf(i: number): number;
  release(): void;
}

export function loadRafsV6Wasm(): Promise<WasmInstance> {
  return loadWasm('rafs-v6', new URL('../../wasm-build/rafs-v6.wasm', import.meta.url));
}

export const RAFS_WIRE = { magic: 0x42464152, header: 64, blob: 216, chunk: 80, nodeFixed: 56 } as const;

const ERRORS: Record<number, string> = {
  1: 'malformed builder input',
  2: 'a name is empty, longer than 255 bytes, or appears twice in a directory',
  3: 'a symlink target is empty or longer than 4095 bytes',
  4: 'the tree is not a tree rooted at a directory (parent is not a directory, or a bad hardlink group)',
  5: 'a chunk list does not match the file size or names a blob/CI index out of range',
  6: 'an xattr is outside the namespaces RAFS allows',
};

export interface RafsBuildOutput {
  bytes: Uint8Array;
  /** Per node of the input: nid and i_ino. */
  nids: number[];
  inos: number[];
}

/**
 * Runs the writer over a wire-format description. `describe(i)` names node i in errors.
 * Calls are serialised (one instance, module-global state).
 */
export async function runRafsV6Writer(input: Uint8Array, nodes: number, describe: (i: number) => string): Promise<RafsBuildOutput> {
  const inst = await loadRafsV6Wasm();
  const run = queue.then(() => {
    const x = inst.exports as unknown as RafsExports;
    const ptr = x.inputBuffer(input.length);
    new Uint8Array(x.memory.buffer, ptr, input.length).set(input);
    const rc = x.build();
    if (rc !== 0) {
      const n = x.errorNode();
      x.release();
      throw new LayerlabError('BAD_LAZY_FORMAT', `RAFS v6 writer: ${ERRORS[rc] ?? `error ${rc}`}${n >= 0 ? ` (${describe(n)})` : ''}`);
    }
    const len = x.outputLength();
    const bytes = new Uint8Array(x.memory.buffer, x.outputPointer(), len).slice();
    const nids: number[] = new Array(nodes), inos: number[] = new Array(nodes);
    for (let i = 0; i < nodes; i++) { nids[i] = x.nidOf(i); inos[i] = x.inoOf(i) >>> 0; }
    x.release();
    return { bytes, nids, inos };
  });
  queue = run.then(() => undefined, () => undefined);
  return run;
}
let queue: Promise<void> = Promise.resolve();
