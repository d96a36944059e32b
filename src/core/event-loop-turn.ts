/**
 * A long conversion is a chain of promises: when its input is already buffered (a File, a
 * decompressor's queue) every step resolves as a microtask and the thread never returns to its
 * event loop, so a worker cannot receive the message that cancels it (the AbortSignal is set by
 * that message). `eventLoopTurns()` gives a function to await between pieces of work: at most
 * every `intervalMs` it waits for one macrotask turn (setImmediate in Node, a MessageChannel
 * round trip elsewhere: neither is clamped like nested setTimeout), so pending messages run.
 */
export function eventLoopTurns(intervalMs = 50): () => Promise<void> | undefined {
  let last = Date.now();
  return () => {
    const now = Date.now();
    if (now - last < intervalMs) return undefined;
    last = now;
    return macrotask();
  };
}

function macrotask(): Promise<void> {
  const g = globalThis as { setImmediate?: (f: () => void) => unknown; MessageChannel?: typeof MessageChannel };
  if (g.setImmediate) return new Promise((resolve) => void g.setImmediate!(resolve));
  if (g.MessageChannel) {
    return new Promise((resolve) => {
      const ch = new g.MessageChannel!();
      ch.port1.onmessage = () => { ch.port1.close(); resolve(); };
      ch.port2.postMessage(0);
    });
  }
  return new Promise((resolve) => setTimeout(resolve, 0));
}
