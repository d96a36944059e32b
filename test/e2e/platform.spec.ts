import { expect, test } from '@playwright/test';
import { existsSync } from 'node:fs';
import { shot, waitForImage } from './helpers/app.ts';

const LAYOUT = '.cache/corpus/layered-index/image'; // OCI layout whose index offers arm64 first, amd64 second

test('a picked OCI layout folder with a multi-platform index lets the user switch platform', async ({ page }) => {
  test.skip(!existsSync(LAYOUT), 'the corpus is not built (../shared/tools/corpus/make-corpus.sh)');
  // Engine: with a wanted platform, openOciLayout looks for it in index.json's own list and does
  // not descend into the nested index this corpus image has ("no manifest for linux/arm64/v8 in
  // the index (offered: none)"). Expected to fail until src/core/image/oci-layout.ts handles it;
  // Playwright reports an unexpected pass then, and this line goes.
  test.fail(true, 'engine: a wanted platform is not looked up in a nested index');
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
