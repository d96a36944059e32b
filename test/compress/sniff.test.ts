import { expect, test } from 'vitest';
import { detectCompression } from '../../src/core/compress/sniff.ts';

test.each([
  ['gzip', [0x1f, 0x8b, 0x08, 0x00], 'gzip'],
  ['gzip, 2 bytes are enough', [0x1f, 0x8b], 'gzip'],
  ['zstd frame', [0x28, 0xb5, 0x2f, 0xfd, 0x24], 'zstd'],
  ['zstd skippable frame 0x184D2A50', [0x50, 0x2a, 0x4d, 0x18, 0, 0, 0, 0], 'zstd'],
  ['zstd skippable frame 0x184D2A5F', [0x5f, 0x2a, 0x4d, 0x18], 'zstd'],
  ['not skippable: 0x184D2A60', [0x60, 0x2a, 0x4d, 0x18], 'none'],
  ['tar (ustar name)', [0x65, 0x74, 0x63, 0x2f], 'none'],
  ['too short for zstd', [0x28, 0xb5, 0x2f], 'none'],
  ['empty', [], 'none'],
] as const)('%s', (_, head, want) => {
  expect(detectCompression(Uint8Array.from(head))).toBe(want);
});
