import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { createServer, type ViteDevServer } from 'vite';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { encodeSkippableFrame } from '../../../src/core/compress/zstd-frames.ts';
import { FIXTURES, cli, concat, realContent, sha256 } from '../helpers.ts';
import { encodeSample, type CheckReport, type CheckResult } from './checks.ts';

/**
 * The decoders in real headless Chromium (Debian's), on the main thread and in a module worker.
 * Chromium's DecompressionStream stops at the second gzip member, so the restart path that Node
 * only reaches through a stub runs for real here. Vite's dev server serves the TypeScript
 * sources as they are; the inputs come from a middleware, the expectations stay in Node.
 */
const CHROMIUM = '/usr/bin/chromium';
const ROOT = resolve(import.meta.dirname, '../../..');

type Expect = { size: number; digest: string } | { error: string; offset?: number };

const inputs = new Map<string, Uint8Array>();
const expected = new Map<string, Expect>();
let server: ViteDevServer | undefined;
let browser: Browser | undefined;
let nodeEncoded: { gzip: string; zstd: string } | undefined;

function add(name: string, bytes: Uint8Array, want: Expect): void {
  inputs.set(name, bytes);
  expected.set(name, want);
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) return;
  const a = realContent(3 << 20, 0);
  const b = realContent(1 << 20, 3);
  const ab = { size: a.length + b.length, digest: sha256(concat(a, b)) };
  const catGz = concat(cli('gzip', ['-6', '-n', '-c'], a), cli('gzip', ['-1', '-n', '-c'], b));
  add('cat.gz', catGz, ab);
  const big = realContent(12 << 20, 5);
  add('single.gz', cli('gzip', ['-6', '-n', '-c'], big), { size: big.length, digest: sha256(big) });
  add('trunc.gz', catGz.subarray(0, catGz.length - 5000), { error: 'TRUNCATED', offset: catGz.length - 5000 });
  const badCrc = Uint8Array.from(catGz);
  badCrc[badCrc.length - 7] ^= 1;
  add('badcrc.gz', badCrc, { error: 'BAD_COMPRESSION', offset: catGz.length - 8 });
  const es = JSON.parse(readFileSync(join(FIXTURES, 'estargz/manifest.json'), 'utf8')) as { outputs: { file: string; diff_id: string; uncompressed_size: number }[] };
  for (const f of ['outputs/t2-paxbig.default.esgz', 'outputs/t1-basic.chunk4096.esgz']) {
    const o = es.outputs.find((x) => x.file === f)!;
    add(f.split('/')[1], readFileSync(join(FIXTURES, 'estargz', f)), { size: o.uncompressed_size, digest: o.diff_id });
  }
  const catZst = concat(encodeSkippableFrame(new Uint8Array(20)), cli('zstd', ['-3', '-q', '-c'], a), encodeSkippableFrame(new Uint8Array(9), 3),
    cli('sh', ['-c', 'cat | zstd -q -c --no-content-size'], b), encodeSkippableFrame(new Uint8Array(40), 15));
  add('cat.zst', catZst, ab);
  const cut = catZst.length - 3000;
  add('trunc.zst', catZst.subarray(0, cut), { error: 'TRUNCATED', offset: cut });
  const zc = JSON.parse(readFileSync(join(FIXTURES, 'zstd-chunked/manifest.json'), 'utf8')) as { outputs: { file: string; diff_id: string; uncompressed_size: number }[] };
  const chunked = zc.outputs.find((x) => x.file === 'blobs/t1-basic.zc143.zst')!;
  inputs.set('encode-input', realContent(2_000_000, 2));
  add('t1-basic.zc143.zst', readFileSync(join(FIXTURES, 'zstd-chunked', chunked.file)), { size: chunked.uncompressed_size, digest: chunked.diff_id });

  server = await createServer({
    configFile: false,
    root: ROOT,
    logLevel: 'error',
    cacheDir: join(ROOT, '.cache/vite-compress-browser'), // not node_modules/.vite: other dev servers share that
    server: { host: '127.0.0.1', port: 0, strictPort: false, hmr: false },
    optimizeDeps: {
      entries: ['test/compress/browser/index.html'],
      include: ['fflate', 'fzstd', 'hash-wasm', '@bokuweb/zstd-wasm'],
      noDiscovery: true, // no mid-run "new dependency optimized, reloading"
    },
    plugins: [{
      name: 'compress-fixtures',
      configureServer(s) {
        s.middlewares.use('/__fixtures/', (req, res) => {
          const name = decodeURIComponent((req.url ?? '').replace(/^\//, ''));
          const body = name === 'index.json' ? Buffer.from(JSON.stringify([...inputs.keys()])) : inputs.get(name);
          if (!body) {
            res.statusCode = 404;
            res.end();
            return;
          }
          res.setHeader('content-type', 'application/octet-stream');
          res.end(body);
        });
      },
    }],
  });
  nodeEncoded = await encodeSample(inputs.get('encode-input'));
  await server.listen();
  browser = await chromium.launch({
    executablePath: CHROMIUM, headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

// test/install-deps.sh installs Debian's chromium: without it this is a failure, not a skip.
test('Chromium is installed (test/install-deps.sh)', () => {
  expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: run test/install-deps.sh`).toBe(true);
});

test.skipIf(!existsSync(CHROMIUM))('decoders in Chromium: page and module worker', async () => {
  const addr = server!.httpServer!.address() as { port: number };
  const page = await browser!.newPage();
  const logs: string[] = [];
  page.on('console', (m) => logs.push(m.text()));
  page.on('pageerror', (e) => logs.push(String(e)));
  await page.goto(`http://127.0.0.1:${addr.port}/test/compress/browser/index.html`);
  await page.waitForFunction(() => (window as { __results?: unknown }).__results !== undefined, undefined, { timeout: 60_000 });
  const reports = await page.evaluate(() => (window as unknown as { __results: CheckReport[] | { failed: string } }).__results);
  if (!Array.isArray(reports)) throw new Error(`${reports.failed}\n${logs.join('\n')}`);

  expect(reports.map((r) => r.where)).toEqual(['page', 'worker']);
  for (const report of reports) {
    // Documents the behaviour the restart path exists for; if Chromium ever reads all members,
    // this says so (and the decoders stay correct either way).
    expect(report.nativeGunzip).toBe('first-member-only');
    const seen = new Set<string>();
    for (const r of report.results) {
      const input = r.name.split(' ')[0];
      seen.add(input);
      expect({ where: report.where, name: r.name, ...outcome(r) }).toEqual({ where: report.where, name: r.name, ...expected.get(input) });
    }
    expect([...seen].sort()).toEqual([...expected.keys()].sort());
    // Same bytes from the encoders in Chromium and in Node: converted layers get the same digest
    // whichever runtime made them (CompressionStream would not: Chromium's zlib differs).
    expect(report.encoded).toEqual(nodeEncoded);
    // Multi-member input made the native decoder give up; reopen() was used once, not per member.
    const reopenedCat = report.results.find((r) => r.name === 'cat.gz +reopen')!;
    expect(reopenedCat.reopened).toBe(1);
    expect(report.results.find((r) => r.name === 'single.gz +reopen')!.reopened).toBe(0);
  }
}, 60_000);

function outcome(r: CheckResult): Expect {
  return r.error ? { error: r.error.code, offset: r.error.offset } : { size: r.size, digest: r.digest! };
}
