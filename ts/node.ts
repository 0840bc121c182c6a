// Entry point for Node (ESM and CJS): reads the packaged .wasm from disk.

import { readFile } from 'node:fs/promises';
import { availableParallelism, cpus } from 'node:os';
import { Worker } from 'node:worker_threads';
import * as zlib from 'node:zlib';
import { setCrc32 } from './torch/crc32.js';
import { setThreadHost } from './runtime/threads.js';
import { setDefaultSource } from './runtime/wasm.js';

setDefaultSource(async (build) =>
  readFile(build === 'single' ? new URL('./lucid_optim_bg.wasm', import.meta.url) : new URL('./lucid_optim_threads_bg.wasm', import.meta.url)),
);

// Threads are worker_threads, unref'd: a script that used them exits by itself when it is done.
setThreadHost({
  sharedMemory: () => ({ ok: true }),
  // availableParallelism: Node >= 18.14; before it, the CPU count.
  parallelism: () => (typeof availableParallelism === 'function' ? availableParallelism() : cpus().length),
  spawn(code, events) {
    const worker = new Worker(code, { eval: true });
    worker.on('message', events.message);
    worker.on('error', (error) => events.gone(`failed: ${error.message}`));
    worker.on('exit', (code) => events.gone(`exited (code ${code})`));
    // Once started (its first message), it no longer keeps the process alive: unref'd after the
    // listeners, since adding a 'message' listener refs the worker's port again.
    worker.once('message', () => worker.unref());
    return { post: (message) => worker.postMessage(message), terminate: () => void worker.terminate() };
  },
});

// saveTorch's CRC-32 from zlib where this Node has it (≥ 20.15 / 22.2; a namespace import, so
// that older Node still loads this file and keeps the portable one).
const zlibCrc32 = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;
if (typeof zlibCrc32 === 'function') setCrc32(zlibCrc32);

export * from './index.js';
