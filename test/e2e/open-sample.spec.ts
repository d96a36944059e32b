import { expect, test } from '@playwright/test';
import { openSample, shot, view, waitForImage } from './helpers/app.ts';

test('opens the bundled sample and shows its overview, layers and wasted space', async ({ page }) => {
  await openSample(page);
  await expect(page).toHaveURL(/#source=sample/);
  const overview = page.locator('main');
  await expect(overview.getByText('linux/amd64').first()).toBeVisible();
  await expect(overview.getByText('/bin/sh', { exact: true })).toBeVisible(); // entrypoint
  await expect(overview.getByText('GREETING')).toBeVisible();
  await expect(overview.getByText('8080/tcp')).toBeVisible();
  await expect(overview.getByText('COPY app/ /app/')).toBeVisible(); // history, mapped to a layer
  await shot(page, 'sample-overview');

  await view(page, 'Layers').click();
  const rows = page.locator('tr.layer');
  await expect(rows).toHaveCount(3);
  // OCI layers: the manifest claims digests, so both checks run and pass.
  await expect(rows.first().getByLabel('digest verified')).toBeVisible();
  await expect(rows.first().getByLabel('diffID verified')).toBeVisible();
  await shot(page, 'sample-layers');

  await view(page, 'Wasted space').click();
  await expect(page.getByRole('heading', { name: 'Duplicate content' })).toBeVisible();
  await expect(page.getByRole('link', { name: '/app/static/data-copy.bin' }).first()).toBeVisible();
  await shot(page, 'sample-waste');
});

test('opens an image from a URL typed into the URL field', async ({ page, baseURL }) => {
  await page.goto('/');
  const url = `${baseURL}/sample/sample.tar`;
  await page.getByRole('textbox', { name: 'Or open a URL' }).fill(url);
  await page.getByRole('button', { name: 'Open URL' }).click();
  await waitForImage(page);
  await expect(page).toHaveURL(`${baseURL}/#source=url&url=${url}`);
  await expect(page.locator('header.top')).toContainText('sample.tar');
});
