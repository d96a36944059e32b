import { expect, test, type Locator, type Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { openFile, openSample, shot, waitForImage } from './helpers/app.ts';
import { bigImage } from './helpers/inputs.ts';

/**
 * "OCI layout into a folder": the Convert dialog writes through a FileSystemDirectoryHandle from
 * `showDirectoryPicker`, which headless Chromium cannot show. The page's picker is replaced by one
 * that hands back a real FileSystemDirectoryHandle: a fresh folder of the origin-private file
 * system, /picked/<name> (outside /layerlab, so nothing of the app's own storage is involved).
 * The dialog posts it to the engine worker (structured clone) and the worker writes the layout
 * through the same handle API (getDirectoryHandle, getFileHandle, createWritable) it uses on a
 * picked folder. The files are then read back out of the page onto disk and judged by skopeo,
 * the CLI and, for Nydus, nydus-oracle.
 */

const OUT = 'test-results/convert-folder';
const CLI = './bin/layerlab';
const ORACLE = '../shared/tools/nydus-oracle/nydus-oracle.py';
const PICKED = 'picked';

declare global {
  interface Window {
    /** The folder the next showDirectoryPicker() call returns (under OPFS /picked). */
    __layerlabPick?: string;
    /** The options of every showDirectoryPicker() call. */
    __layerlabPickerCalls?: unknown[];
  }
}

/** Installs the picker before any of the app's scripts run; it hands out `first`, then whatever `pickNext` set. */
async function installPicker(page: Page, first: string): Promise<void> {
  await page.addInitScript(({ first, parent }) => {
    window.__layerlabPick = first;
    window.__layerlabPickerCalls = [];
    (window as unknown as { showDirectoryPicker: (o?: object) => Promise<FileSystemDirectoryHandle> }).showDirectoryPicker = async (options?: object) => {
      window.__layerlabPickerCalls!.push(options ?? null);
      const top = await navigator.storage.getDirectory();
      const dir = await top.getDirectoryHandle(parent, { create: true });
      return dir.getDirectoryHandle(window.__layerlabPick!, { create: true });
    };
  }, { first, parent: PICKED });
}

async function pickNext(page: Page, name: string): Promise<void> {
  await page.evaluate((name) => { window.__layerlabPick = name; }, name);
}

interface Entry { path: string; kind: 'file' | 'directory'; size: number }

/** Every entry under OPFS /<root...>, folders included, sorted; [] when the folder is missing. */
async function opfsEntries(page: Page, path: string): Promise<Entry[]> {
  return page.evaluate(async (path) => {
    const out: Entry[] = [];
    type Iter = { entries(): AsyncIterable<[string, FileSystemHandle]> };
    async function walk(d: FileSystemDirectoryHandle, prefix: string) {
      for await (const [name, h] of (d as unknown as Iter).entries()) {
        if (h.kind === 'file') out.push({ path: `${prefix}${name}`, kind: 'file', size: (await (h as FileSystemFileHandle).getFile()).size });
        else {
          out.push({ path: `${prefix}${name}`, kind: 'directory', size: 0 });
          await walk(h as FileSystemDirectoryHandle, `${prefix}${name}/`);
        }
      }
    }
    let d = await navigator.storage.getDirectory();
    try {
      for (const p of path.split('/').filter(Boolean)) d = await d.getDirectoryHandle(p);
    } catch { return out; }
    await walk(d, '');
    return out.sort((a, b) => (a.path < b.path ? -1 : 1));
  }, path);
}

const picked = (name: string) => `${PICKED}/${name}`;

/** Bytes [offset, offset + length) of an OPFS file, as base64 (one call per slice keeps the messages small). */
async function opfsSlice(page: Page, path: string, offset: number, length: number): Promise<Buffer> {
  const b64 = await page.evaluate(async ({ path, offset, length }) => {
    const parts = path.split('/').filter(Boolean);
    let d = await navigator.storage.getDirectory();
    for (const p of parts.slice(0, -1)) d = await d.getDirectoryHandle(p);
    const file = await (await d.getFileHandle(parts[parts.length - 1])).getFile();
    const bytes = new Uint8Array(await file.slice(offset, offset + length).arrayBuffer());
    let s = '';
    for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return btoa(s);
  }, { path, offset, length });
  return Buffer.from(b64, 'base64');
}

/** Copies OPFS /picked/<name> to `dest` on disk, file by file (big files in 4 MiB slices). */
async function copyOut(page: Page, name: string, dest: string): Promise<Entry[]> {
  rmSync(dest, { recursive: true, force: true });
  mkdirSync(dest, { recursive: true });
  const entries = await opfsEntries(page, picked(name));
  const SLICE = 4 << 20;
  for (const e of entries) {
    const to = join(dest, e.path);
    if (e.kind === 'directory') { mkdirSync(to, { recursive: true }); continue; }
    mkdirSync(dirname(to), { recursive: true });
    const parts: Buffer[] = [];
    for (let off = 0; off < e.size; off += SLICE) parts.push(await opfsSlice(page, `${picked(name)}/${e.path}`, off, Math.min(SLICE, e.size - off)));
    const bytes = Buffer.concat(parts);
    expect(bytes.length, `${e.path}: bytes read back`).toBe(e.size);
    writeFileSync(to, bytes);
  }
  return entries;
}

/** path → sha256 of every file under a folder on disk. */
function hashes(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const n of readdirSync(d).sort()) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else out[relative(root, p)] = createHash('sha256').update(readFileSync(p)).digest('hex');
    }
  };
  walk(root);
  return out;
}

interface Descriptor { mediaType: string; digest: string; size: number }

/**
 * An OCI image layout on disk, checked by hand (image-layout.md): oci-layout and index.json,
 * only blobs/sha256/<hex> besides, each file's sha256 its name, every descriptor of the index →
 * manifest → config + layers present with its size, and no blob that nothing names.
 */
function checkLayout(dir: string): { index: { manifests: Descriptor[] }; manifest: { config: Descriptor; layers: Descriptor[] } } {
  const files = hashes(dir);
  expect(JSON.parse(readFileSync(join(dir, 'oci-layout'), 'utf8'))).toEqual({ imageLayoutVersion: '1.0.0' });
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'));
  expect(index.schemaVersion).toBe(2);
  expect(index.manifests).toHaveLength(1);
  const blobs = Object.keys(files).filter((p) => p !== 'oci-layout' && p !== 'index.json');
  for (const p of blobs) {
    expect(p).toMatch(/^blobs\/sha256\/[0-9a-f]{64}$/);
    expect(files[p], `${p}: its sha256 is its name`).toBe(p.slice('blobs/sha256/'.length));
  }
  const named = new Set<string>();
  const blob = (d: Descriptor) => {
    const p = `blobs/sha256/${d.digest.replace(/^sha256:/, '')}`;
    expect(files[p], `${d.mediaType} ${d.digest} is in the folder`).toBeDefined();
    expect(statSync(join(dir, p)).size, `${p}: size in its descriptor`).toBe(d.size);
    named.add(p);
    return p;
  };
  const manifest = JSON.parse(readFileSync(join(dir, blob(index.manifests[0])), 'utf8'));
  blob(manifest.config);
  for (const l of manifest.layers) blob(l);
  expect(blobs.sort()).toEqual([...named].sort());
  return { index, manifest };
}

const tree = (p: string) => execFileSync(CLI, ['ls', p, '--tsv', '--quiet'], { encoding: 'utf8', maxBuffer: 64 << 20 });

async function openDialog(page: Page): Promise<Locator> {
  await page.getByRole('banner').getByRole('button', { name: 'Convert…' }).click();
  const dialog = page.getByRole('dialog', { name: /^Convert / });
  await expect(dialog).toBeVisible();
  return dialog;
}

/** Output "OCI layout into a folder", then the (replaced) picker; the dialog names the folder. */
async function chooseFolder(page: Page, dialog: Locator, name: string): Promise<void> {
  await pickNext(page, name);
  await dialog.getByRole('radio', { name: /OCI layout into a folder/ }).check();
  const button = dialog.getByRole('button', { name: /^(Choose|Change) folder…$/ });
  await expect(button).toBeEnabled();
  await button.click();
  await expect(dialog.locator('.folder')).toContainText(`${name}/`);
  await expect(dialog.getByRole('button', { name: 'Change folder…' })).toBeVisible();
}

/** Nothing of a folder conversion goes to the app's own storage: no archive in exports/, no spool left. */
async function expectNoAppLeftovers(page: Page): Promise<void> {
  await expect.poll(async () => (await opfsEntries(page, 'layerlab/exports')).filter((e) => e.kind === 'file')).toEqual([]);
  await expect.poll(async () => (await opfsEntries(page, 'layerlab/spool')).filter((e) => e.path.includes('convert-'))).toEqual([]);
}

test.beforeAll(() => mkdirSync(OUT, { recursive: true }));

test('zstd into a picked folder: a real OCI layout that skopeo and layerlab read, the same files as the CLI writes', async ({ page }) => {
  test.setTimeout(180_000);
  await installPicker(page, 'zstd-layout');
  await openSample(page);
  // The replacement is what the dialog sees: a function returning a real directory handle.
  expect(await page.evaluate(async () => {
    const h = await (window as unknown as { showDirectoryPicker(): Promise<FileSystemDirectoryHandle> }).showDirectoryPicker();
    return `${h instanceof FileSystemDirectoryHandle} ${h.kind} ${h.name}`;
  })).toBe('true directory zstd-layout');
  const dialog = await openDialog(page);
  await dialog.getByRole('radio', { name: /^zstd(?!:)/ }).check();
  // Until a folder is chosen, the dialog will not start.
  await dialog.getByRole('radio', { name: /OCI layout into a folder/ }).check();
  await expect(dialog.getByRole('status').filter({ hasText: 'Choose a folder to write the OCI layout into.' })).toBeVisible();
  await expect(dialog.getByRole('button', { name: 'Convert to zstd' })).toBeDisabled();
  await chooseFolder(page, dialog, 'zstd-layout');
  expect((await page.evaluate(() => window.__layerlabPickerCalls ?? [])).at(-1)).toEqual({ mode: 'readwrite', id: 'layerlab-convert' });
  await shot(page, 'convert-folder-setup');

  await dialog.getByRole('button', { name: 'Convert to zstd' }).click();
  const done = dialog.locator('.success');
  await expect(done).toBeVisible({ timeout: 60_000 });
  await expect(done).toContainText('Converted to zstd — OCI layout');
  await expect(done).toContainText('Written into zstd-layout/.');
  await expect(dialog.getByTestId('convert-download')).toHaveCount(0);
  const summary = dialog.getByRole('table', { name: 'Layers converted' });
  await expect(summary.locator('tbody tr')).toHaveCount(3);
  await expect(summary).toContainText('converted');
  await shot(page, 'convert-folder-done-zstd');

  // What the worker wrote is in the picked folder (so the handle reached it), and nothing else anywhere.
  const dir = join(OUT, 'zstd-layout');
  const entries = await copyOut(page, 'zstd-layout', dir);
  expect(entries.filter((e) => e.kind === 'file')).toHaveLength(2 + 1 + 1 + 3); // oci-layout, index.json, manifest, config, layers
  expect(entries.filter((e) => e.kind === 'directory').map((e) => e.path)).toEqual(['blobs', 'blobs/sha256']);
  await expectNoAppLeftovers(page);

  const { manifest } = checkLayout(dir);
  for (const l of manifest.layers) expect(l.mediaType).toBe('application/vnd.oci.image.layer.v1.tar+zstd');
  // The summary names the layers the folder has.
  for (const [i, l] of manifest.layers.entries()) {
    await expect(summary.locator(`tr[data-layer="${i}"] td.mono`).nth(1)).toHaveAttribute('title', new RegExp(`^${l.digest}\\n`));
  }

  // skopeo: reads the layout, and copies it (checking every blob's digest) to an archive.
  const inspect = JSON.parse(execFileSync('skopeo', ['inspect', `oci:${dir}`], { encoding: 'utf8' }));
  expect(inspect.Layers).toEqual(manifest.layers.map((l) => l.digest));
  const raw = JSON.parse(execFileSync('skopeo', ['inspect', '--raw', `oci:${dir}`], { encoding: 'utf8' }));
  expect(raw).toEqual(manifest);
  const copied = join(OUT, 'zstd-layout-skopeo.tar');
  rmSync(copied, { force: true });
  execFileSync('skopeo', ['copy', '-q', `oci:${dir}`, `oci-archive:${copied}`], { stdio: 'pipe' });
  // layerlab: every digest and diffID checks out, in the folder and in skopeo's copy; the sample's tree.
  execFileSync(CLI, ['verify', dir, '--quiet'], { stdio: 'pipe' });
  execFileSync(CLI, ['verify', copied, '--quiet'], { stdio: 'pipe' });
  const json = JSON.parse(execFileSync(CLI, ['inspect', dir, '--json', '--quiet'], { encoding: 'utf8', maxBuffer: 64 << 20 }));
  expect(json.layers).toHaveLength(3);
  expect(tree(dir)).toBe(tree('public/sample/sample.tar'));
  expect(tree(copied)).toBe(tree('public/sample/sample.tar'));
  // One engine: the CLI's own layout of the same conversion has the same files, byte for byte.
  const cli = join(OUT, 'zstd-layout-cli');
  rmSync(cli, { recursive: true, force: true });
  execFileSync(CLI, ['convert', 'public/sample/sample.tar', '--to', 'zstd', '-o', cli, '--quiet'], { stdio: 'pipe' });
  expect(hashes(dir)).toEqual(hashes(cli));
});

test('Nydus into a picked folder: nydus-oracle passes the layout and it converts back to the same tree', async ({ page }) => {
  test.setTimeout(240_000);
  await installPicker(page, 'nydus-layout');
  await openSample(page);
  const dialog = await openDialog(page);
  await dialog.getByRole('radio', { name: /^Nydus/ }).check();
  await chooseFolder(page, dialog, 'nydus-layout');
  await dialog.getByRole('button', { name: 'Convert to Nydus' }).click();
  const done = dialog.locator('.success');
  await expect(done).toBeVisible({ timeout: 90_000 });
  await expect(done).toContainText('Converted to Nydus — OCI layout');
  await expect(done).toContainText('Written into nydus-layout/.');
  await shot(page, 'convert-folder-done-nydus');

  const dir = join(OUT, 'nydus-layout');
  await copyOut(page, 'nydus-layout', dir);
  await expectNoAppLeftovers(page);
  const { manifest } = checkLayout(dir);
  expect(manifest.layers).toHaveLength(4); // three blob layers and the bootstrap layer
  const inspect = JSON.parse(execFileSync('skopeo', ['inspect', `oci:${dir}`], { encoding: 'utf8' }));
  expect(inspect.Layers).toEqual(manifest.layers.map((l) => l.digest));
  execFileSync('skopeo', ['copy', '-q', `oci:${dir}`, `dir:${join(OUT, 'nydus-layout-skopeo')}`], { stdio: 'pipe' });
  execFileSync(CLI, ['verify', dir, '--quiet'], { stdio: 'pipe' });
  // The independent checker: its own RAFS v6 decoder, TOCs, every chunk digest, then fsck.erofs --extract.
  const work = join(OUT, 'nydus-layout-oracle');
  rmSync(work, { recursive: true, force: true });
  const oracle = execFileSync('python3', [ORACLE, 'image', '--extract', '--digests', 'all', dir, work], { encoding: 'utf8', maxBuffer: 64 << 20 });
  expect(oracle).toMatch(/RESULT: PASS/);
  // Back to OCI with the CLI: the sample's tree exactly.
  const back = join(OUT, 'nydus-layout-back.tar');
  rmSync(back, { force: true });
  execFileSync(CLI, ['convert', dir, '--to', 'gzip', '-o', back, '--quiet'], { stdio: 'pipe' });
  expect(tree(back)).toBe(tree('public/sample/sample.tar'));
});

test('a folder that is not empty is refused with a clear message and left as it was', async ({ page }) => {
  await installPicker(page, 'not-empty');
  await openSample(page);
  // The user's folder: a file and a sub-folder with a file.
  await page.evaluate(async (parent) => {
    const top = await (await navigator.storage.getDirectory()).getDirectoryHandle(parent, { create: true });
    const d = await top.getDirectoryHandle('not-empty', { create: true });
    const put = async (dir: FileSystemDirectoryHandle, name: string, text: string) => {
      const w = await (await dir.getFileHandle(name, { create: true })).createWritable();
      await w.write(text);
      await w.close();
    };
    await put(d, 'notes.txt', 'keep me\n');
    await put(await d.getDirectoryHandle('blobs', { create: true }), 'mine.bin', 'mine too\n');
  }, PICKED);
  const before = await opfsEntries(page, picked('not-empty'));
  expect(before.map((e) => e.path)).toEqual(['blobs', 'blobs/mine.bin', 'notes.txt']);

  const dialog = await openDialog(page);
  await dialog.getByRole('radio', { name: /^zstd(?!:)/ }).check();
  await chooseFolder(page, dialog, 'not-empty');
  await dialog.getByRole('button', { name: 'Convert to zstd' }).click();
  const error = dialog.getByRole('alert');
  await expect(error).toBeVisible({ timeout: 30_000 });
  await expect(error).toContainText('The conversion failed; nothing was kept');
  await expect(error).toContainText(/the folder "not-empty" is not empty \(it has "(notes\.txt|blobs)"\); pick a new or empty folder for an OCI layout/);
  await shot(page, 'convert-folder-not-empty');

  // Nothing changed in it: the same entries, the same bytes.
  expect(await opfsEntries(page, picked('not-empty'))).toEqual(before);
  const text = async (p: string) => (await opfsSlice(page, `${picked('not-empty')}/${p}`, 0, 1 << 20)).toString('utf8');
  expect(await text('notes.txt')).toBe('keep me\n');
  expect(await text('blobs/mine.bin')).toBe('mine too\n');
  await expectNoAppLeftovers(page);

  // Back to the settings, another (empty) folder: that one works.
  await dialog.getByRole('button', { name: 'Back to settings' }).click();
  await chooseFolder(page, dialog, 'empty');
  await dialog.getByRole('button', { name: 'Convert to zstd' }).click();
  await expect(dialog.locator('.success')).toContainText('Written into empty/.', { timeout: 60_000 });
  expect((await opfsEntries(page, picked('empty'))).map((e) => e.path)).toContain('index.json');
  expect(await opfsEntries(page, picked('not-empty'))).toEqual(before);
});

test('cancelling a folder conversion after a layer blob is written leaves the folder empty', async ({ page }) => {
  test.setTimeout(300_000);
  const big = bigImage(); // two gzip layers of ≈ 43 MB (≈ 100 MB unpacked each), made once into .cache/e2e
  const logs: string[] = [];
  page.on('console', (m) => logs.push(m.text()));
  await installPicker(page, 'cancelled');
  await openFile(page, big);
  await waitForImage(page, 120_000);
  const dialog = await openDialog(page);
  await dialog.getByRole('radio', { name: /^zstd(?!:)/ }).check();
  await dialog.getByRole('spinbutton', { name: 'Level' }).fill('12'); // slow enough to cancel in layer 1
  await chooseFolder(page, dialog, 'cancelled');
  await dialog.getByRole('button', { name: 'Convert to zstd' }).click();

  // Layer 0 is converted (through the spool) and its blob written into the folder; layer 1 is running.
  const rows = dialog.getByRole('table', { name: 'Layers' }).locator('tbody tr');
  await expect(rows).toHaveCount(2);
  // (createWritable writes into a swap file, <name>.crswap, and replaces <name> with it on close.)
  const committed = (es: Entry[]) => es.filter((e) => /^blobs\/sha256\/[0-9a-f]{64}$/.test(e.path) && e.size > 0);
  await expect.poll(async () => committed(await opfsEntries(page, picked('cancelled'))).length, { timeout: 180_000, intervals: [250] }).toBe(1);
  await expect(rows.nth(1)).toHaveAttribute('data-state', 'running');
  const during = await opfsEntries(page, picked('cancelled'));
  expect(committed(during)).toHaveLength(1);
  expect(during.some((e) => e.path === 'index.json' || e.path === 'oci-layout')).toBe(false);
  await shot(page, 'convert-folder-running');

  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog.getByRole('status').filter({ hasText: 'Conversion cancelled. Nothing was kept.' })).toBeVisible({ timeout: 15_000 });
  // The engine lets the cancel message in between tar pieces (core/event-loop-turn.ts), so the
  // worker stops by itself and removes what it wrote (output-targets.ts); the dialog's own tidy-up
  // is only the fallback for a worker that had to be terminated (one wasm call > CANCEL_GRACE_MS).
  expect(logs.filter((l) => l.includes('restarting the engine worker'))).toEqual([]);
  await shot(page, 'convert-folder-cancelled');
  // Every file and folder the conversion made is removed: the folder is as it was picked.
  await expect.poll(() => opfsEntries(page, picked('cancelled')), { timeout: 10_000 }).toEqual([]);
  await expectNoAppLeftovers(page);
  await dialog.getByRole('button', { name: 'Back to settings' }).click();
  await expect(dialog.getByRole('button', { name: 'Convert to zstd' })).toBeEnabled();
});
