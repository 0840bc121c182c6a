// Loads the WebAssembly module once and hands out its exports to the rest of the facade: the raw
// classes, the specs, limits and codes Rust defines (exported from crates/optim-wasm, never
// retyped here), and the helpers for views into WebAssembly memory.

import initGlue, {
  AverageMode,
  BufferUse,
  CrossRule,
  ErrorKind,
  Extent,
  FieldKind,
  LbfgsOp,
  LbfgsVector,
  RawError,
  RawLbfgs,
  RawOptimizer,
  RawParameter,
  RawSpec,
  Rule,
  StepOutcome,
  algorithmIndex,
  averageParams,
  allocatedBytes,
  allocationCount,
  bufferShape as bufferShapeRaw,
  buffersInUse,
  buffersRequired,
  checkRow,
  clipGradNorm as clipGradNormRaw,
  clipIds,
  maxElements,
  maxReserveBytes,
  maxStep,
  reserve as reserveRaw,
  ruleText,
  takeAverageError,
  takeClipError,
} from '../../build/wasm/simd/lucid_optim.js';

export {
  AverageMode,
  BufferUse,
  CrossRule,
  ErrorKind,
  Extent,
  FieldKind,
  LbfgsOp,
  LbfgsVector,
  RawError,
  RawLbfgs,
  RawOptimizer,
  RawParameter,
  RawSpec,
  Rule,
  StepOutcome,
  algorithmIndex,
  averageParams,
  allocatedBytes,
  allocationCount,
  bufferShapeRaw,
  buffersInUse,
  buffersRequired,
  checkRow,
  clipGradNormRaw,
  clipIds,
  reserveRaw,
  ruleText,
  takeAverageError,
  takeClipError,
};

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
let defaultSource: (() => Promise<WasmSource | undefined>) | undefined;

/** @internal Each entry point (Node, browser) says where the packaged `.wasm` is. */
export function setDefaultSource(source: () => Promise<WasmSource | undefined>): void {
  defaultSource = source;
}

/**
 * Loads lucid-optim's WebAssembly module. Call it once before anything else; later and concurrent
 * calls return the same promise (a source passed to them is ignored). If loading fails the promise
 * rejects and the next call tries again.
 *
 * Without an argument, Node reads the packaged `lucid_optim_bg.wasm` from disk and browsers fetch
 * it from `new URL('lucid_optim_bg.wasm', import.meta.url)`. Pass bytes, a `WebAssembly.Module`,
 * a `URL` or a `Response` to load it from elsewhere.
 */
export function init(source?: WasmSource): Promise<void> {
  loading ??= (async () => {
    const moduleOrPath = source ?? (await defaultSource?.());
    const exports = await initGlue(moduleOrPath === undefined ? undefined : { module_or_path: moduleOrPath });
    limits = Object.freeze({ maxElements: maxElements(), maxStep: maxStep(), maxReserveBytes: maxReserveBytes() });
    memory = exports.memory;
  })().catch((error: unknown) => {
    loading = undefined;
    throw error;
  });
  return loading;
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
  if (!(error instanceof RawError)) throw error;
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
