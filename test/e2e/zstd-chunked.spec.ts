import { expect, test, type Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { openFile, shot, treeRow, view, waitForImage } from './helpers/app.ts';
import { zstdChunkedImage, type ZstdChunkedFixture } from './helpers/inputs.ts';

/** Chunks of a manifest: one per non-empty reg entry plus its chunk entries. */
const chunkCount = (f: ZstdChunkedFixture) =>
  f.manifest.entries.filter((e) => (e.type === 'reg' && (e.size ?? 0) > 0) || e.type === 'chunk').length;

async function openPanel(page: Page, path: string) {
  await openFile(page, path);
  await waitForImage(page);
  await view(page, 'Layers').click();
  const row = page.locator('tr.layer').first();
  await row.getByRole('button', { name: 'zstd:chunked manifest, chunks and tar-split of layer 0' }).click();
  return { row, panel: page.getByTestId('zstd-chunked-panel') };
}

/**
 * Nothing in the panel reaches past the window's right edge, except inside a box that scrolls
 * (the tables). (The top bar is the app's: at 390 px its buttons overflow on their own.)
 */
async function expectPanelFits(page: Page) {
  const out = await page.getByTestId('zstd-chunked-panel').evaluate((panel) => {
    const width = document.documentElement.clientWidth;
    const clipped = (el: Element) => {
      for (let q = el.parentElement; q && q !== panel.parentElement; q = q.parentElement) {
        if (/(auto|scroll|hidden)/.test(getComputedStyle(q).overflowX) && q.getBoundingClientRect().right <= width) return true;
      }
      return false;
    };
    return [panel, ...panel.querySelectorAll('*')].filter((el) => el.getBoundingClientRect().right > width + 0.5 && !clipped(el))
      .map((el) => `${el.tagName.toLowerCase()}.${el.className} ends at ${Math.round(el.getBoundingClientRect().right)}`);
  });
  expect(out).toEqual([]);
}

test('a zstd:chunked layer: variant badge, manifest entries, tar-split, Verify, and a file read through the manifest', async ({ page }) => {
  const { path, fixture } = zstdChunkedImage('t1-basic.v2-constructed');
  const { row, panel } = await openPanel(page, path);
  await expect(row).toContainText('zstd:chunked · v2 (64-byte footer)');
  await expect(row.getByLabel('manifest checksum verified')).toBeVisible();
  await expect(page.getByText('The layer is zstd:chunked')).toBeVisible();

  await expect(panel).toContainText(fixture.annotations['io.github.containers.zstd-chunked.manifest-checksum'].slice(0, 27));
  await expect(panel).toContainText('matches the annotation');
  const entries = panel.getByRole('table', { name: 'Manifest entries' });
  await expect(entries.locator('tbody tr')).toHaveCount(fixture.manifest.entries.length);
  await expect(panel).toContainText(`${fixture.manifest.entries.length} entries`);

  // A one-chunk file: its chunk, with the whole file's digest.
  await panel.getByRole('searchbox', { name: 'Filter manifest entries' }).fill('busybox');
  await entries.locator('tbody tr').first().click();
  const chunks = panel.getByRole('table', { name: 'Chunks of the selected entry' });
  await expect(chunks.locator('tbody tr')).toHaveCount(1);
  await expect(chunks.locator('tbody tr').first()).toContainText('100,000');
  await shot(page, 'zstd-chunked-manifest');

  await panel.getByRole('tab', { name: 'Tar-split' }).click();
  const split = panel.getByRole('table', { name: 'Tar-split entries' });
  await expect(split.locator('tbody tr td:nth-child(2)', { hasText: /^segment$/ }).first()).toBeVisible();
  await expect(split.locator('tbody tr td:nth-child(3)', { hasText: /^etc\/dup\.txt$/ })).toHaveCount(2);
  await expect(panel.getByLabel('tar-split digest verified')).toBeVisible();
  await shot(page, 'zstd-chunked-tar-split');

  await panel.getByRole('button', { name: 'Verify', exact: true }).click();
  const done = panel.getByRole('status').filter({ hasText: `${chunkCount(fixture)} chunks verified` });
  await expect(done).toBeVisible();
  await expect(done).toContainText('equals the diffID');
  await shot(page, 'zstd-chunked-verified');

  await page.setViewportSize({ width: 390, height: 844 });
  await panel.getByRole('tab', { name: 'Manifest entries' }).click();
  await expect(entries).toBeVisible();
  await expectPanelFits(page);
  await panel.scrollIntoViewIfNeeded();
  await shot(page, 'zstd-chunked-390');
  await entries.scrollIntoViewIfNeeded();
  await shot(page, 'zstd-chunked-390-entries');
  await page.setViewportSize({ width: 1440, height: 900 });

  // The Files view reads a file of the layer through its manifest: the later of two etc/dup.txt.
  const expected = fixture.files.filter((f) => f.name === 'etc/dup.txt').at(-1)!;
  const both = execFileSync('tar', ['-xOf', fixture.blob.replace(/zstd-chunked\/blobs\/.*$/, 'estargz/inputs/t1-basic.tar'), 'etc/dup.txt']);
  const content = both.subarray(both.length - expected.size!);
  expect('sha256:' + createHash('sha256').update(content).digest('hex')).toBe(expected.sha256);
  await view(page, 'Files').click();
  await treeRow(page, 'etc/dup.txt').click();
  const file = page.getByRole('article');
  await expect(file.locator('pre.text')).toHaveText(content.toString('utf8').replace(/\n$/, ''), { useInnerText: true });
  await shot(page, 'zstd-chunked-file');
});

test('zstd:chunked: a file of two chunks shows both', async ({ page }) => {
  const { path, fixture } = zstdChunkedImage('t3-gnu.v2-constructed');
  const { panel } = await openPanel(page, path);
  const entries = panel.getByRole('table', { name: 'Manifest entries' });
  await expect(entries.locator('tbody tr')).toHaveCount(fixture.manifest.entries.length);
  await panel.getByRole('searchbox', { name: 'Filter manifest entries' }).fill('bin/tool');
  await entries.locator('tbody tr').filter({ has: page.locator('td:nth-child(3)', { hasText: /^reg$/ }) }).first().click();
  const chunks = panel.getByRole('table', { name: 'Chunks of the selected entry' });
  await expect(chunks.locator('tbody tr')).toHaveCount(2);
  const sizes = fixture.manifest.entries.filter((e) => e.name === './bin/tool' && e.chunkSize).map((e) => e.chunkSize!.toLocaleString('en-US'));
  for (const [i, s] of sizes.entries()) await expect(chunks.locator('tbody tr').nth(i)).toContainText(s);
  await shot(page, 'zstd-chunked-two-chunks');
});

test('zstd:chunked: a flipped byte in a payload frame makes Verify fail, naming the layer', async ({ page }) => {
  const { path } = zstdChunkedImage('t1-basic.v2-constructed', 12_000); // inside usr/bin/busybox's frame (8808..23681)
  const { panel } = await openPanel(page, path);
  await panel.getByRole('button', { name: 'Verify', exact: true }).click();
  await expect(panel.getByRole('status').filter({ hasText: /problems? in/ })).toBeVisible();
  const alert = panel.getByRole('alert').first();
  await expect(alert).toContainText('Verification of layer 0 failed');
  await expect(alert).toContainText('usr/bin/busybox');
  await expect(alert.locator('dt', { hasText: /^layer$/ })).toBeVisible();
  await shot(page, 'zstd-chunked-damaged');
});
