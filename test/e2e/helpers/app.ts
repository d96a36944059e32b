import { expect, type Page } from '@playwright/test';
import { mkdirSync } from 'node:fs';

/** Screenshots the tests keep (and a person looks at): test-results/screenshots/<name>.png */
export async function shot(page: Page, name: string): Promise<void> {
  mkdirSync('test-results/screenshots', { recursive: true });
  await page.screenshot({ path: `test-results/screenshots/${name}.png` });
}

/** Waits until an image is open: the view tabs are there and no job is running. */
export async function waitForImage(page: Page, timeout = 60_000): Promise<void> {
  await expect(page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name: 'Layers' })).toBeVisible({ timeout });
  await expect(page.locator('section.job')).toHaveCount(0, { timeout });
}

export async function openSample(page: Page): Promise<void> {
  await page.goto('/');
  await page.getByRole('button', { name: 'Open sample' }).click();
  await waitForImage(page);
}

export async function openFile(page: Page, path: string): Promise<void> {
  await page.goto('/');
  await page.getByTestId('file-input').setInputFiles(path);
}

export function view(page: Page, name: 'Overview' | 'Layers' | 'Files' | 'Wasted space' | 'Cache') {
  return page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name });
}

/** The tree row for a path (rendered only when scrolled into view). */
export function treeRow(page: Page, path: string) {
  return page.locator(`[role="treeitem"][data-path="${path}"]`);
}
