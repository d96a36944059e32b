import { expect, test } from '@playwright/test';
import { existsSync } from 'node:fs';
import { shot, waitForImage } from './helpers/app.ts';

const LAYOUT = '.cache/corpus/layered-index/image'; // OCI layout whose index offers arm64 first, amd64 second

test('a picked OCI layout folder with a multi-platform index lets the user switch platform', async ({ page }) => {
  expect(existsSync(LAYOUT), 'the corpus is not built: test/corpus/ensure-corpus.sh').toBe(true);
  await page.goto('/');
  await page.getByTestId('folder-input').setInputFiles(LAYOUT);
  await waitForImage(page);
  await expect(page.locator('header.top')).toContainText('OCI layout');

  const picker = page.getByRole('combobox', { name: 'Platform' });
  await expect(picker).toHaveValue('linux/amd64'); // the default choice
  const options = await picker.locator('option').allTextContents();
  expect(options.length).toBeGreaterThan(1);
  const arm = options.find((o) => o.includes('arm64'))!;
  await picker.selectOption(arm);
  // Either the image for that platform opens (the hash names it) or an error says why not.
  await Promise.race([page.waitForURL(/platform=/), page.getByText('Could not open').waitFor()]);
  await expect(page.getByText('Could not open')).toHaveCount(0);
  await waitForImage(page);
  await expect(picker).toHaveValue(arm);
  await expect(page).toHaveURL(new RegExp(`platform=${arm}`));
  await expect(page.locator('.facts')).toContainText(arm);
  await shot(page, 'platform-arm64');
});
