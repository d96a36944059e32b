import { expect, test } from '@playwright/test';
import { openSample, shot, treeRow, view } from './helpers/app.ts';

test('walks the merged tree with the keyboard and views text, image and binary files', async ({ page }) => {
  await openSample(page);
  await view(page, 'Files').click();
  const tree = page.getByRole('tree', { name: 'Merged file system' });
  await expect(tree).toBeVisible();

  // Small trees open fully; walk to /app/hello.sh with the keyboard alone.
  await tree.focus();
  await page.keyboard.press('Home');
  await expect(page).toHaveURL(/path=app(&|$)/);
  await page.keyboard.press('ArrowLeft'); // close app/
  await expect(treeRow(page, 'app')).toHaveAttribute('aria-expanded', 'false');
  await page.keyboard.press('ArrowRight'); // open it again
  await page.keyboard.press('ArrowRight'); // first child
  for (let i = 0; i < 10 && !(await page.url()).includes('path=app/hello.sh'); i++) await page.keyboard.press('ArrowDown');
  await expect(page).toHaveURL(/path=app\/hello\.sh/);

  const file = page.getByRole('article');
  await expect(file.getByRole('heading', { name: '/app/hello.sh' })).toBeVisible();
  await expect(file.getByText('-rwxr-xr-x')).toBeVisible();
  await expect(file.getByText('1000:1000').or(file.getByText('0:0'))).toBeVisible();
  await expect(file.locator('pre.text')).toContainText('from layerlab');
  await expect(file.getByText(/From\s+layer 1/)).toBeVisible();
  await shot(page, 'files-text');

  // An image: previewed.
  await treeRow(page, 'app/static').click();
  await treeRow(page, 'app/static/logo.png').click();
  const img = file.getByRole('img', { name: 'Preview of /app/static/logo.png' });
  await expect(img).toBeVisible();
  await expect(file.getByText('64 × 64 px')).toBeVisible();
  await shot(page, 'files-image');

  // Random bytes: a hex dump, 64 kB of 300 kB read, more on request.
  await treeRow(page, 'app/static/data.bin').click();
  await expect(file.getByRole('region', { name: 'Hex dump' })).toBeVisible();
  await expect(file.getByText(/first 65\.5 kB of 300 kB/)).toBeVisible();
  await file.getByRole('button', { name: 'Load more' }).click();
  await expect(file.getByText(/first 65\.5 kB/)).toHaveCount(0);
  await shot(page, 'files-hex');

  // A symlink: its target, and a way to get there.
  await treeRow(page, 'bin').click();
  await page.keyboard.press('ArrowRight');
  await treeRow(page, 'bin/cat').click();
  await expect(file.getByText('Symbolic link')).toBeVisible();
  await file.getByRole('button', { name: 'go to /bin/busybox' }).click();
  await expect(page).toHaveURL(/path=bin\/busybox/);
});

test('filters by name and size, and shows one layer with its whiteout', async ({ page }) => {
  await openSample(page);
  await view(page, 'Files').click();
  const search = page.getByRole('searchbox', { name: 'Filter by name or path' });
  await search.fill('data');
  await expect(treeRow(page, 'app/static/data.bin')).toBeVisible();
  await expect(treeRow(page, 'app/static/data-copy.bin')).toBeVisible();
  await expect(treeRow(page, 'etc')).toHaveCount(0);
  await search.fill('');
  await page.getByRole('combobox', { name: 'Minimum file size' }).selectOption({ label: '≥ 1.00 MB' });
  await expect(treeRow(page, 'bin/busybox')).toBeVisible();
  await expect(page.locator('[role="treeitem"]')).toHaveCount(2); // bin/ and bin/busybox
  await page.getByRole('combobox', { name: 'Minimum file size' }).selectOption({ label: 'any' });

  await page.getByRole('combobox', { name: 'Which tree to show' }).selectOption({ index: 2 }); // layer 1
  const layerTree = page.getByRole('tree', { name: 'Layer 1' });
  await expect(layerTree).toBeVisible();
  const whiteout = treeRow(page, 'var/log/.wh.build.log');
  await expect(whiteout).toBeVisible();
  await whiteout.click();
  await expect(page.getByRole('article').getByText('Removes /var/log/build.log from the layers below.')).toBeVisible();
  await treeRow(page, 'etc/os-release').click();
  await expect(page.getByRole('article').getByText(/changed by this layer/)).toBeVisible();
  await shot(page, 'files-layer-1');
});
