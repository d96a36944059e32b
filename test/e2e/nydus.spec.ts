import { expect, test } from '@playwright/test';
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { openFile, shot, treeRow, view, waitForImage } from './helpers/app.ts';

/** Our Nydus conversion of the sample image (3 blob layers + the bootstrap layer), made by the CLI. */
function nydusSample(): string {
  const dir = resolve('test-results/tmp');
  mkdirSync(dir, { recursive: true });
  const out = resolve(dir, 'sample-nydus.tar');
  const r = spawnSync('./bin/layerlab', ['convert', 'public/sample/sample.tar', '--to', 'nydus', '-o', out], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`convert failed: ${r.stderr}`);
  return out;
}

test('a Nydus image: the bootstrap inspector (superblock, blob table, tree, chunks, check) and the Files view', async ({ page }) => {
  const path = nydusSample();
  await openFile(page, path);
  await waitForImage(page);
  const nydusTab = page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name: 'Nydus' });
  await expect(nydusTab).toBeVisible();
  await nydusTab.click();

  const v = page.getByTestId('nydus-view');
  await expect(v.getByRole('heading', { name: 'EROFS superblock' })).toBeVisible();
  await expect(v).toContainText('Root nid');
  await expect(v).toContainText('RAFS v6');
  await expect(v.getByRole('heading', { name: 'RAFS extended superblock' })).toBeVisible();
  const blobs = v.getByTestId('nydus-blobs');
  await expect(blobs.locator('tbody tr')).toHaveCount(3);
  await expect(blobs).toContainText('zstd/blake3');
  await expect(v.getByRole('table', { name: 'Blob layers' }).locator('tbody tr')).toHaveCount(3);
  await shot(page, 'nydus-superblock');

  // The tree shows the bootstrap's files; a file's chunks: busybox (1.98 MB) = two 1 MiB chunks.
  await expect(treeRow(page, 'app/hello.sh')).toBeVisible();
  await treeRow(page, 'bin/busybox').click();
  const chunks = v.getByRole('table', { name: 'Chunks of the selected file' });
  await expect(chunks.locator('tbody tr')).toHaveCount(2);
  await expect(chunks.locator('tbody tr').nth(1)).toContainText('1,048,576');
  await expect(v.getByTestId('nydus-chunks')).toContainText('/bin/busybox');
  await shot(page, 'nydus-inspector');

  await v.getByRole('button', { name: 'Check', exact: true }).click();
  await expect(v.getByTestId('nydus-check-result')).toContainText('✓ OK');
  await v.getByTestId('nydus-check-result').scrollIntoViewIfNeeded();
  await shot(page, 'nydus-check');

  // A blob layer's own bootstrap and TOC.
  await v.getByLabel('Which bootstrap').selectOption('2');
  await expect(v.getByRole('heading', { name: 'Layer 2: records and TOC' })).toBeVisible();
  await expect(v.getByRole('table', { name: 'TOC entries' }).locator('tbody tr')).toHaveCount(5);
  await expect(treeRow(page, 'app/static/data-copy.bin')).toBeVisible();
  await v.getByRole('heading', { name: 'Layer 2: records and TOC' }).scrollIntoViewIfNeeded();
  await shot(page, 'nydus-layer-toc');

  // The Files view reads through the bootstrap: only the file's chunks.
  await view(page, 'Files').click();
  await treeRow(page, 'etc/os-release').click();
  await expect(page.locator('.detail-pane')).toContainText('layerlab sample');
  await shot(page, 'nydus-files');

  // Layers: blob layers are read through their own bootstraps (no tar errors).
  await view(page, 'Layers').click();
  await expect(page.locator('tr.layer')).toHaveCount(4);
  await expect(page.getByText('bad tar header')).toHaveCount(0);
  await shot(page, 'nydus-layers');
});
