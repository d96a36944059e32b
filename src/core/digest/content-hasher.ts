import { createSHA256, createXXHash128, type IHasher } from 'hash-wasm';

/**
 * Hashes the content of every file of a layer, for duplicate detection and "modified" checks.
 * xxh128 by default: these hashes compare files with each other, they are not security claims,
 * and xxh128 costs a fraction of sha256 on the hot path. sha256 when the result is compared with
 * tools that print sha256 (the corpus tree TSV, `ls --long --sha256`).
 * One reusable hasher per scan: `begin/update/end` run synchronously inside the tar visitor.
 */
export type ContentHashKind = 'xxh128' | 'sha256' | 'none';

export interface ContentHasher {
  readonly kind: ContentHashKind;
  begin(): void;
  update(chunk: Uint8Array): void;
  /** Lower-case hex. */
  end(): string;
}

export async function createContentHasher(kind: ContentHashKind): Promise<ContentHasher | undefined> {
  if (kind === 'none') return undefined;
  const h: IHasher = kind === 'sha256' ? await createSHA256() : await createXXHash128();
  return {
    kind,
    begin: () => { h.init(); },
    update: (c) => { h.update(c); },
    end: () => h.digest('hex'),
  };
}
