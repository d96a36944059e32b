import { execFileSync, execSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Test inputs, made once into .cache/e2e/ and reused by later runs (the big one takes a while).
 * Each is written to a temporary name first, so an interrupted run never leaves half a file.
 */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const DIR = join(ROOT, '.cache/e2e');
const MAKE = join(ROOT, 'test/e2e/helpers/make-archive.py');

function made(name: string, make: (tmp: string) => void): string {
  const out = join(DIR, name);
  if (existsSync(out)) return out;
  mkdirSync(DIR, { recursive: true });
  const tmp = `${out}.partial`;
  make(tmp);
  renameSync(tmp, out);
  return out;
}

/** A docker-archive from the lead's corpus when it is there, else a small one made here. */
export function dockerArchive(): { path: string; fromCorpus: boolean } {
  const corpus = join(ROOT, '.cache/corpus/base-docker-archive/image.tar');
  if (existsSync(corpus)) return { path: corpus, fromCorpus: true };
  return { path: smallArchive(), fromCorpus: false };
}

export function smallArchive(): string {
  return made('small-docker-archive.tar', (tmp) => execFileSync('python3', [MAKE, 'small', tmp]));
}

/** The small archive with gzip layers, layer 1 cut off half way through. */
export function corruptArchive(): string {
  return made('corrupt-layer-1.tar', (tmp) => execFileSync('python3', [MAKE, 'corrupt', tmp]));
}

/** The bundled sample (an OCI archive) gzip-compressed: its members must be spooled to be read at random. */
export function gzippedSample(): string {
  return made('sample.tar.gz', (tmp) => execSync(`gzip -c -n '${join(ROOT, 'public/sample/sample.tar')}' > '${tmp}'`, { shell: '/bin/bash' }));
}

/** One layer with 50 000 entries. */
export function manyFilesArchive(): string {
  return made('many-files.tar', (tmp) => execFileSync('python3', [MAKE, 'many', tmp]));
}

/**
 * A lone gzip layer of at least 300 MB: the start of a tar of /usr (real files, realistic
 * compression), cut at a fixed size. Cut mid-member on purpose: the cancel test stops long
 * before the end. `pigz` when present (two cores), else gzip.
 */
export function bigGzipLayer(): string {
  return made('big-layer.tar.gz', (tmp) => {
    const gz = hasCommand('pigz') ? 'pigz -1 -p 2' : 'gzip -1';
    execSync(`set -o pipefail; tar -cf - -C / usr 2>/dev/null | head -c 1100000000 | ${gz} > '${tmp}' || test -s '${tmp}'`, { shell: '/bin/bash', stdio: 'ignore' });
    if (statSync(tmp).size < 300e6) throw new Error(`big layer is only ${statSync(tmp).size} bytes`);
  });
}

function hasCommand(c: string): boolean {
  try { execSync(`command -v ${c}`, { stdio: 'ignore', shell: '/bin/bash' }); return true; } catch { return false; }
}

/** An OCI archive with two gzip layers of real files from /usr (≈ 87 MB stored, 200 MB unpacked): long enough to cancel a conversion. */
export function bigImage(): string {
  return made('big-image.tar', (tmp) => execFileSync('python3', [MAKE, 'big', tmp]));
}

const ESTARGZ = join(ROOT, '../shared/fixtures/estargz');

/** A fixture of ../shared/fixtures/estargz/manifest.json wrapped as a one-layer OCI archive with its annotations. */
export function estargzImage(variant = 't1-basic.chunk4096'): { path: string; fixture: { toc_entries: number; toc_chunk_entries: number; verified_chunks: number; toc_digest: string; size: number } } {
  const manifest = JSON.parse(readFileSync(join(ESTARGZ, 'manifest.json'), 'utf8')) as { outputs: { file: string; annotations: Record<string, string>; toc_entries: number; toc_chunk_entries: number; verified_chunks: number; toc_digest: string; size: number }[] };
  const fixture = manifest.outputs.find((o) => o.file === `outputs/${variant}.esgz`);
  if (!fixture) throw new Error(`no eStargz fixture ${variant}`);
  const path = made(`estargz-${variant}.tar`, (tmp) => execFileSync('python3', [MAKE, 'wrap', tmp, join(ESTARGZ, fixture.file), JSON.stringify(fixture.annotations)]));
  return { path, fixture };
}

const ZSTD_CHUNKED = join(ROOT, '../shared/fixtures/zstd-chunked');

export interface ZstdChunkedFixture {
  annotations: Record<string, string>;
  diff_id: string;
  footer_kind: string;
  manifest: { entries: { type: string; name: string; size?: number; chunkSize?: number }[] };
  /** expected/<input>.files.json: every tar entry with its content's sha256. */
  files: { name: string; type: string; size?: number; sha256?: string }[];
  blob: string;
}

/**
 * A blob of ../shared/fixtures/zstd-chunked/ wrapped as a one-layer OCI archive (zstd media type)
 * with its annotations and diffID. `damage` flips one byte at that blob offset first (the layer's
 * digest is of the damaged bytes, so only the chunk it lies in is wrong).
 */
export function zstdChunkedImage(name = 't1-basic.v2-constructed', damage?: number): { path: string; fixture: ZstdChunkedFixture } {
  const facts = JSON.parse(readFileSync(join(ZSTD_CHUNKED, 'annotations', `${name}.json`), 'utf8')) as { annotations: Record<string, string>; diff_id: string; footer_kind: string };
  const fixture: ZstdChunkedFixture = {
    ...facts,
    manifest: JSON.parse(readFileSync(join(ZSTD_CHUNKED, 'toc', `${name}.json`), 'utf8')),
    files: JSON.parse(readFileSync(join(ZSTD_CHUNKED, 'expected', `${name.split('.')[0]}.files.json`), 'utf8')),
    blob: join(ZSTD_CHUNKED, 'blobs', `${name}.zst`),
  };
  const path = made(`zstd-chunked-${name}${damage !== undefined ? `-damaged-${damage}` : ''}.tar`, (tmp) => {
    let blob = fixture.blob;
    if (damage !== undefined) {
      const bytes = readFileSync(blob);
      bytes[damage] ^= 0xff;
      blob = `${tmp}.blob`;
      writeFileSync(blob, bytes);
    }
    execFileSync('python3', [MAKE, 'wrap-zstd', tmp, blob, JSON.stringify(fixture.annotations), fixture.diff_id]);
    if (blob !== fixture.blob) rmSync(blob);
  });
  return { path, fixture };
}
