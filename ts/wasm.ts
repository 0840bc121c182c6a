// Loads the WebAssembly module once and hands out its exports to the rest of the facade.

import initGlue, {
  RawAdam,
  RawParameter,
  allocatedBytes,
  allocationCount,
  reserve as reserveRaw,
} from '../build/wasm/simd/lucid_optim.js';
import { checkInteger } from './errors.js';

export { RawAdam, RawParameter };

/** Where the `.wasm` can come from: its bytes, a compiled module, or where to fetch it. */
export type WasmSource = BufferSource | WebAssembly.Module | URL | string | Response | Promise<Response>;

/** What {@link memoryStats} reports. */
export interface MemoryStats {
  /** Bytes lucid-optim currently has allocated: parameters, gradients, optimizer state, bookkeeping. */
  allocatedBytes: number;
  /** Number of those allocations. */
  allocations: number;
  /** Size of the WebAssembly memory (it grows as needed and never shrinks). */
  memoryBytes: number;
}

let memory: WebAssembly.Memory | undefined;
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

/**
 * Makes room, once and up front, for about `bytes` of parameters and optimizer state, so that
 * creating them afterwards does not grow WebAssembly memory again: views from `param.data` and
 * `param.grad` then stay attached, and there is one pause for growth instead of many.
 *
 * What needs room: a parameter of `n` elements takes `4n` bytes, its gradient `4n` more (at the
 * first `grad` assignment), its optimizer state `8n` (`12n` with AMSGrad) at its first step, and
 * each allocation a few bytes of bookkeeping. So training `n` parameters in all takes about
 * `16n` bytes (`20n` with AMSGrad).
 *
 * Throws a `RangeError` if memory cannot grow that far (it may then have grown part of the way;
 * nothing else changes).
 *
 * @example
 * ```ts
 * await init();
 * reserve(16 * 1_000_000); // room for 1M trainable elements with Adam
 * ```
 */
export function reserve(bytes: number): void {
  const where = 'reserve';
  wasmMemory(where);
  checkInteger(where, 'bytes', bytes, 0, 2 ** 32);
  try {
    reserveRaw(bytes);
  } catch (error) {
    throw new RangeError(`${where}: cannot reserve ${bytes} bytes: ${outOfMemoryMessage(error)}`);
  }
}

/**
 * What lucid-optim has allocated now, and how big WebAssembly memory is; for leak checks
 * (`allocatedBytes` returns to where it was once what was created is disposed) and capacity
 * planning.
 */
export function memoryStats(): MemoryStats {
  const m = wasmMemory('memoryStats');
  return { allocatedBytes: allocatedBytes(), allocations: allocationCount(), memoryBytes: m.buffer.byteLength };
}

/** @internal The rest of an out-of-memory message: the Rust error and how big memory is. */
export function outOfMemoryMessage(error: unknown): string {
  const mib = memory === undefined ? 0 : Math.round(memory.buffer.byteLength / 2 ** 20);
  return (
    `${(error as Error).message} (out of WebAssembly memory: it is ${mib} MiB, and wasm32 allows at most 4096 MiB, ` +
    'some engines less); nothing was changed'
  );
}
