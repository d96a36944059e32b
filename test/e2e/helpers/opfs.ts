import type { Page } from '@playwright/test';

/** Files in OPFS under /layerlab/<dir>, as "path size" lines (the page can list its own OPFS). */
export async function opfsFiles(page: Page, dir: string): Promise<string[]> {
  return page.evaluate(async (dir) => {
    const out: string[] = [];
    async function walk(d: FileSystemDirectoryHandle, prefix: string) {
      for await (const [name, h] of (d as unknown as { entries(): AsyncIterable<[string, FileSystemHandle]> }).entries()) {
        if (h.kind === 'file') out.push(`${prefix}${name} ${(await (h as FileSystemFileHandle).getFile()).size}`);
        else await walk(h as FileSystemDirectoryHandle, `${prefix}${name}/`);
      }
    }
    try {
      let d = await (await navigator.storage.getDirectory()).getDirectoryHandle('layerlab');
      for (const p of dir.split('/').filter(Boolean)) d = await d.getDirectoryHandle(p);
      await walk(d, '');
    } catch { /* missing: nothing there */ }
    return out;
  }, dir);
}
