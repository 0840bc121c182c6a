// Entry point for browsers and bundlers: fetches the .wasm from
// new URL('lucid_optim_bg.wasm', import.meta.url), a pattern Vite, webpack and Rollup understand
// (they emit the file as an asset and rewrite the URL).

import { setDefaultSource } from './runtime/wasm.js';

setDefaultSource(async () => {
  const url = new URL('lucid_optim_bg.wasm', import.meta.url);
  const response = await fetch(url);
  const hint = "pass the .wasm's URL or bytes to init()";
  if (!response.ok) {
    throw new Error(`lucid-optim: fetching ${url} failed (HTTP ${response.status}); ${hint}`);
  }
  // A dev server that cannot find the file often answers with its index.html instead.
  if ((response.headers.get('content-type') ?? '').startsWith('text/html')) {
    throw new Error(
      `lucid-optim: ${url} answered with an HTML page, not the .wasm. With Vite's dev server, add ` +
        `optimizeDeps: { exclude: ['lucid-optim'] } to vite.config; otherwise ${hint}`,
    );
  }
  return response;
});

export * from './index.js';
