/**
 * Helpers of the zstd:chunked writer tests: write a tar to memory, run the Go reference on the
 * result, read the manifest and tar-split of a v2 blob (through its footer and the native `zstd`).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { writeZstdChunked, type ZstdChunkedWriteOptions, type ZstdChunkedWriteResult } from '../../src/core/formats/zstd-chunked/writer.ts';
import { SHARED } from '../helpers/cli.ts';
import { runZstdchunkedRef } from './zstdchunked-ref.ts';

export const ESTARGZ_INPUTS = resolve(SHARED, 'fixtures/estargz/inputs');
export const FIXTURES = resolve(SHARED, 'fixtures/zstd-chunked');
export const inputTar = (name: string) => readFileSync(resolve(ESTARGZ_INPUTS, `${name}.tar`));

/** The tar in pieces of `piece` bytes (odd sizes: results must not depend on them). */
export function pieces(tar: Uint8Array, piece: number): () => AsyncIterable<Uint8Array> {
  return async function* () {
    for (let i = 0; i < tar.length; i += piece) yield tar.subarray(i, i + piece);
  };
}

export async function writeToMemory(tar: Uint8Array, o: ZstdChunkedWriteOptions = {}, piece = 65536): Promise<{ blob: Buffer; r: ZstdChunkedWriteResult }> {
  const out: Uint8Array[] = [];
  const r = await writeZstdChunked(pieces(tar, piece), (c) => { out.push(c.slice()); }, o);
  return { blob: Buffer.concat(out), r };
}

export function scratch(): string {
  return mkdtempSync(join(tmpdir(), 'zc-writer-'));
}

/** Native `zstd -d` of a whole blob (skippable frames are skipped). */
export function zstdDecompress(blob: Uint8Array): Buffer {
  const r = spawnSync('zstd', ['-d', '-c', '-q'], { input: blob, maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`zstd -d failed: ${r.stderr}`);
  return r.stdout;
}

/** The v2 footer's spans (spec §2): read independently of the engine's footer parser. */
export function v2Spans(blob: Buffer) {
  const f = blob.subarray(blob.length - 64);
  const n = (at: number) => Number(f.readBigUInt64LE(at));
  return {
    manifest: { offset: n(0), length: n(8), uncompressedLength: n(16) },
    tarSplit: { offset: n(32), length: n(40), uncompressedLength: n(48) },
    magic: f.subarray(56).toString('latin1'),
  };
}

export function manifestJson(blob: Buffer): Buffer {
  const s = v2Spans(blob).manifest;
  return zstdDecompress(blob.subarray(s.offset, s.offset + s.length));
}

export function tarSplitText(blob: Buffer): Buffer {
  const s = v2Spans(blob).tarSplit;
  return zstdDecompress(blob.subarray(s.offset, s.offset + s.length));
}

/** `zstdchunked-ref verify -in blob [-annotations ann.json] [-tar tar]`: exit status and report. */
export function refVerify(blob: Uint8Array, annotations?: Record<string, string>, tar?: Uint8Array) {
  const dir = scratch();
  writeFileSync(join(dir, 'out.zst'), blob);
  const args = ['verify', '-in', join(dir, 'out.zst')];
  if (annotations) {
    writeFileSync(join(dir, 'ann.json'), JSON.stringify(annotations));
    args.push('-annotations', join(dir, 'ann.json'));
  }
  if (tar) {
    writeFileSync(join(dir, 'in.tar'), tar);
    args.push('-tar', join(dir, 'in.tar'));
  }
  const r = runZstdchunkedRef(args);
  return { status: r.status, report: r.stdout.toString(), stderr: r.stderr };
}

/** `zstdchunked-ref <build|mkv2> -in tar`: the blob the reference writes for `tar`. */
export function refWrite(cmd: 'build' | 'mkv2', tar: Uint8Array, level?: number): Buffer {
  const dir = scratch();
  writeFileSync(join(dir, 'in.tar'), tar);
  const args = [cmd, '-in', join(dir, 'in.tar'), '-out', join(dir, 'out.zst')];
  if (level) args.push('-level', String(level));
  const r = runZstdchunkedRef(args);
  if (r.status !== 0) throw new Error(`zstdchunked-ref ${cmd} failed: ${r.stderr}`);
  return readFileSync(join(dir, 'out.zst'));
}

/** `zstdchunked-ref toc`: the manifest JSON of any blob, byte-exact. */
export function refToc(blob: Uint8Array): Buffer {
  const dir = scratch();
  writeFileSync(join(dir, 'b.zst'), blob);
  const r = runZstdchunkedRef(['toc', '-in', join(dir, 'b.zst')]);
  if (r.status !== 0) throw new Error(`zstdchunked-ref toc failed: ${r.stderr}`);
  return r.stdout;
}

/** Manifest JSON text with the encoder-dependent values blanked: offsets and the tar-split digest. */
export function withoutOffsets(json: Buffer | string): string {
  return json.toString().replace(/"(offset|endOffset)":\d+/g, '"$1":_').replace(/"tarSplitDigest":"sha256:[0-9a-f]{64}"/, '"tarSplitDigest":_');
}
