// Entry of a compression-pool worker thread: TypeScript sources load through tsx, as in
// bin/layerlab (a worker does not inherit the main thread's loader).
import { register } from 'tsx/esm/api';
register();
await import('./node-compression-worker.ts');
