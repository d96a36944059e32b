import { expect, test, type Locator, type Page } from '@playwright/test';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { shot, waitForImage } from './helpers/app.ts';
import { opfsFiles } from './helpers/opfs.ts';
import { runZstdchunkedRef } from '../zstd-chunked/zstdchunked-ref.ts';
import { refFields, runRef } from '../estargz/estargz-ref.ts';

/**
 * The Convert dialog's two zstd lazy-pull targets, in the built app, on the bundled sample:
 * zstd:chunked (containers/storage's layout) and eStargz with zstd members (stargz-snapshotter's
 * zstdchunked). What the browser writes is judged outside it: the CLI's verify and report, GNU
 * tar for the archive, the Go references (zstdchunked-ref over containers/storage,
 * estargz-ref over stargz-snapshotter), the zstd tool for every layer's diffID, and skopeo.
 */

const OUT = 'test-results/convert-zstd-chunked';
const CLI = './bin/layerlab';
const SAMPLE = 'public/sample/sample.tar';
const ZSTD = 'application/vnd.oci.image.layer.v1.tar+zstd';
const ZC = 'io.github.containers.zstd-chunked.';
const TOC_KEY = 'containerd.io/snapshot/stargz/toc.digest';
const CHECKSUM_KEY = 'io.containers.zstd-chunked.manifest-checksum';
const POSITION_KEY = 'io.containers.zstd-chunked.manifest-position';
const SIZE_KEY = 'io.containers.estargz.uncompressed-size';

interface Descriptor { mediaType: string; digest: string; size: number; annotations?: Record<string, string> }
interface Extracted { dir: string; manifest: { config: Descriptor; layers: Descriptor[] }; diffIds: string[]; blob(d: Descriptor): string }

const sha256 = (b: Uint8Array) => 'sha256:' + createHash('sha256').update(b).digest('hex');

/** An OCI archive unpacked with GNU tar (not our reader): index.json → manifest → config. */
function extract(archive: string, dir: string): Extracted {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  execFileSync('tar', ['-xf', archive, '-C', dir]);
  const blob = (d: Descriptor) => join(dir, 'blobs/sha256', d.digest.replace(/^sha256:/, ''));
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'));
  expect(index.manifests).toHaveLength(1);
  const manifest = JSON.parse(readFileSync(blob(index.manifests[0]), 'utf8'));
  const config = JSON.parse(readFileSync(blob(manifest.config), 'utf8'));
  return { dir, manifest, diffIds: config.rootfs.diff_ids, blob };
}

/** The native zstd tool's decompression (skippable frames passed over). */
function unzstd(bytes: Uint8Array): Buffer {
  const r = spawnSync('zstd', ['-dcq'], { input: bytes, maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`zstd -dc failed: ${r.stderr}`);
  return r.stdout;
}

/** The sample's own diffIDs, as the CLI reports them and as its config (read with tar) lists them. */
function sampleDiffIds(): string[] {
  const json = JSON.parse(execFileSync(CLI, ['inspect', SAMPLE, '--json', '--quiet'], { encoding: 'utf8', maxBuffer: 64 << 20 }));
  const ids = json.layers.map((l: { diffID: string }) => l.diffID);
  expect(extract(SAMPLE, join(OUT, 'sample')).diffIds).toEqual(ids);
  return ids;
}

const tree = (p: string) => execFileSync(CLI, ['ls', p, '--tsv', '--quiet'], { encoding: 'utf8', maxBuffer: 64 << 20 });


/** Opens the sample from its link (#source=sample) and the Convert dialog. */
async function openConvert(page: Page): Promise<Locator> {
  await page.goto('/#source=sample');
  await waitForImage(page);
  await page.getByRole('banner').getByRole('button', { name: 'Convert…' }).click();
  const dialog = page.getByRole('dialog', { name: /^Convert / });
  await expect(dialog).toBeVisible();
  return dialog;
}

declare global {
  interface Window {
    /** What the progress part of the Convert dialog showed while a conversion ran. */
    __progressSeen?: { rowsTable: number; running: boolean; bar: boolean; rate: string[]; eta: string[] };
  }
}

/**
 * Records what the dialog's progress part shows, on every DOM change: a conversion of the
 * sample can be over before a locator would look. A MutationObserver sees each rendered state.
 */
async function watchProgress(page: Page): Promise<void> {
  await page.evaluate(() => {
    const seen = { rowsTable: 0, running: false, bar: false, rate: [] as string[], eta: [] as string[] };
    window.__progressSeen = seen;
    const look = () => {
      const dialog = document.querySelector('dialog.convert');
      const table = dialog?.querySelector('table[aria-label="Layers"]');
      if (table) seen.rowsTable = Math.max(seen.rowsTable, table.querySelectorAll('tbody tr').length);
      if (dialog?.querySelector('section.run [role="progressbar"]')) seen.bar = true;
      const heads = [...(table?.querySelectorAll('thead th') ?? [])].map((th) => th.textContent?.trim());
      for (const tr of table?.querySelectorAll('tbody tr[data-state="running"]') ?? []) {
        seen.running = true;
        const cells = tr.querySelectorAll('td');
        const rate = cells[heads.indexOf('MB/s')]?.textContent?.trim() ?? '';
        const eta = cells[heads.indexOf('ETA')]?.textContent?.trim() ?? '';
        if (/\d MB\/s$/.test(rate) && !seen.rate.includes(rate)) seen.rate.push(rate);
        if (eta && !seen.eta.includes(eta)) seen.eta.push(eta);
      }
      const overallEta = dialog?.querySelector('.overall [title="Estimated time left"]')?.textContent?.trim();
      if (overallEta && !seen.eta.includes(overallEta)) seen.eta.push(overallEta);
    };
    new MutationObserver(look).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
  });
}

/**
 * The Convert dialog fits its window: nothing in its body reaches past the body's right edge
 * except inside a box of its own that scrolls (a wide table), the target cards do not overlap,
 * and the chosen card is in view without scrolling sideways.
 */
async function expectDialogFits(dialog: Locator) {
  const out = await dialog.locator('.body').evaluate((body) => {
    const right = body.getBoundingClientRect().right;
    const problems: string[] = [];
    const scrolls = (el: Element) => {
      for (let q = el.parentElement; q && q !== body; q = q.parentElement) {
        if (/(auto|scroll|hidden)/.test(getComputedStyle(q).overflowX) && q.getBoundingClientRect().right <= right + 0.5) return true;
      }
      return false;
    };
    if (body.scrollWidth > body.clientWidth + 1) problems.push(`the body scrolls sideways (${body.scrollWidth} > ${body.clientWidth})`);
    for (const el of body.querySelectorAll('*')) {
      const r = el.getBoundingClientRect();
      if (r.width && r.right > right + 0.5 && !scrolls(el)) problems.push(`${el.tagName.toLowerCase()}.${el.className} "${(el.textContent ?? '').trim().slice(0, 30)}" ends at ${Math.round(r.right)} > ${Math.round(right)}`);
    }
    const cards = [...body.querySelectorAll('label.target')].map((c) => ({ name: c.querySelector('strong')?.textContent, r: c.getBoundingClientRect(), text: c.querySelector('strong')!.getBoundingClientRect() }));
    for (const a of cards) {
      if (a.text.right > a.r.right + 0.5) problems.push(`card ${a.name}: its name sticks out of the card`);
      for (const b of cards) {
        if (a !== b && a.r.left < b.r.right - 0.5 && b.r.left < a.r.right - 0.5 && a.r.top < b.r.bottom - 0.5 && b.r.top < a.r.bottom - 0.5) problems.push(`cards ${a.name} and ${b.name} overlap`);
      }
    }
    const on = body.querySelector('label.target.on')?.getBoundingClientRect();
    if (!on || on.left < body.getBoundingClientRect().left || on.right > right + 0.5) problems.push('the chosen card is not in view');
    return [...new Set(problems)].slice(0, 20);
  });
  expect(out).toEqual([]);
}

/** Runs the dialog's conversion and saves the OCI archive it offers; checks the result table. */
async function convertAndDownload(page: Page, dialog: Locator, button: string, fileName: string, target: string): Promise<{ saved: string; notes: string[] }> {
  await watchProgress(page);
  await dialog.getByRole('button', { name: button }).click();
  const link = dialog.getByTestId('convert-download');
  await expect(link).toBeVisible({ timeout: 90_000 });
  await expect(link).toHaveText(`Download ${fileName}`);
  await expect(dialog.locator('.success')).toContainText(`Converted to ${target} — OCI archive`);
  // The progress part was there while it ran: the three layers' rows, one running, the bar.
  const seen = (await page.evaluate(() => window.__progressSeen))!;
  console.log(`${target}: progress seen: ${JSON.stringify(seen)}`);
  expect(seen.rowsTable).toBe(3);
  expect(seen.running).toBe(true);
  expect(seen.bar).toBe(true);
  // Every layer converted.
  const summary = dialog.getByRole('table', { name: 'Layers converted' });
  const rows = summary.locator('tbody tr');
  await expect(rows).toHaveCount(3);
  for (let i = 0; i < 3; i++) await expect(rows.nth(i).locator('.badge')).toHaveText('converted');
  const notes = await rows.locator('td:last-child').allTextContents();
  const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
  expect(download.suggestedFilename()).toBe(fileName);
  const saved = join(OUT, fileName);
  rmSync(saved, { force: true });
  await download.saveAs(saved);
  return { saved, notes };
}

/** skopeo copies the archive to an OCI layout (checking every blob digest); its layers give `diffIds`. */
function expectSkopeoCopies(saved: string, name: string, diffIds: string[]) {
  const copy = join(OUT, `${name}-skopeo`);
  rmSync(copy, { recursive: true, force: true });
  const r = spawnSync('skopeo', ['copy', '-q', `oci-archive:${saved}`, `oci:${copy}`], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  const index = JSON.parse(readFileSync(join(copy, 'index.json'), 'utf8'));
  const manifest = JSON.parse(readFileSync(join(copy, 'blobs/sha256', index.manifests[0].digest.slice(7)), 'utf8'));
  expect(manifest.layers.map((l: Descriptor) => sha256(unzstd(readFileSync(join(copy, 'blobs/sha256', l.digest.slice(7))))))).toEqual(diffIds);
}

test.beforeAll(() => mkdirSync(OUT, { recursive: true }));

test('sample → zstd:chunked at level 3: every layer passes containers/storage\'s checks, the diffIDs are the sample\'s, skopeo copies it', async ({ page }) => {
  test.setTimeout(180_000);
  const original = sampleDiffIds();
  const dialog = await openConvert(page);

  // The card and its option come from the format registry.
  const card = dialog.getByRole('radio', { name: /^zstd:chunked/ });
  await card.check();
  await expect(card).toBeChecked();
  await expect(dialog.getByRole('group', { name: 'zstd:chunked options' })).toBeVisible();
  const level = dialog.getByRole('spinbutton', { name: 'Level' });
  await expect(level).toHaveValue('10'); // containers/storage's default
  await level.fill('3');
  await expect(level).toHaveValue('3');
  await expect(dialog.getByRole('radio', { name: /^OCI archive/ })).toBeChecked();
  const estimate = dialog.getByRole('region', { name: /Estimated output/ });
  await expect(estimate.locator('tbody tr')).toHaveCount(3);
  await expect(estimate).toContainText('zstd at level 3');
  await expect(dialog.getByRole('button', { name: 'Convert to zstd:chunked' })).toBeEnabled();
  await shot(page, 'convert-setup-zstd-chunked');
  await expectDialogFits(dialog);
  await page.setViewportSize({ width: 390, height: 844 });
  await expect(card).toBeChecked();
  await shot(page, 'convert-setup-zstd-chunked-390');
  await expectDialogFits(dialog);
  await dialog.getByRole('group', { name: 'zstd:chunked options' }).scrollIntoViewIfNeeded();
  await shot(page, 'convert-setup-zstd-chunked-390-options');
  await page.setViewportSize({ width: 1440, height: 900 });

  const { saved, notes } = await convertAndDownload(page, dialog, 'Convert to zstd:chunked', 'sample-zstd-chunked.tar', 'zstd:chunked');
  for (const n of notes) expect(n).toMatch(/zstd:chunked, \d+ manifest entries, \d+ chunks, manifest sha256:/);
  await shot(page, 'convert-done-zstd-chunked');

  // The CLI: digests and diffIDs check out; its report reads every layer as zstd:chunked v2.
  const verify = spawnSync(CLI, ['verify', saved], { encoding: 'utf8' });
  expect(verify.status, verify.stdout + verify.stderr).toBe(0);
  const report = JSON.parse(execFileSync(CLI, ['inspect', saved, '--report', '--quiet'], { encoding: 'utf8', maxBuffer: 64 << 20 }));
  expect(report.layers).toHaveLength(3);
  for (const l of report.layers) {
    expect(l.lazyFormat).toBe('zstd-chunked');
    expect(l.zstdChunked.variant).toBe('v2-64');
    expect(l.zstdChunked.manifestDigestCheck).toBe('ok');
  }

  // Each layer blob, out of the archive with tar: containers/storage's reference accepts it with
  // its descriptor's annotations, and `zstd -d` gives the sample's tar (its diffID).
  const x = extract(saved, join(OUT, 'zstd-chunked-x'));
  expect(x.diffIds).toEqual(original);
  expect(x.manifest.layers).toHaveLength(3);
  x.manifest.layers.forEach((d, i) => {
    expect(d.mediaType).toBe(ZSTD);
    expect(Object.keys(d.annotations ?? {}).sort()).toEqual([`${ZC}manifest-checksum`, `${ZC}manifest-position`, `${ZC}tarsplit-position`]);
    const path = x.blob(d);
    const blob = readFileSync(path);
    expect(sha256(blob)).toBe(d.digest);
    expect(blob.length).toBe(d.size);
    const ann = join(x.dir, `layer-${i}-annotations.json`);
    writeFileSync(ann, JSON.stringify(d.annotations));
    const v = runZstdchunkedRef(['verify', '-in', path, '-annotations', ann]);
    if (v.status !== 0) {
      // Only names that are not UTF-8 may disagree (a JSON manifest cannot hold them; the
      // conversion's note names them): test/convert/zstd-chunked.test.ts expectReferenceAccepts.
      const lossy = Number(/; (\d+) name\(s\) not UTF-8/.exec(notes[i])?.[1] ?? 0);
      expect(lossy, `layer ${i}: ${v.stdout}\n${v.stderr}`).toBeGreaterThan(0);
      const errors = (JSON.parse(v.stdout.toString()) as { errors: string[] }).errors;
      for (const e of errors) expect(e).toMatch(/"[^"]*\\x[0-9a-f]{2}[^"]*"/);
      expect(errors.length).toBeLessThanOrEqual(2 * lossy);
    }
    expect(sha256(unzstd(blob)), `layer ${i}: zstd -dc | sha256sum`).toBe(x.diffIds[i]);
  });

  expectSkopeoCopies(saved, 'zstd-chunked', original);
  expect(tree(saved)).toBe(tree(SAMPLE));
  // One engine: the CLI's conversion with the same settings is the same archive, byte for byte.
  const cli = join(OUT, 'sample-zstd-chunked-cli.tar');
  rmSync(cli, { force: true });
  execFileSync(CLI, ['convert', SAMPLE, '--to', 'zstd-chunked', '--level', '3', '-o', cli, '--quiet'], { stdio: 'pipe' });
  expect(sha256(readFileSync(saved))).toBe(sha256(readFileSync(cli)));
});

test('sample → eStargz with zstd members: tar+zstd layers whose annotations are true, stargz-snapshotter verifies each, skopeo copies it', async ({ page }) => {
  test.setTimeout(180_000);
  const original = sampleDiffIds();
  const dialog = await openConvert(page);
  await dialog.getByRole('radio', { name: /^eStargz/ }).check();
  const compression = dialog.getByRole('combobox', { name: 'Compression' });
  await expect(compression).toHaveValue('gzip');
  const level = dialog.getByRole('spinbutton', { name: 'Level' });
  await expect(level).toHaveValue('9'); // the eStargz library's gzip default
  await compression.selectOption('zstd');
  await expect(compression).toHaveValue('zstd');
  await expect(level).toHaveValue('3'); // follows the compression: ctr-remote's zstd default
  await expect(dialog.getByRole('region', { name: /Estimated output/ })).toContainText('zstd at level 3');
  await shot(page, 'convert-setup-estargz-zstd');

  const { saved, notes } = await convertAndDownload(page, dialog, 'Convert to eStargz', 'sample-estargz.tar', 'eStargz');
  console.log(`eStargz (zstd) notes: ${JSON.stringify(notes)}`);
  await shot(page, 'convert-done-estargz-zstd');

  const verify = spawnSync(CLI, ['verify', saved], { encoding: 'utf8' });
  expect(verify.status, verify.stdout + verify.stderr).toBe(0);
  const report = JSON.parse(execFileSync(CLI, ['inspect', saved, '--report', '--quiet'], { encoding: 'utf8', maxBuffer: 64 << 20 }));
  expect(report.layers).toHaveLength(3);
  for (const l of report.layers) expect(l.estargz?.tocDigestCheck).toBe('ok');

  const x = extract(saved, join(OUT, 'estargz-zstd-x'));
  expect(x.manifest.layers).toHaveLength(3);
  x.manifest.layers.forEach((d, i) => {
    expect(d.mediaType).toBe(ZSTD);
    const a = d.annotations ?? {};
    expect(a[TOC_KEY]).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(a[CHECKSUM_KEY]).toMatch(/^sha256:[0-9a-f]{64}$/);
    const blob = readFileSync(x.blob(d));
    expect(sha256(blob)).toBe(d.digest);
    // True to the bytes (read with the zstd tool, not our reader): the 40-byte footer in its
    // skippable frame gives the TOC frame; its digest, checksum, position and the stream's size.
    const f = blob.subarray(blob.length - 40);
    expect([...blob.subarray(blob.length - 48, blob.length - 44)]).toEqual([0x50, 0x2a, 0x4d, 0x18]);
    expect(f.subarray(32).toString('latin1')).toBe('GnUlInUx');
    const [offset, length, uncompressed] = [0, 8, 16].map((at) => Number(f.readBigUInt64LE(at)));
    const compressedToc = blob.subarray(offset, offset + length);
    const toc = unzstd(compressedToc);
    expect(toc.length).toBe(uncompressed);
    expect(a[TOC_KEY]).toBe(sha256(toc));
    expect(a[CHECKSUM_KEY]).toBe(sha256(compressedToc));
    expect(a[POSITION_KEY]).toBe(`${offset}:${length}:${uncompressed}:1`);
    const stream = unzstd(blob);
    expect(a[SIZE_KEY]).toBe(String(stream.length));
    expect(sha256(stream), `layer ${i}: zstd -dc | sha256sum`).toBe(x.diffIds[i]);
    // stargz-snapshotter's own verifier, with the TOC digest of the descriptor.
    const v = runRef(['verify', x.blob(d), a[TOC_KEY]]);
    expect(v.status, `layer ${i}: ${v.stdout}\n${v.stderr}`).toBe(0);
    expect(refFields(v.stdout).diff_id).toBe(x.diffIds[i]);
  });
  // Build mode rewrites each tar (TOC, landmark), so the diffIDs are new ones; the files are the sample's.
  expect(x.diffIds).not.toEqual(original);
  expectSkopeoCopies(saved, 'estargz-zstd', x.diffIds);
  const own = /^(stargz\.index\.json|\.prefetch\.landmark|\.no\.prefetch\.landmark)\t/;
  expect(tree(saved).split('\n').filter((l) => !own.test(l)).join('\n')).toBe(tree(SAMPLE));
});

test('cancelling a zstd:chunked conversion at level 19 reports it and returns to the settings', async ({ page }) => {
  test.setTimeout(120_000);
  const logs: string[] = [];
  page.on('console', (m) => logs.push(m.text()));
  const dialog = await openConvert(page);
  await dialog.getByRole('radio', { name: /^zstd:chunked/ }).check();
  const level = dialog.getByRole('spinbutton', { name: 'Level' });
  await level.fill('19'); // slow on purpose
  await dialog.getByRole('button', { name: 'Convert to zstd:chunked' }).click();

  const table = dialog.getByRole('table', { name: 'Layers', exact: true });
  const rows = table.locator('tbody tr');
  await expect(rows).toHaveCount(3);
  const first = rows.first();
  await expect(first).toHaveAttribute('data-state', 'running', { timeout: 30_000 });
  // Bytes flowing, with a rate and an ETA (columns # State Progress Read MB/s ETA Estimated).
  await expect(table.locator('thead th')).toHaveText(['#', 'State', 'Progress', 'Read', 'MB/s', 'ETA', 'Estimated']);
  await expect(first.getByRole('progressbar')).toHaveAttribute('aria-valuenow', /^[1-9]\d*$/, { timeout: 30_000 });
  await expect(first.locator('td').nth(4)).toHaveText(/\d MB\/s$/);
  await expect(first.locator('td').nth(5)).toHaveText(/^(< 1 s|\d+ s|\d+ min \d\d s)$/);
  await expect(first).toHaveAttribute('data-state', 'running');
  await shot(page, 'convert-zstd-chunked-running');

  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog.getByRole('status').filter({ hasText: 'Conversion cancelled. Nothing was kept.' })).toBeVisible({ timeout: 15_000 });
  await expect(dialog.getByTestId('convert-download')).toHaveCount(0);
  await shot(page, 'convert-zstd-chunked-cancelled');
  console.log(logs.some((l) => l.includes('restarting the engine worker')) ? 'the cancel restarted the worker' : 'the conversion stopped by itself');
  await expect.poll(() => opfsFiles(page, 'exports'), { timeout: 10_000 }).toEqual([]);
  await expect.poll(async () => (await opfsFiles(page, 'spool')).filter((f) => f.includes('convert-')), { timeout: 10_000 }).toEqual([]);

  // Back to the settings: the same target and level, ready to run again.
  await dialog.getByRole('button', { name: 'Back to settings' }).click();
  await expect(dialog.getByRole('radio', { name: /^zstd:chunked/ })).toBeChecked();
  await expect(dialog.getByRole('spinbutton', { name: 'Level' })).toHaveValue('19');
  await expect(dialog.getByRole('button', { name: 'Convert to zstd:chunked' })).toBeEnabled();
});
