// Loads the WebAssembly module once and hands out its exports to the rest of the facade: the raw
// classes, the specs, limits and codes Rust defines (exported from crates/optim-wasm, never
// retyped here), and the helpers for views into WebAssembly memory.

// Two builds of the same Rust, each with its wasm-bindgen glue: the one every user gets (one thread)
// and the shared-memory one `init({ threads })` loads (scripts/build-wasm.sh threads). Their
// exports are the same (the shared one has the worker pool's besides): the bindings below are
// the single-thread glue's until init() picks the other.
import * as single from '../../build/wasm/simd/lucid_optim.js';
import * as shared from '../../build/wasm/threads/lucid_optim.js';
import { startThreads, threadRequest, type ThreadRequest } from './threads.js';

// The enums are plain objects of the same values in both glues (the same Rust enums).
import { AverageMode, BufferUse, CrossRule, ErrorKind, Extent, FieldKind, LbfgsOp, LbfgsVector, Rule, StepOutcome } from '../../build/wasm/simd/lucid_optim.js';
export { AverageMode, BufferUse, CrossRule, ErrorKind, Extent, FieldKind, LbfgsOp, LbfgsVector, Rule, StepOutcome };

type Glue = typeof single;
// The classes' instance types, for annotations; the same in both glues.
export type RawError = single.RawError;
export type RawLbfgs = single.RawLbfgs;
export type RawOptimizer = single.RawOptimizer;
export type RawParameter = single.RawParameter;
export type RawSpec = single.RawSpec;
// `let`: ES modules export live bindings, so every importer sees the glue init() picked.
export let RawError: Glue['RawError'] = single.RawError;
export let RawLbfgs: Glue['RawLbfgs'] = single.RawLbfgs;
export let RawOptimizer: Glue['RawOptimizer'] = single.RawOptimizer;
export let RawParameter: Glue['RawParameter'] = single.RawParameter;
export let RawSpec: Glue['RawSpec'] = single.RawSpec;
export let algorithmIndex = single.algorithmIndex;
export let averageParams = single.averageParams;
export let allocatedBytes = single.allocatedBytes;
export let allocationCount = single.allocationCount;
export let bufferShapeRaw = single.bufferShape;
export let buffersInUse = single.buffersInUse;
export let buffersRequired = single.buffersRequired;
export let checkRow = single.checkRow;
export let clipGradNormRaw = single.clipGradNorm;
export let clipIds = single.clipIds;
export let reserveRaw = single.reserve;
export let ruleText = single.ruleText;
export let takeAverageError = single.takeAverageError;
export let takeClipError = single.takeClipError;

/** Points every binding above at `glue`'s exports (a binding added above goes here too: with threads on, the single-thread glue is never initialised, and test/runtime/threads.test.ts would fail). */
function use(glue: Glue): void {
  ({ RawError, RawLbfgs, RawOptimizer, RawParameter, RawSpec, algorithmIndex, averageParams, allocatedBytes, allocationCount } = glue);
  ({ buffersInUse, buffersRequired, checkRow, clipIds, ruleText, takeAverageError, takeClipError } = glue);
  bufferShapeRaw = glue.bufferShape;
  clipGradNormRaw = glue.clipGradNorm;
  reserveRaw = glue.reserve;
}

/** Where the `.wasm` can come from: its bytes, a compiled module, or where to fetch it. */
export type WasmSource = BufferSource | WebAssembly.Module | URL | string | Response | Promise<Response>;

/** @internal The limits Rust defines, read once from the module. */
export interface Limits {
  /** The most elements one parameter or state buffer holds (crates/optim-wasm `MAX_ELEMENTS`). */
  readonly maxElements: number;
  /** The most steps a parameter's state counts (optim-core `MAX_STEP`, 2^53 - 1). */
  readonly maxStep: number;
  /** The most bytes `reserve` accepts (2^32). */
  readonly maxReserveBytes: number;
}

let memory: WebAssembly.Memory | undefined;
let limits: Limits | undefined;
let loading: Promise<void> | undefined;
let defaultSource: ((build: Build) => Promise<WasmSource | undefined>) | undefined;

/** @internal Which `.wasm`: `'single'` (lucid_optim_bg.wasm) or `'shared'` (lucid_optim_threads_bg.wasm). */
export type Build = 'single' | 'shared';

/** @internal Each entry point (Node, browser) says where the packaged `.wasm` files are. */
export function setDefaultSource(source: (build: Build) => Promise<WasmSource | undefined>): void {
  defaultSource = source;
}

/** What {@link init} takes besides a bare source. */
export interface InitOptions {
  /**
   * Threads a step may use: a positive integer, or `'auto'` for every core (Node's
   * `os.availableParallelism()`, a page's `navigator.hardwareConcurrency`) where shared
   * WebAssembly memory is available, and one thread elsewhere. Default 1: the single-thread
   * `.wasm`, as without options. More than one loads the shared-memory `.wasm` and starts
   * `threads - 1` workers (Node `worker_threads`, which never keep the process alive; a page's Web
   * Workers, which need the page to be cross-origin isolated). A step of an element-wise optimizer
   * over enough elements is then split across them, with the same bits as on one thread.
   */
  threads?: number | 'auto';
  /**
   * Where to load the `.wasm` from (bytes, a compiled `WebAssembly.Module`, a `URL` or a
   * `Response`): the shared-memory build (`lucid_optim_threads_bg.wasm`) when `threads` is more
   * than 1, the other one otherwise. Default: the one packaged beside the JavaScript.
   */
  source?: WasmSource;
}

/**
 * Loads lucid-optim's WebAssembly module. Call it once before anything else; later and concurrent
 * calls return the same promise (what is passed to them is ignored). If loading fails the promise
 * rejects and the next call tries again.
 *
 * Without an argument, Node reads the packaged `lucid_optim_bg.wasm` from disk and browsers fetch
 * it from `new URL('lucid_optim_bg.wasm', import.meta.url)`. Pass bytes, a `WebAssembly.Module`,
 * a `URL` or a `Response` to load it from elsewhere, or {@link InitOptions} for threads.
 *
 * A bad `threads` rejects with a TypeError or RangeError naming it; more than one thread where
 * shared WebAssembly memory is unavailable (a page that is not cross-origin isolated) rejects
 * with an Error that says what the page needs. Neither counts as a call.
 *
 * @example
 * ```ts
 * await init({ threads: 'auto' }); // every core in Node; see threadCount()
 * ```
 */
export function init(options?: WasmSource | InitOptions): Promise<void> {
  if (loading !== undefined) return loading;
  let request: ThreadRequest;
  let source: WasmSource | undefined;
  try {
    ({ request, source } = initOptions(options));
  } catch (error) {
    return Promise.reject(error);
  }
  loading = (async () => {
    const build: Build = request.threads > 1 ? 'shared' : 'single';
    const moduleOrPath = source ?? (await defaultSource?.(build));
    if (build === 'single') {
      const exports = await single.default(moduleOrPath === undefined ? undefined : { module_or_path: moduleOrPath });
      memory = exports.memory;
    } else {
      // The workers instantiate the same compiled module over the same memory.
      const module = await compile(moduleOrPath);
      const exports = await shared.default({ module_or_path: module });
      await startThreads(request.threads, module, exports.memory, shared);
      // The same exports (and the pool's): the single-thread glue's types describe it.
      use(shared as unknown as Glue);
      memory = exports.memory;
    }
    const glue = build === 'single' ? single : shared;
    limits = Object.freeze({ maxElements: glue.maxElements(), maxStep: glue.maxStep(), maxReserveBytes: glue.maxReserveBytes() });
  })().catch((error: unknown) => {
    loading = undefined;
    memory = undefined;
    throw error;
  });
  return loading;
}

/** `init`'s argument: a bare source, or options (a plain object). */
function initOptions(options: WasmSource | InitOptions | undefined): { request: ThreadRequest; source: WasmSource | undefined } {
  const plain = typeof options === 'object' && options !== null && Object.getPrototypeOf(options) === Object.prototype;
  if (!plain) return { request: threadRequest('init', undefined), source: options as WasmSource | undefined };
  const { threads, source } = options as InitOptions;
  return { request: threadRequest('init', threads), source };
}

/** The compiled module, from any source `init` takes (the glue does this itself for one thread). */
async function compile(source: WasmSource | undefined): Promise<WebAssembly.Module> {
  if (source === undefined) throw new Error('init: no .wasm to load; pass its bytes, a URL or a WebAssembly.Module as `source`');
  if (source instanceof WebAssembly.Module) return source;
  if (typeof source === 'string' || source instanceof URL) source = fetch(source);
  const resolved = await source;
  if (typeof Response === 'function' && resolved instanceof Response) return WebAssembly.compile(await resolved.arrayBuffer());
  return WebAssembly.compile(resolved as BufferSource);
}

/** @internal The module's memory; throws a clear error when `init()` has not finished. */
export function wasmMemory(where: string): WebAssembly.Memory {
  if (memory === undefined) {
    throw new TypeError(`${where}: lucid-optim is not initialised; call \`await init()\` first`);
  }
  return memory;
}

/** @internal The limits Rust defines; throws like {@link wasmMemory} before `init()`. */
export function wasmLimits(where: string): Limits {
  wasmMemory(where);
  return limits!;
}

/** Why a call into Rust failed (internal: not exported from the package): a plain copy of a `RawError` (crates/optim-wasm/src/error.rs). */
export interface RustError {
  kind: ErrorKind;
  group: number | undefined;
  param: number | undefined;
  /** The slot of the hyperparameter concerned in its group's row (the spec says which field). */
  slot: number | undefined;
  rule: Rule | undefined;
  cross: CrossRule | undefined;
  value: number;
  bytes: number;
}

/**
 * @internal `error` (thrown by an export, or returned by `RawOptimizer.takeError()`) copied out of Rust,
 * and the Rust object freed at once, so that a failed call leaves nothing allocated. Anything that
 * is not a `RawError` (a bug) is rethrown as it is.
 */
export function rustError(error: unknown): RustError {
  if (!(error instanceof single.RawError) && !(error instanceof shared.RawError)) throw error;
  const copy = {
    kind: error.kind,
    group: error.group,
    param: error.param,
    slot: error.slot,
    rule: error.rule,
    cross: error.cross,
    value: error.value,
    bytes: error.bytes,
  };
  error.free();
  return copy;
}

/** @internal The rest of an out-of-memory message: the failed request and how big memory is. */
export function outOfMemoryMessage(error: RustError): string {
  const { bytes } = error;
  const mib = memory === undefined ? 0 : Math.round(memory.buffer.byteLength / 2 ** 20);
  return (
    `cannot allocate ${bytes} bytes (out of WebAssembly memory: it is ${mib} MiB, and wasm32 allows at most 4096 MiB, ` +
    'some engines less); nothing was changed'
  );
}

/** True for a typed array whose buffer was detached (e.g. by WebAssembly memory growth). */
export function isDetached(view: ArrayBufferView): boolean {
  const buffer = view.buffer as ArrayBuffer & { detached?: boolean };
  if (typeof buffer.detached === 'boolean') return buffer.detached; // ES2024
  if (buffer.byteLength !== 0 || !(buffer instanceof ArrayBuffer)) return false;
  try {
    buffer.slice(0); // throws on a detached buffer, and only there
    return false;
  } catch {
    return true;
  }
}

/**
 * `values`, or a copy of it if it is a view into WebAssembly memory (`buffer`): call before an
 * allocation that may grow memory, which would detach such a view before it is read.
 */
export function copyIfIn(values: ArrayLike<number>, buffer: ArrayBufferLike): ArrayLike<number> {
  return ArrayBuffer.isView(values) && values.buffer === buffer ? Float32Array.from(values) : values;
}
