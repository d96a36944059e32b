/**
 * What this runtime's `DecompressionStream('gzip')` does with a second gzip member, found out
 * once by decompressing two tiny members:
 *
 * - `multi-member`: it continues into the next member (Node 20, zlib's gunzip mode);
 * - `first-member-only`: it throws "Junk found after end of compressed data" (Chromium 156),
 *   and may drop output it produced but had not yet handed out before throwing (measured:
 *   fed a 2-member file in one write, it gave 131072 of the first member's 3000000 bytes);
 * - `absent`: there is no DecompressionStream.
 *
 * Probing beats user-agent sniffing: the behaviour is an implementation detail that may change.
 */
export type NativeGunzipSupport = 'multi-member' | 'first-member-only' | 'absent';

let probe: Promise<NativeGunzipSupport> | undefined;

export function nativeGunzipSupport(): Promise<NativeGunzipSupport> {
  return (probe ??= probeNativeGunzip());
}

/** `printf a | gzip -n` twice: 21 bytes each, decompressing to "aa". */
const TWO_MEMBERS = new Uint8Array([
  0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x4b, 0x04, 0x00, 0x43, 0xbe, 0xb7, 0xe8, 0x01, 0x00, 0x00, 0x00,
  0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x4b, 0x04, 0x00, 0x43, 0xbe, 0xb7, 0xe8, 0x01, 0x00, 0x00, 0x00,
]);

async function probeNativeGunzip(): Promise<NativeGunzipSupport> {
  if (typeof DecompressionStream !== 'function') return 'absent';
  try {
    const out = await new Response(new Blob([TWO_MEMBERS]).stream().pipeThrough(new DecompressionStream('gzip'))).arrayBuffer();
    const b = new Uint8Array(out);
    return b.length === 2 && b[0] === 0x61 && b[1] === 0x61 ? 'multi-member' : 'first-member-only';
  } catch {
    return 'first-member-only';
  }
}

/** Test hook: forget the probe result (tests that stub DecompressionStream). */
export function resetNativeGunzipProbe(): void {
  probe = undefined;
}
