import { expect, test } from '@playwright/test';
import { openFile, shot, waitForImage } from './helpers/app.ts';
import { bigGzipLayer } from './helpers/inputs.ts';
import { statSync } from 'node:fs';
import { formatBytes } from '../../src/core/display.ts';

test('cancels a long analysis of a 300+ MB layer and stays usable', async ({ page }) => {
  test.setTimeout(240_000);
  const big = bigGzipLayer(); // made once into .cache/e2e (≈ 30 s the first time)
  const restarts: string[] = [];
  page.on('console', (m) => { if (m.text().includes('restarting the engine worker')) restarts.push(m.text()); });
  await openFile(page, big);
  const job = page.locator('section.job');
  await expect(job).toBeVisible();
  const overall = job.getByRole('progressbar', { name: 'Overall progress' });
  // Bytes are flowing: a known total and some of it done, with a rate shown.
  await expect(overall).toHaveAttribute('aria-valuenow', /^[1-9]\d*$/, { timeout: 30_000 });
  await expect(job).toContainText('MB/s');
  // The layer is a tar of this machine's /usr, so its size is whatever it is here.
  await expect(job).toContainText(formatBytes(statSync(big).size));
  await shot(page, 'cancel-in-progress');

  const t0 = Date.now();
  await job.getByRole('button', { name: 'Cancel' }).click();
  await expect(job).toHaveCount(0, { timeout: 10_000 });
  const ms = Date.now() - t0;
  console.log(`cancel took ${ms} ms${restarts.length ? ' (the worker was restarted)' : ' (the job stopped by itself)'}`);
  await expect(page.getByRole('status').filter({ hasText: 'Cancelled opening big-layer.tar.gz.' })).toBeVisible();
  await shot(page, 'cancel-done');

  // The engine still works: the same worker (or its replacement) opens the sample.
  await page.getByRole('button', { name: 'Open sample' }).click();
  await waitForImage(page);
});
