import * as Comlink from 'comlink';
import { describe, expect, it } from 'vitest';
import { CANCEL_GRACE_MS, EngineClient, EngineError } from '../../src/ui/engine-client.ts';
import type { JobProgress } from '../../src/worker/protocol.ts';

/**
 * The UI's worker bridge against a fake engine on a MessageChannel: the same comlink traffic as
 * a real worker, with jobs that can be made to stop, hang or fail on purpose.
 */
interface FakeApi {
  analyze(job: string, input: unknown, req: unknown, cb?: (p: JobProgress) => unknown): Promise<unknown>;
  cancel(job: string): boolean;
}

function fakeWorkers(make: () => FakeApi) {
  const made: { terminated: boolean }[] = [];
  const factory = () => {
    const { port1, port2 } = new MessageChannel();
    Comlink.expose(make(), port2 as unknown as Comlink.Endpoint);
    port1.start();
    const state = { terminated: false };
    made.push(state);
    setTimeout(() => port2.postMessage({ layerlabReady: true }), 1);
    return {
      postMessage: (m: unknown, t?: Transferable[]) => port1.postMessage(m, t as never),
      addEventListener: port1.addEventListener.bind(port1),
      removeEventListener: port1.removeEventListener.bind(port1),
      terminate: () => { state.terminated = true; port1.close(); port2.close(); },
    } as unknown as Worker;
  };
  return { factory, made };
}

const input = { kind: 'url' as const, url: 'https://example.com/x.tar' };

describe('EngineClient', () => {
  it('cancels a job that stops by itself, without restarting the worker', async () => {
    const { factory, made } = fakeWorkers(() => {
      const waiting = new Map<string, (e: unknown) => void>();
      return {
        analyze: (job) => new Promise((_, reject) => waiting.set(job, reject)),
        cancel: (job) => { waiting.get(job)?.({ name: 'LayerlabError', code: 'ABORTED', message: 'cancelled', context: {}, text: 'cancelled' }); return true; },
      };
    });
    const client = new EngineClient(factory);
    const ac = new AbortController();
    const p = client.analyze(ac.signal, input, {});
    setTimeout(() => ac.abort(), 20);
    await expect(p).rejects.toMatchObject({ code: 'ABORTED' });
    expect(client.restarts).toBe(0);
    expect(made.map((m) => m.terminated)).toEqual([false]);
    client.dispose();
  });

  it('terminates and replaces a worker whose job ignores the cancel', async () => {
    const { factory, made } = fakeWorkers(() => ({
      analyze: () => new Promise(() => {}), // a tight loop, as far as the UI can tell
      cancel: () => true,
    }));
    const client = new EngineClient(factory);
    const ac = new AbortController();
    const t0 = Date.now();
    const p = client.analyze(ac.signal, input, {});
    setTimeout(() => ac.abort(), 20);
    await expect(p).rejects.toMatchObject({ code: 'ABORTED' });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(CANCEL_GRACE_MS);
    expect(client.restarts).toBe(1);
    expect(made[0].terminated).toBe(true);
    // The next call gets a fresh worker.
    const next = client.analyze(new AbortController().signal, input, {});
    await new Promise((r) => setTimeout(r, 50));
    expect(made).toHaveLength(2);
    client.dispose();
    await expect(next).rejects.toBeInstanceOf(EngineError);
  }, 10_000);

  it('keeps the error code and text the engine gave, and forwards progress', async () => {
    const { factory } = fakeWorkers(() => ({
      analyze: async (_job, _i, _r, cb) => {
        await cb?.({ phase: 'layers', layer: 0, layerDone: 5, layerTotal: 10, done: 5, total: 10, elapsedMs: 1 });
        throw { name: 'LayerlabError', code: 'BAD_TAR', message: 'bad header', context: { layer: 2, offset: 512 }, text: 'bad header (layer 2, offset 512)' };
      },
      cancel: () => false,
    }));
    const client = new EngineClient(factory);
    const seen: JobProgress[] = [];
    const err = await client.analyze(new AbortController().signal, input, {}, (p) => seen.push(p)).catch((e) => e);
    expect(err).toBeInstanceOf(EngineError);
    expect(err).toMatchObject({ code: 'BAD_TAR', text: 'bad header (layer 2, offset 512)', context: { layer: 2 } });
    expect(seen).toHaveLength(1);
    expect(seen[0].done).toBe(5);
    client.dispose();
  });

  it('rejects at once when the signal is already aborted', async () => {
    const { factory, made } = fakeWorkers(() => ({ analyze: async () => 'never', cancel: () => false }));
    const client = new EngineClient(factory);
    const ac = new AbortController();
    ac.abort();
    await expect(client.analyze(ac.signal, input, {})).rejects.toMatchObject({ code: 'ABORTED' });
    expect(made).toHaveLength(0);
  });
});
