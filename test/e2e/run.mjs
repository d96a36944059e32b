#!/usr/bin/env node
// `npm run test:e2e`: Playwright with the repo's config (playwright.config.ts builds and serves
// the app). Extra arguments go to Playwright: `npm run test:e2e -- cancel --headed`.
import { spawnSync } from 'node:child_process';

const r = spawnSync('npx', ['playwright', 'test', ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(r.status ?? 1);
