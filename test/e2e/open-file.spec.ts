import { expect, test } from '@playwright/test';
import { openFile, shot, view, waitForImage } from './helpers/app.ts';
import { readFileSync } from 'node:fs';
import { dockerArchive, gzippedSample, smallArchive } from './helpers/inputs.ts';

test('opens a docker-archive through the file input', async ({ page }) => {
  const { path, fromCorpus } = dockerArchive();
  await openFile(page, path);
  await waitForImage(page, 90_000);
  await expect(page.locator('header.top')).toContainText('docker archive');
  await expect(page.locator('header.top')).toContainText('image.tar');
  // A dropped file has no URL to come back to: the hash names its cache entry instead.
  await expect(page).toHaveURL(/#source=cache&key=config:sha256:[0-9a-f]{64}/);
  await shot(page, 'docker-archive-overview');

  await view(page, 'Layers').click();
  const rows = page.locator('tr.layer');
  await expect(rows.first()).toBeVisible();
  // docker save stores no layer digests to check, but the config lists diffIDs: those are verified.
  const n = await rows.count();
  for (let i = 0; i < n; i++) await expect(rows.nth(i).getByLabel('diffID verified')).toBeVisible();
  await expect(page.locator('tr.error-row')).toHaveCount(0);
  if (fromCorpus) {
    await expect(rows).toHaveCount(1);
    await expect(rows.first()).toContainText('none'); // uncompressed layers in a docker-archive
  }
  await shot(page, 'docker-archive-layers');
});

test('opens a file dropped anywhere on the page', async ({ page }) => {
  const bytes = readFileSync(smallArchive()).toString('base64');
  await page.goto('/');
  // A synthetic drop: DataTransfer with a File (real drags also offer folder handles).
  await page.evaluate((b64) => {
    const bin = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const dt = new DataTransfer();
    dt.items.add(new File([bin], 'dropped.tar', { type: 'application/x-tar' }));
    for (const type of ['dragenter', 'dragover', 'drop']) {
      window.dispatchEvent(new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true }));
    }
  }, bytes);
  await waitForImage(page);
  await expect(page.locator('header.top')).toContainText('dropped.tar');
});

test('a gzip-compressed OCI archive is spooled to the private file system and its files read back', async ({ page }) => {
  await openFile(page, gzippedSample());
  await waitForImage(page);
  await expect(page.locator('header.top')).toContainText('OCI archive');
  await view(page, 'Files').click();
  await page.locator('[role="treeitem"][data-path="app/README.md"]').click();
  await expect(page.getByRole('article').locator('pre.text')).toContainText('It has three layers.');
  // The spooled members (verified as they were written) are listed as temporary storage.
  await view(page, 'Cache').click();
  await expect(page.locator('.figures')).toContainText('temporary (open archives)');
});
