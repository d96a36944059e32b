/// <reference types="svelte" />
/// <reference types="vite/client" />
// `.svelte` imports for plain `tsc` (svelte-check resolves the real components) and Vite's
// `import.meta.env` / `new URL(…, import.meta.url)` typings for the UI.
