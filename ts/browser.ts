// Entry point for browsers and bundlers: the wasm-bindgen glue fetches the .wasm from
// new URL('lucid_optim_bg.wasm', import.meta.url), a pattern Vite, webpack and Rollup understand.

import { setDefaultSource } from './wasm.js';

setDefaultSource(async () => undefined);

export * from './index.js';
