import { expect } from 'vitest';
import { LayerlabError } from '../../src/core/errors.ts';

/** The LayerlabError a promise rejects with; fails the test when it resolves or throws anything else. */
export async function thrown(p: Promise<unknown>): Promise<LayerlabError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(LayerlabError);
    return e as LayerlabError;
  }
  throw new Error('expected a LayerlabError');
}
