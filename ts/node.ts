// Entry point for Node (ESM and CJS): reads the packaged .wasm from disk.

import { readFile } from 'node:fs/promises';
import * as zlib from 'node:zlib';
import { setCrc32 } from './torch/crc32.js';
import { setDefaultSource } from './runtime/wasm.js';

setDefaultSource(async () => readFile(new URL('./lucid_optim_bg.wasm', import.meta.url)));

// saveTorch's CRC-32 from zlib where this Node has it (≥ 20.15 / 22.2; a namespace import, so
// that older Node still loads this file and keeps the portable one).
const zlibCrc32 = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;
if (typeof zlibCrc32 === 'function') setCrc32(zlibCrc32);

export * from './index.js';
