import { expect, test } from '@playwright/test';
import { openFile, shot, view, waitForImage } from './helpers/app.ts';
import { corruptArchive } from './helpers/inputs.ts';

test('a corrupt layer is reported on its own row; the other layers still show', async ({ page }) => {
  await openFile(page, corruptArchive());
  await waitForImage(page);

  await view(page, 'Layers').click();
  const rows = page.locator('tr.layer');
  await expect(rows).toHaveCount(3);
  const bad = page.locator('tr.error-row[data-layer-error="1"]');
  await expect(bad).toBeVisible();
  await expect(bad).toContainText('Layer 1 could not be read completely');
  await expect(page.locator('tr.error-row')).toHaveCount(1);
  await expect(rows.nth(1)).toHaveClass(/failed/);
  for (const i of [0, 2]) {
    await expect(rows.nth(i)).not.toHaveClass(/failed/);
    await expect(rows.nth(i).getByLabel('diffID verified')).toBeVisible();
  }
  await shot(page, 'corrupt-layers');

  // The overview lists the problem and links to it; the files of the good layers are there.
  await view(page, 'Overview').click();
  await expect(page.getByRole('heading', { name: /problem/ })).toContainText('1 layer unreadable');
  await view(page, 'Files').click();
  await expect(page.locator('[role="treeitem"][data-path="app/data.bin"]')).toBeVisible();
  await page.getByRole('combobox', { name: 'Which tree to show' }).selectOption({ index: 2 });
  await expect(page.getByRole('alert').filter({ hasText: 'Layer 1 could not be read completely' })).toBeVisible();
  await shot(page, 'corrupt-layer-files');
});
