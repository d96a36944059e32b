/// <reference lib="webworker" />
import { fromBlob } from '../core/bytes/blob-source.ts';
import { fromUrl } from '../core/bytes/http-source.ts';
import { LayerlabError } from '../core/errors.ts';
import type { ImageInput } from '../core/image/open-image.ts';
import type { AnalysisStore, BlobStore } from '../core/store/content-store.ts';
import { fileListDirectory, handleDirectory } from './handle-directory.ts';
import type { EngineInput } from './protocol.ts';

/** What the user would call an input, for messages and the title bar. */
export function inputName(input: EngineInput): string {
  switch (input.kind) {
    case 'file': return input.file.name;
    case 'files': return input.name;
    case 'handle': return input.handle.name;
    case 'url': return input.url;
    case 'opfs': return input.path.split('/').pop() ?? input.path;
    case 'cached': return input.key;
  }
}

/**
 * A cheap identity of an input, computed *before* anything is read, so a second open of the same
 * thing is a cache lookup. It must change whenever the content may have: size and mtime for
 * files, validators (ETag or Last-Modified) and length for URLs. Undefined when there is nothing
 * trustworthy to go by; then only the image's own digest can find a cached analysis.
 */
export async function inputIdentity(input: EngineInput, signal?: AbortSignal): Promise<string | undefined> {
  switch (input.kind) {
    case 'file': {
      const f = input.file;
      return `file|${f.name}|${f.size}|${f.lastModified}`;
    }
    case 'files': {
      let size = 0;
      let latest = 0;
      for (const { file } of input.files) { size += file.size; latest = Math.max(latest, file.lastModified); }
      return `folder|${input.name}|${input.files.length}|${size}|${latest}`;
    }
    case 'handle': {
      // The top-level documents change whenever the image does (a new index, a new manifest).
      const parts: string[] = [];
      for (const name of ['oci-layout', 'index.json', 'manifest.json', 'repositories']) {
        try {
          const f = await (await input.handle.getFileHandle(name)).getFile();
          parts.push(`${name}:${f.size}:${f.lastModified}`);
        } catch { /* absent */ }
      }
      return parts.length ? `folder|${input.handle.name}|${parts.join('|')}` : undefined;
    }
    case 'url': return urlIdentity(input.url, signal);
    case 'opfs': {
      const f = await opfsPathFile(input.path);
      return `opfs|${input.path}|${f.size}|${f.lastModified}`;
    }
    case 'cached': return undefined;
  }
}

async function urlIdentity(url: string, signal?: AbortSignal): Promise<string | undefined> {
  let r: Response;
  try {
    r = await fetch(url, { headers: { Range: 'bytes=0-0' }, signal, cache: 'no-cache' });
  } catch {
    return undefined; // fromUrl will fail next with a proper message
  }
  void r.body?.cancel();
  if (!r.ok) return undefined;
  const total = /\/(\d+)\s*$/.exec(r.headers.get('content-range') ?? '')?.[1]
    ?? (r.status === 200 ? r.headers.get('content-length') : null);
  const validator = r.headers.get('etag') ?? r.headers.get('last-modified');
  // Length alone could match a changed file of the same size; a validator alone is enough.
  if (!validator && !total) return undefined;
  return `url|${url}|${validator ?? ''}|${total ?? ''}`;
}

/** Turns what crossed the worker boundary into an engine input. */
export async function resolveInput(input: EngineInput, stores: { analyses: AnalysisStore; blobs?: BlobStore },
  signal?: AbortSignal): Promise<ImageInput> {
  switch (input.kind) {
    case 'file': return { kind: 'file', source: fromBlob(input.file, input.file.name) };
    case 'files': return { kind: 'directory', dir: fileListDirectory(input.name, input.files) };
    case 'handle': return { kind: 'directory', dir: handleDirectory(input.handle) };
    case 'url': return { kind: 'file', source: await fromUrl(input.url, { signal }) };
    case 'opfs': return { kind: 'file', source: fromBlob(await opfsPathFile(input.path), input.path) };
    case 'cached': {
      const meta = await stores.analyses.getMeta(input.key);
      if (!meta) throw new LayerlabError('NOT_FOUND', 'this image is no longer in the browser cache; open the file again', { file: input.key });
      const copy = meta.copy && await stores.blobs?.open(meta.copy.digest, meta.name);
      if (!copy) {
        throw new LayerlabError('NOT_FOUND',
          `the browser cache has the analysis of ${meta.name} but not its bytes (it was larger than the copy limit, or the copy was removed); open the file again to read file contents`,
          { file: meta.name });
      }
      return { kind: 'file', source: copy };
    }
  }
}

async function opfsPathFile(path: string): Promise<File> {
  const parts = path.split('/').filter(Boolean);
  const name = parts.pop();
  try {
    let dir = await navigator.storage.getDirectory();
    for (const p of parts) dir = await dir.getDirectoryHandle(p);
    if (!name) throw new Error('empty path');
    return await (await dir.getFileHandle(name)).getFile();
  } catch (e) {
    throw new LayerlabError('NOT_FOUND', `no file ${path} in the browser's private file system`, { file: path }, { cause: e });
  }
}
