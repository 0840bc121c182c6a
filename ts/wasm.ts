// Loads the WebAssembly module once and hands out its exports to the rest of the facade.

import initGlue, { RawAdam, RawParameter } from '../build/wasm/simd/lucid_optim.js';

export { RawAdam, RawParameter };

/** Where the `.wasm` can come from: its bytes, a compiled module, or where to fetch it. */
export type WasmSource = BufferSource | WebAssembly.Module | URL | string | Response | Promise<Response>;

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
