const KEY = 'layerlab.keepCopyUpTo';
/** Default limit for keeping a local copy of an opened file or URL. */
export const DEFAULT_KEEP_COPY = 256e6;

/**
 * User settings that live in this browser. Only one so far: how large a file or URL may be for
 * layerlab to keep a verified copy of it in the browser's storage (so a reload can read files
 * of a dropped image, and a URL is not fetched again).
 */
class Settings {
  keepCopyUpTo = $state(read());

  setKeepCopyUpTo(bytes: number): void {
    this.keepCopyUpTo = bytes;
    try { localStorage.setItem(KEY, String(bytes)); } catch { /* storage disabled: session only */ }
  }
}

function read(): number {
  try {
    const v = Number(localStorage.getItem(KEY));
    return localStorage.getItem(KEY) !== null && Number.isFinite(v) && v >= 0 ? v : DEFAULT_KEEP_COPY;
  } catch {
    return DEFAULT_KEEP_COPY;
  }
}

export const settings = new Settings();
