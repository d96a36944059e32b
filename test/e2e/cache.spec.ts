import { expect, test } from '@playwright/test';
import { openFile, openSample, shot, view, waitForImage } from './helpers/app.ts';
import { smallArchive } from './helpers/inputs.ts';

test('the cache page lists analyses with sizes, reopens them at once, removes one or all', async ({ page }) => {
  await openSample(page);
  await expect(page.locator('header.top')).not.toContainText('cached'); // first time: analysed
  await view(page, 'Cache').click();
  const rows = page.locator('tbody tr[data-key]');
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText('sample.tar');
  await expect(rows.first()).toContainText('linux/amd64');
  await expect(rows.first()).toContainText(/≈ \d/); // stored size of the analysis
  await expect(rows.first()).toContainText('1.72 MB'); // a verified copy of the sample was kept

  // Opening it again is a cache hit: no analysis, the "cached" badge.
  await page.goto('/');
  await page.getByRole('button', { name: 'Open sample' }).click();
  await waitForImage(page);
  await expect(page.locator('header.top')).toContainText('cached');

  // A second image, opened from a file.
  await openFile(page, smallArchive());
  await waitForImage(page);
  await view(page, 'Cache').click();
  await expect(rows).toHaveCount(2);
  await shot(page, 'cache-page');

  await rows.filter({ hasText: 'small-docker-archive.tar' }).getByRole('button', { name: /^Remove/ }).click();
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText('sample.tar');

  page.once('dialog', (d) => void d.accept());
  await page.getByRole('button', { name: 'Clear all' }).click();
  await expect(rows).toHaveCount(0);
  await expect(page.getByText('Nothing is cached yet.')).toBeVisible();
  await shot(page, 'cache-cleared');
});
