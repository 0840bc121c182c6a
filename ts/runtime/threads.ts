// The worker threads of `init({ threads })`: each is a WebAssembly instance of the shared-memory
// .wasm over the same memory, parked in Rust's worker loop (crates/optim-core/src/parallel/pool.rs)
// and woken by every step that is split across threads. Rust owns the work and its splitting;
// this file starts the workers, notices one that dies, and tears them down.

import { checkInteger } from './validate.js';

/** @internal What one entry point (Node, browser) can do about threads. */
export interface ThreadHost {
  /** Whether this environment has shared WebAssembly memory; if not, why not and what to do. */
  sharedMemory(): { ok: true } | { ok: false; why: string };
  /** The machine's parallelism: `init({ threads: 'auto' })`'s count. */
  parallelism(): number;
  /** Starts a worker running `code` (a classic script, or Node's `eval` code). */
  spawn(code: string, events: WorkerEvents): WorkerHandle;
}

/** @internal What a worker reports. */
export interface WorkerEvents {
  message(data: WorkerMessage): void;
  /** The worker ended or failed outside Rust: an uncaught error, an exit. */
  gone(why: string): void;
}

/** @internal A started worker. */
export interface WorkerHandle {
  post(message: unknown): void;
  terminate(): void;
}

/** @internal What a worker posts. */
export type WorkerMessage = { ready: true } | { stopped: true } | { failed: string };

/** @internal `init`'s `threads`, checked. */
export interface ThreadRequest {
  threads: number;
}

/** The exports of the shared-memory build the pool uses. */
interface PoolExports {
  setWorkers(count: number): void;
  stopWorkers(): void;
}

/** The most threads `init` starts. */
const MAX_THREADS = 256;

/**
 * Each worker's stack, from the shared heap (wasm-bindgen allocates it when the worker starts): a
 * worker only runs the pool's loop and the step's kernels, which need little.
 */
const WORKER_STACK_BYTES = 4 * 65536;

// Runs in every worker: instantiates the module over the shared memory with the imports the
// module declares (only `memory` is ever used: the others are the main thread's glue), starts
// wasm-bindgen's per-thread state (a stack and thread-locals), then parks in Rust's worker loop
// until the pool stops. A trap in that loop tells the pool (workerFailed) so that a step waiting
// for this worker ends with an error instead of a hang.
const WORKER_CODE = `"use strict";
const port = typeof require === "function" ? require("node:worker_threads").parentPort : null;
const post = (message) => (port ? port.postMessage(message) : self.postMessage(message));
const start = ({ module, memory, stackBytes }) => {
  let exports;
  try {
    const imports = {};
    for (const { module: from, name, kind } of WebAssembly.Module.imports(module)) {
      imports[from] ??= {};
      imports[from][name] =
        kind === "memory" ? memory
        : name === "__wbindgen_init_externref_table" ? () => {}
        : () => { throw new Error("lucid-optim worker: the module called " + name); };
    }
    exports = new WebAssembly.Instance(module, imports).exports;
    exports.__wbindgen_start(stackBytes);
  } catch (error) {
    post({ failed: String(error && error.message || error) });
    return;
  }
  post({ ready: true });
  try {
    exports.workerMain();
  } catch (error) {
    exports.workerFailed();
    post({ failed: String(error && error.message || error) });
    return;
  }
  exports.__wbindgen_thread_destroy();
  post({ stopped: true });
};
if (port) port.once("message", start);
else self.onmessage = (event) => { self.onmessage = null; start(event.data); };
`;

let host: ThreadHost | undefined;
let pool: PoolExports | undefined;
/** One started worker. */
interface Started {
  handle: WorkerHandle;
  /** True once it stopped (after disposeThreads) or died. */
  ended: boolean;
  /** Called when it ends. */
  onEnd: (() => void) | undefined;
}
let workers: Started[] = [];
/** Why steps cannot run (a worker died), until disposeThreads. */
let failure: string | undefined;

/** @internal Each entry point says how to start workers there. */
export function setThreadHost(value: ThreadHost): void {
  host = value;
}

/** @internal Checks `init`'s `threads` and resolves `'auto'`; throws what `init` rejects with. */
export function threadRequest(where: string, threads: unknown): ThreadRequest {
  if (threads === undefined) return { threads: 1 };
  const shared = host?.sharedMemory() ?? { ok: false as const, why: 'this environment cannot start workers' };
  if (threads === 'auto') return { threads: shared.ok ? Math.max(1, Math.min(host!.parallelism(), MAX_THREADS)) : 1 };
  if (typeof threads !== 'number') {
    const got = typeof threads === 'string' ? JSON.stringify(threads) : threads === null ? 'null' : typeof threads;
    throw new TypeError(`${where}: threads must be a positive integer or 'auto', got ${got}`);
  }
  checkInteger(where, 'threads', threads, 1, MAX_THREADS);
  if (threads > 1 && !shared.ok) {
    throw new Error(`${where}: threads: ${threads} needs shared WebAssembly memory, and ${shared.why}`);
  }
  return { threads };
}

/** @internal Starts `threads - 1` workers over `memory` and waits until each is about to enter Rust's loop. */
export async function startThreads(threads: number, module: WebAssembly.Module, memory: WebAssembly.Memory, exports: PoolExports): Promise<void> {
  const starting = Array.from({ length: threads - 1 }, (_, i) => {
    const name = `worker thread ${i + 1} of ${threads - 1}`;
    return new Promise<void>((resolve, reject) => {
      const end = (why: string): void => {
        if (started.ended) return;
        started.ended = true;
        reject(new Error(`init: ${name} ${why}`)); // a no-op once it started
        if (pool !== undefined && why !== 'stopped') failure ??= `${name} ${why}`;
        started.onEnd?.();
      };
      const started: Started = {
        ended: false,
        onEnd: undefined,
        handle: host!.spawn(WORKER_CODE, {
          message: (data) => ('ready' in data ? resolve() : end('failed' in data ? `failed: ${data.failed}` : 'stopped')),
          gone: end,
        }),
      };
      workers.push(started);
      started.handle.post({ module, memory, stackBytes: WORKER_STACK_BYTES });
    });
  });
  try {
    await Promise.all(starting);
  } catch (error) {
    for (const worker of workers) worker.handle.terminate();
    workers = [];
    throw error;
  }
  exports.setWorkers(threads - 1);
  pool = exports;
}

/**
 * The threads a step can use: 1 before `init`, with `init()` or `init({ threads: 1 })`, and after
 * {@link disposeThreads}; otherwise the calling thread and every worker `init({ threads })`
 * started.
 */
export function threadCount(): number {
  return pool === undefined ? 1 : workers.length + 1;
}

/**
 * Stops every worker `init({ threads })` started and waits until they are gone; steps run on the
 * calling thread afterwards, with the same bits. Workers never keep a Node process alive, so a
 * script need not call it; a page or a long-running process calls it to give the cores back, and
 * it is the way on after a worker died (steps throw until then).
 */
export async function disposeThreads(): Promise<void> {
  const current = pool;
  if (current === undefined) return;
  pool = undefined;
  failure = undefined;
  const ending = workers;
  workers = [];
  const ends = ending.map((w) => (w.ended ? undefined : new Promise<void>((resolve) => (w.onEnd = resolve))));
  // Every worker leaves Rust's loop, frees its stack and says so; a dead one has ended already.
  current.stopWorkers();
  await Promise.all(ends);
  for (const w of ending) w.handle.terminate();
}

/** @internal Throws, before a step changes anything, if a worker died. */
export function checkThreads(where: string): void {
  if (failure !== undefined) {
    throw new Error(`${where}: ${failure}; the step did not run. Call \`await disposeThreads()\` to go on with one thread`);
  }
}

/**
 * @internal NOT part of the API. Terminates worker `index` (0-based) as a crash would, and resolves
 * once the pool has noticed: for the test that a dead worker gives a clear error, never a hang.
 */
export function _terminateWorker(index: number): Promise<void> {
  const w = workers[index];
  if (w === undefined || w.ended) return Promise.resolve();
  return new Promise<void>((resolve) => {
    w.onEnd = resolve;
    w.handle.terminate();
  });
}
