// Entry point for Node (ESM and CJS): reads the packaged .wasm from disk.

import { readFile } from 'node:fs/promises';
import { setDefaultSource } from './wasm.js';

setDefaultSource(async () => readFile(new URL('./lucid_optim_bg.wasm', import.meta.url)));

export * from './index.js';
