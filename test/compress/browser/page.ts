import { runChecks, type CheckReport } from './checks.ts';

declare global {
  interface Window { __results?: CheckReport[] | { failed: string } }
}

async function main(): Promise<void> {
  const inPage = await runChecks('page');
  const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
  const inWorker = await new Promise<CheckReport>((resolve, reject) => {
    worker.onmessage = (e: MessageEvent<CheckReport | { failed: string }>) => ('failed' in e.data ? reject(new Error(e.data.failed)) : resolve(e.data));
    worker.onerror = (e) => reject(new Error(e.message));
  });
  worker.terminate();
  window.__results = [inPage, inWorker];
}

main().catch((e: unknown) => {
  window.__results = { failed: String((e as Error)?.stack ?? e) };
});
