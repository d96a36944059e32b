import { expect, test } from '@playwright/test';
import { openFile, openSample, shot, treeRow, view, waitForImage } from './helpers/app.ts';
import { smallArchive } from './helpers/inputs.ts';

test('a reload returns to the same image, view, layer and file', async ({ page }) => {
  await openSample(page);
  await view(page, 'Files').click();
  await page.getByRole('combobox', { name: 'Which tree to show' }).selectOption({ index: 3 }); // layer 2
  await treeRow(page, 'app/README.md').click();
  await expect(page.getByRole('article').locator('pre.text')).toContainText('It has three layers.');
  await expect(page).toHaveURL(/#source=sample&view=files&layer=2&path=app\/README\.md$/);
  const url = page.url();

  const fetched: string[] = [];
  page.on('request', (r) => { if (r.url().includes('/sample/sample.tar')) fetched.push(r.headers().range ?? 'whole'); });
  await page.reload();
  await waitForImage(page);
  await expect(page).toHaveURL(url);
  await expect(page.getByRole('tree', { name: 'Layer 2' })).toBeVisible();
  await expect(treeRow(page, 'app/README.md')).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByRole('article').locator('pre.text')).toContainText('It has three layers.');
  await expect(page.locator('header.top')).toContainText('cached');
  // One small request to see whether the URL changed; the report, the tree and the file's
  // bytes come from the browser cache (the sample's verified copy), not the network.
  expect(fetched).toEqual(['bytes=0-0']);
  await shot(page, 'reload-restored');
});

test('a dropped file comes back from the cache after a reload, contents included', async ({ page }) => {
  await openFile(page, smallArchive());
  await waitForImage(page);
  await view(page, 'Files').click();
  await treeRow(page, 'app/main.py').click();
  await expect(page.getByRole('article').locator('pre.text')).toContainText('print("hello")');
  await expect(page).toHaveURL(/#source=cache&key=config:sha256:[0-9a-f]+&view=files&path=app\/main\.py$/);

  await page.reload();
  await waitForImage(page);
  await expect(treeRow(page, 'app/main.py')).toHaveAttribute('aria-selected', 'true');
  // The file was small enough for a verified local copy, so its contents can still be read.
  await expect(page.getByRole('article').locator('pre.text')).toContainText('print("hello")');
});

test('without a kept copy, a reload shows the analysis and says why contents are unavailable', async ({ page }) => {
  await page.goto('/#view=cache');
  await page.getByRole('combobox').filter({ hasText: 'never' }).selectOption({ label: 'never' });
  await openFile(page, smallArchive());
  await waitForImage(page);
  await view(page, 'Files').click();
  await treeRow(page, 'app/main.py').click();
  await page.reload();
  await waitForImage(page);
  await expect(page.getByRole('article')).toContainText('were not kept');
  await expect(page.getByRole('article')).toContainText('open the file again');
  await shot(page, 'reload-without-copy');
  // Dropping (here: choosing) the same file again makes it readable, from the cache, at once.
  await page.getByRole('button', { name: 'Open…' }).click();
  await page.getByTestId('file-input').setInputFiles(smallArchive());
  await waitForImage(page);
  await expect(page.locator('header.top')).toContainText('cached');
  await view(page, 'Files').click();
  await treeRow(page, 'app/main.py').click();
  await expect(page.getByRole('article').locator('pre.text')).toContainText('print("hello")');
});
