import { expect, test, type Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { openFile, openSample, shot, view, waitForImage } from './helpers/app.ts';
import { opfsFiles } from './helpers/opfs.ts';
import { bigImage } from './helpers/inputs.ts';

const OUT = 'test-results/convert';
const CLI = './bin/layerlab';


function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

test('converts the sample to zstd as an OCI archive that skopeo and layerlab verify, with the same tree', async ({ page }) => {
  test.setTimeout(180_000);
  mkdirSync(OUT, { recursive: true });
  await openSample(page);

  await page.getByRole('banner').getByRole('button', { name: 'Convert…' }).click();
  const dialog = page.getByRole('dialog', { name: /^Convert / });
  await expect(dialog).toBeVisible();
  await dialog.getByRole('radio', { name: /^zstd(?!:)/ }).check();
  await expect(dialog.getByRole('spinbutton', { name: 'Level' })).toHaveValue('3');
  await expect(dialog.getByRole('radio', { name: /^OCI archive/ })).toBeChecked();
  // The estimate: one row per layer and a total, labelled as an estimate.
  const estimate = dialog.getByRole('region', { name: /Estimated output/ });
  await expect(estimate.locator('tbody tr')).toHaveCount(3);
  await expect(estimate.locator('tfoot')).toContainText('≈');
  await shot(page, 'convert-setup-zstd');

  // Every target has its options (eStargz and Nydus are designed for, even before their writers land).
  await dialog.getByRole('radio', { name: /^eStargz/ }).check();
  await expect(dialog.getByRole('spinbutton', { name: 'Level' })).toHaveValue('9');
  await expect(dialog.getByRole('radiogroup', { name: 'eStargz mode' })).toBeVisible();
  await dialog.getByRole('combobox', { name: 'Prioritized files' }).fill('bin/busybox');
  await dialog.getByRole('button', { name: 'Add', exact: true }).click();
  await expect(dialog.getByRole('list', { name: 'Prioritized files' })).toContainText('bin/busybox');
  await shot(page, 'convert-setup-estargz');
  await dialog.getByRole('radio', { name: /^Nydus/ }).check();
  await expect(dialog.getByRole('combobox', { name: 'Digester' })).toBeVisible();
  await shot(page, 'convert-setup-nydus');
  await dialog.getByRole('radio', { name: /^zstd(?!:)/ }).check();

  await dialog.getByRole('button', { name: 'Convert to zstd' }).click();
  const link = dialog.getByTestId('convert-download');
  await expect(link).toBeVisible({ timeout: 60_000 });
  await expect(link).toHaveText('Download sample-zstd.tar');
  const summary = dialog.getByRole('table', { name: 'Layers converted' });
  await expect(summary.locator('tbody tr')).toHaveCount(3);
  await expect(summary).toContainText('converted');
  await shot(page, 'convert-done-zstd');

  const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
  expect(download.suggestedFilename()).toBe('sample-zstd.tar');
  const saved = join(OUT, 'sample-zstd.tar');
  rmSync(saved, { force: true });
  await download.saveAs(saved);

  // A valid OCI archive: every digest and diffID checks out, skopeo reads it, its layers are zstd.
  execFileSync(CLI, ['verify', saved], { stdio: 'pipe' });
  const inspect = JSON.parse(execFileSync('skopeo', ['inspect', `oci-archive:${saved}`], { encoding: 'utf8' }));
  expect(inspect.Layers).toHaveLength(3);
  const raw = JSON.parse(execFileSync('skopeo', ['inspect', '--raw', `oci-archive:${saved}`], { encoding: 'utf8' }));
  for (const l of raw.layers) expect(l.mediaType).toBe('application/vnd.oci.image.layer.v1.tar+zstd');
  // The same files as the sample.
  const tree = (p: string) => execFileSync(CLI, ['ls', p, '--tsv'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  expect(tree(saved)).toBe(tree('public/sample/sample.tar'));
  // And the same bytes as the CLI's conversion: one engine.
  const cli = join(OUT, 'sample-zstd-cli.tar');
  rmSync(cli, { force: true });
  execFileSync(CLI, ['convert', 'public/sample/sample.tar', '--to', 'zstd', '-o', cli], { stdio: 'pipe' });
  expect(sha256(saved)).toBe(sha256(cli));

  // The archive is kept in OPFS exports/ (the Cache page lists it), and nothing else is left.
  expect(await opfsFiles(page, 'exports')).toEqual([`sample-zstd.tar ${readFileSync(saved).length}`]);
  expect((await opfsFiles(page, 'spool')).filter((f) => f.includes('convert-'))).toEqual([]);

  // Escape closes the dialog once the conversion is over.
  await page.keyboard.press('Escape');
  await expect(dialog).toHaveCount(0);

  // The Cache page accounts for it, and can remove it.
  await view(page, 'Cache').click();
  const exportsTable = page.getByRole('table', { name: 'Converted archives' });
  await expect(exportsTable).toContainText('sample-zstd.tar');
  await shot(page, 'convert-cache-exports');
  await exportsTable.getByRole('button', { name: 'Remove sample-zstd.tar' }).click();
  await expect(exportsTable).toHaveCount(0);
  expect(await opfsFiles(page, 'exports')).toEqual([]);
});

test('cancelling a conversion leaves nothing in OPFS exports or the spool', async ({ page }) => {
  test.setTimeout(240_000);
  const big = bigImage(); // made once into .cache/e2e
  const logs: string[] = [];
  page.on('console', (m) => logs.push(m.text()));
  await openFile(page, big);
  await waitForImage(page, 120_000);
  await page.getByRole('banner').getByRole('button', { name: 'Convert…' }).click();
  const dialog = page.getByRole('dialog', { name: /^Convert / });
  await dialog.getByRole('radio', { name: /^zstd(?!:)/ }).check();
  await dialog.getByRole('spinbutton', { name: 'Level' }).fill('19'); // slow on purpose
  await dialog.getByRole('button', { name: 'Convert to zstd' }).click();

  const rows = dialog.getByRole('table', { name: 'Layers' }).locator('tbody tr');
  await expect(rows).toHaveCount(2);
  const first = rows.first();
  await expect(first).toHaveAttribute('data-state', 'running', { timeout: 30_000 });
  // Bytes flowing, with a rate and an ETA.
  await expect(first.getByRole('progressbar')).toHaveAttribute('aria-valuenow', /^[1-9]\d*$/, { timeout: 30_000 });
  await expect(first).toContainText('MB/s', { timeout: 20_000 });
  await expect(dialog).toContainText('ETA');
  await shot(page, 'convert-running');

  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog.getByRole('status').filter({ hasText: 'Conversion cancelled. Nothing was kept.' })).toBeVisible({ timeout: 15_000 });
  await shot(page, 'convert-cancelled');
  console.log(logs.some((l) => l.includes('restarting the engine worker')) ? 'the cancel restarted the worker' : 'the conversion stopped by itself');
  // Nothing half-written: no archive in exports/, no spool of the conversion.
  await expect.poll(() => opfsFiles(page, 'exports'), { timeout: 10_000 }).toEqual([]);
  await expect.poll(async () => (await opfsFiles(page, 'spool')).filter((f) => f.includes('convert-')), { timeout: 10_000 }).toEqual([]);

  // The dialog is usable again.
  await dialog.getByRole('button', { name: 'Back to settings' }).click();
  await expect(dialog.getByRole('button', { name: 'Convert to zstd' })).toBeVisible();
});

test('converts the sample to eStargz; layerlab verifies the archive and every layer is eStargz', async ({ page }) => {
  mkdirSync(OUT, { recursive: true });
  await openSample(page);
  await page.getByRole('banner').getByRole('button', { name: 'Convert…' }).click();
  const dialog = page.getByRole('dialog', { name: /^Convert / });
  await dialog.getByRole('radio', { name: /^eStargz/ }).check();
  await dialog.getByRole('button', { name: 'Convert to eStargz' }).click();
  const link = dialog.getByTestId('convert-download');
  await expect(link).toBeVisible({ timeout: 60_000 });
  await shot(page, 'convert-done-estargz');
  const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
  expect(download.suggestedFilename()).toBe('sample-estargz.tar');
  const saved = join(OUT, 'sample-estargz.tar');
  rmSync(saved, { force: true });
  await download.saveAs(saved);
  execFileSync(CLI, ['verify', saved], { stdio: 'pipe' });
  const report = JSON.parse(execFileSync(CLI, ['inspect', saved, '--report'], { encoding: 'utf8', maxBuffer: 64 << 20 }));
  for (const l of report.layers) expect(l.estargz?.tocDigestCheck).toBe('ok');
  const tree = (p: string) => execFileSync(CLI, ['ls', p, '--tsv'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  // The same files, but for eStargz's own entries (the TOC and landmark are members of each layer's tar).
  const own = /^(stargz\.index\.json|\.prefetch\.landmark|\.no\.prefetch\.landmark)\t/;
  expect(tree(saved).split('\n').filter((l) => !own.test(l)).join('\n')).toBe(tree('public/sample/sample.tar'));
});

for (const compressor of ['zstd', 'lz4_block'] as const) {
  test(`converts the sample to Nydus (${compressor}) in the browser (our RAFS v6 wasm in the built worker, chunks on the worker pool); nydus-oracle passes it and it converts back to the same tree`, async ({ page }) => {
    test.setTimeout(180_000);
    mkdirSync(OUT, { recursive: true });
    await openSample(page);
    await page.getByRole('banner').getByRole('button', { name: 'Convert…' }).click();
    const dialog = page.getByRole('dialog', { name: /^Convert / });
    await dialog.getByRole('radio', { name: /^Nydus/ }).check();
    await dialog.getByRole('combobox', { name: 'Compressor' }).selectOption(compressor);
    await dialog.getByRole('button', { name: 'Convert to Nydus' }).click();
    const link = dialog.getByTestId('convert-download');
    await expect(link).toBeVisible({ timeout: 90_000 });
    await shot(page, compressor === 'zstd' ? 'convert-done-nydus' : 'convert-done-nydus-lz4');
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    expect(download.suggestedFilename()).toBe('sample-nydus.tar');
    const saved = join(OUT, `sample-nydus-${compressor}.tar`);
    rmSync(saved, { force: true });
    await download.saveAs(saved);
    // The independent checker: its own RAFS v6 decoder, TOCs, chunk digests, then fsck.erofs --extract.
    const work = join(OUT, `nydus-oracle-${compressor}`);
    rmSync(work, { recursive: true, force: true });
    const oracle = execFileSync('python3', ['../shared/tools/nydus-oracle/nydus-oracle.py', 'image', '--extract', '--digests', 'all', saved, work], { encoding: 'utf8', maxBuffer: 64 << 20 });
    expect(oracle).toMatch(/RESULT: PASS/);
    expect(oracle).toMatch(new RegExp(`comp=${compressor} digest=blake3`));
    // And back to OCI with the CLI: the sample's tree exactly.
    const back = join(OUT, `sample-nydus-${compressor}-back.tar`);
    rmSync(back, { force: true });
    execFileSync(CLI, ['convert', saved, '--to', 'gzip', '-o', back, '--quiet'], { stdio: 'pipe' });
    const tree = (p: string) => execFileSync(CLI, ['ls', p, '--tsv'], { encoding: 'utf8', maxBuffer: 64 << 20 });
    expect(tree(back)).toBe(tree('public/sample/sample.tar'));
  });
}
