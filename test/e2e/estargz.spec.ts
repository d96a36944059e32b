import { expect, test } from '@playwright/test';
import { openFile, shot, view, waitForImage } from './helpers/app.ts';
import { estargzImage } from './helpers/inputs.ts';

test('an eStargz layer: TOC digest badge, TOC browser with the fixture\'s entries and chunks, chunk verification', async ({ page }) => {
  const { path, fixture } = estargzImage('t1-basic.chunk4096'); // 47 TOC entries (24 chunk entries), 32 chunks
  await openFile(page, path);
  await waitForImage(page);
  await view(page, 'Layers').click();
  const row = page.locator('tr.layer').first();
  await expect(row).toContainText('eStargz');
  await expect(row.getByLabel('TOC digest verified')).toBeVisible();
  await row.getByRole('button', { name: 'eStargz TOC and chunks of layer 0' }).click();

  const panel = page.getByTestId('estargz-panel');
  await expect(panel).toContainText(fixture.toc_digest.slice(0, 27));
  await expect(panel).toContainText('matches the annotation');
  const toc = panel.getByRole('table', { name: 'TOC entries' });
  await expect(toc.locator('tbody tr')).toHaveCount(fixture.toc_entries);
  await expect(panel).toContainText(`${fixture.toc_entries} entries`);
  await expect(toc.locator('tbody tr td:nth-child(3)', { hasText: /^chunk$/ })).toHaveCount(fixture.toc_chunk_entries);

  // usr/bin/busybox is split into 25 chunks of 4096 bytes (1 reg + 24 chunk entries).
  await panel.getByRole('searchbox', { name: 'Filter TOC entries' }).fill('busybox');
  await toc.locator('tbody tr').filter({ has: page.locator('td:nth-child(3)', { hasText: /^reg$/ }) }).first().click();
  const chunks = panel.getByRole('table', { name: 'Chunks of the selected entry' });
  await expect(chunks.locator('tbody tr')).toHaveCount(25);
  await expect(chunks.locator('tbody tr').first()).toContainText('4,096');
  await shot(page, 'estargz-toc');

  await panel.getByRole('button', { name: 'Verify chunks' }).click();
  await expect(panel.getByRole('status').filter({ hasText: `${fixture.verified_chunks} chunks verified` })).toBeVisible();
  await shot(page, 'estargz-verified');
});
