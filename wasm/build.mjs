#!/usr/bin/env node
// Builds every wasm/assembly/<name>.ts into src/wasm-build/<name>.wasm (+ raw-binding glue).
// Options follow ../shared/notes/toolchain.md §2: -O3, no asserts, raw bindings, exported runtime.
import { readdirSync, mkdirSync, existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const src = join(here, 'assembly');
const out = join(here, '..', 'src', 'wasm-build');
const entries = existsSync(src) ? readdirSync(src).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')) : [];
if (entries.length === 0) {
  console.log('wasm: no AssemblyScript modules yet');
  process.exit(0);
}
// WebAssembly features a module needs beyond asc's defaults.
const features = { blake3: ['--enable', 'simd'] };
mkdirSync(out, { recursive: true });
for (const f of entries) {
  const name = f.replace(/\.ts$/, '');
  const r = spawnSync('npx', ['asc', join(src, f), '-O3', '--noAssert', '--bindings', 'raw', '--exportRuntime',
    ...(features[name] ?? []), '-o', join(out, `${name}.wasm`)], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
  console.log(`wasm: built ${name}.wasm`);
}
