import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// A static app: `vite build` emits dist/ that any static host can serve. Workers are ES modules
// because the engine's graph may use top-level await in dependencies (toolchain notes §2).
export default defineConfig({
  // Relative asset URLs: the built app works from any static host path, even a sub-folder.
  base: './',
  plugins: [svelte()],
  worker: { format: 'es' },
  build: { target: 'es2022', sourcemap: true },
  server: { port: 5173, strictPort: false },
  preview: { port: 4173 },
});
