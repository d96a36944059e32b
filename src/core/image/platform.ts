import type { Descriptor, ImageConfig, Platform } from './types.ts';

/** `os/arch[/variant]`, the spelling users type and `--platform` takes. */
export function formatPlatform(p: Pick<Platform, 'os' | 'architecture' | 'variant'>): string {
  return p.variant ? `${p.os}/${p.architecture}/${p.variant}` : `${p.os}/${p.architecture}`;
}

/** Platform of an image config; null when os or architecture is missing (corpus README, `platform`). */
export function configPlatform(cfg: ImageConfig | undefined): string | null {
  if (!cfg?.os || !cfg.architecture) return null;
  return formatPlatform({ os: cfg.os, architecture: cfg.architecture, variant: cfg.variant });
}

/**
 * Picks one descriptor of an index's `manifests`. With `wanted` ('linux/arm64' or 'linux/arm64/v8'):
 * the first whose platform matches (a wanted platform without variant matches any variant).
 * Without: the only descriptor if there is one; else if any descriptor has a platform, the first linux/amd64 one (undefined if none);
 * if none has a platform, the first descriptor. (corpus README, "Choosing the image".)
 */
export function chooseManifest(descs: Descriptor[], wanted?: string): Descriptor | undefined {
  if (descs.length === 0) return undefined;
  // A wanted platform is matched where platforms are listed; a level without any (an index.json
  // that points to a nested index) is passed through by the default rule.
  if (wanted && descs.some((d) => d.platform)) {
    const [os, arch, variant] = wanted.split('/');
    return descs.find((d) => d.platform && d.platform.os === os && d.platform.architecture === arch &&
      (variant === undefined || d.platform.variant === variant));
  }
  // A single choice is taken whatever its platform: the user has nothing else to pick.
  if (descs.length === 1) return descs[0];
  const withPlatform = descs.filter((d) => d.platform);
  if (withPlatform.length === 0) return descs[0];
  return withPlatform.find((d) => d.platform!.os === 'linux' && d.platform!.architecture === 'amd64');
}
