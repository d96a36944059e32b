import type { EngineInput } from '../../worker/protocol.ts';

export interface PickedInput {
  input: EngineInput;
  label: string;
}

/**
 * What was dropped, as an engine input. Chromium gives File System Access handles for dropped
 * items (a folder stays a lazily read handle); otherwise a folder is walked with the older
 * entries API into a file list, and a file is a File. Only the first item counts: one image at
 * a time. Must be called synchronously inside the drop event (DataTransfer empties afterwards).
 */
export function droppedInput(dt: DataTransfer): Promise<PickedInput | undefined> | undefined {
  const item = [...dt.items].find((i) => i.kind === 'file');
  if (!item) return undefined;
  const withHandle = item as DataTransferItem & { getAsFileSystemHandle?: () => Promise<FileSystemHandle | null> };
  const handle = withHandle.getAsFileSystemHandle?.();
  const entry = item.webkitGetAsEntry?.();
  const file = item.getAsFile();
  return (async () => {
    const h = await handle?.catch(() => null);
    if (h?.kind === 'directory') return { input: { kind: 'handle', handle: h as FileSystemDirectoryHandle }, label: h.name };
    if (h?.kind === 'file') {
      const f = await (h as FileSystemFileHandle).getFile();
      return { input: { kind: 'file', file: f }, label: f.name };
    }
    if (entry?.isDirectory) {
      const files = await walkEntries(entry as FileSystemDirectoryEntry);
      return { input: { kind: 'files', name: entry.name, files }, label: entry.name };
    }
    return file ? { input: { kind: 'file', file }, label: file.name } : undefined;
  })();
}

/** Files chosen with `<input type=file>` or `<input webkitdirectory>`. */
export function pickedInput(list: FileList | null): PickedInput | undefined {
  const files = [...(list ?? [])];
  if (files.length === 0) return undefined;
  const rel = files[0].webkitRelativePath;
  if (rel) {
    const name = rel.split('/')[0];
    return { input: { kind: 'files', name, files: files.map((file) => ({ path: file.webkitRelativePath, file })) }, label: name };
  }
  return { input: { kind: 'file', file: files[0] }, label: files[0].name };
}

async function walkEntries(root: FileSystemDirectoryEntry): Promise<{ path: string; file: File }[]> {
  const out: { path: string; file: File }[] = [];
  const walk = async (dir: FileSystemDirectoryEntry, prefix: string): Promise<void> => {
    const reader = dir.createReader();
    for (;;) {
      // readEntries returns the listing in batches (100 in Chromium) until an empty one.
      const batch = await new Promise<FileSystemEntry[]>((res, rej) => reader.readEntries(res, rej));
      if (batch.length === 0) break;
      for (const e of batch) {
        const path = `${prefix}/${e.name}`;
        if (e.isDirectory) await walk(e as FileSystemDirectoryEntry, path);
        else out.push({ path, file: await new Promise<File>((res, rej) => (e as FileSystemFileEntry).file(res, rej)) });
      }
    }
  };
  await walk(root, root.name);
  return out;
}
