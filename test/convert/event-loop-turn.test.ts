import { describe, expect, it } from 'vitest';
import { eventLoopTurns } from '../../src/core/event-loop-turn.ts';

describe('eventLoopTurns (how a cancel message reaches a busy conversion)', () => {
  it('lets a queued macrotask run, at most once per interval', async () => {
    const turn = eventLoopTurns(0);
    let ran = false;
    setImmediate(() => { ran = true; });
    await Promise.resolve(); // a microtask is not enough
    expect(ran).toBe(false);
    await turn();
    expect(ran).toBe(true);

    const throttled = eventLoopTurns(60_000);
    expect(throttled()).toBeUndefined(); // the interval has not passed since it was made
  });

  it('takes the MessageChannel path where there is no setImmediate (browser workers)', async () => {
    const saved = globalThis.setImmediate;
    (globalThis as { setImmediate?: unknown }).setImmediate = undefined;
    try {
      let ran = false;
      const ch = new MessageChannel();
      ch.port1.onmessage = () => { ran = true; ch.port1.close(); };
      ch.port2.postMessage(0); // a message event queued before the turn
      await Promise.resolve();
      expect(ran).toBe(false);
      await eventLoopTurns(0)();
      expect(ran).toBe(true);
    } finally {
      globalThis.setImmediate = saved;
    }
  });
});
