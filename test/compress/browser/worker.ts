/// <reference lib="webworker" />
import { runChecks } from './checks.ts';

runChecks('worker').then(
  (r) => postMessage(r),
  (e: unknown) => postMessage({ failed: String((e as Error)?.stack ?? e) }),
);
