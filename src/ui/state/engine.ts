import { EngineClient } from '../engine-client.ts';

/** The one engine worker of the page. */
export const engine = new EngineClient();
