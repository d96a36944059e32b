/**
 * Roughly how many bytes IndexedDB needs for a value (its structured-clone form): strings at
 * one byte per character plus a small header, numbers eight bytes, per-property overhead. Good
 * to ±30 % for reports and trees, which is what a "≈ 12 MB" in the cache list needs; exact
 * figures would mean serialising everything a second time.
 */
export function estimateStoredBytes(value: unknown): number {
  let total = 0;
  const stack: unknown[] = [value];
  while (stack.length) {
    const v = stack.pop();
    switch (typeof v) {
      case 'string': total += v.length + 4; break;
      case 'number': total += 9; break;
      case 'boolean': total += 1; break;
      case 'object':
        if (v === null) { total += 1; break; }
        if (ArrayBuffer.isView(v)) { total += v.byteLength + 8; break; }
        if (Array.isArray(v)) { total += 4; for (const x of v) stack.push(x); break; }
        for (const [k, x] of Object.entries(v)) { total += k.length + 2; stack.push(x); }
        break;
    }
  }
  return total;
}
