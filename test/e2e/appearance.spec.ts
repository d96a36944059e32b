import { expect, test } from '@playwright/test';
import { openSample, shot, treeRow, view } from './helpers/app.ts';

test.use({ colorScheme: 'dark' });

test('dark colour scheme follows the system setting', async ({ page }) => {
  await openSample(page);
  const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  expect(bg).toBe('rgb(27, 29, 33)');
  await shot(page, 'dark-overview');
  await view(page, 'Files').click();
  await treeRow(page, 'app/README.md').click();
  await expect(page.getByRole('article').locator('pre.text')).toContainText('three layers');
  await shot(page, 'dark-files');
  await view(page, 'Layers').click();
  await shot(page, 'dark-layers');
});

test('a narrow window stacks the tree above the file view', async ({ page }) => {
  await page.setViewportSize({ width: 760, height: 900 });
  await openSample(page);
  await view(page, 'Files').click();
  await treeRow(page, 'etc/os-release').click();
  const tree = await page.getByRole('tree').boundingBox();
  const file = await page.getByRole('article').boundingBox();
  expect(file!.y).toBeGreaterThan(tree!.y + tree!.height - 1);
  await shot(page, 'narrow-files');
});

test('a phone (390 × 844): the top bar wraps, every view tab and both buttons are on screen, nothing scrolls sideways', async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await openSample(page);
  for (const name of ['Overview', 'Layers', 'Files', 'Wasted space', 'Cache'] as const) {
    const box = await view(page, name).boundingBox();
    expect(box, name).not.toBeNull();
    expect(box!.width, name).toBeGreaterThan(20);
    expect(box!.x + box!.width, name).toBeLessThanOrEqual(390);
  }
  for (const name of [/^Convert/, /^Open/]) {
    const box = await page.locator('header.top').getByRole('button', { name }).boundingBox();
    expect(box!.x + box!.width).toBeLessThanOrEqual(390);
  }
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await view(page, 'Layers').click();
  await shot(page, 'phone-layers');
});
