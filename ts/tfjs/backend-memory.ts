// The one faster path of lucid-optim/tfjs, through a backend's internals: on tfjs-backend-wasm,
// a float32 tensor's values can be read where they are, in the backend's WebAssembly memory,
// instead of through `dataSync()`, which first copies them out into a new array. Every step reads
// each trained variable and its gradient, so this saves two copies per variable per step.
//
// Nothing here is tfjs's public API, so everything is checked before use, and anything unexpected
// (another backend, another tfjs version's layout, data not yet in the backend) answers `null`:
// the caller then reads through `dataSync()`. The view is only read from, at once, to copy into
// lucid-optim's memory; no tensor is ever made from it.

import { engine, getBackend, type Tensor } from '@tensorflow/tfjs-core';

/** What tfjs-backend-wasm 4.x keeps per tensor (backend_wasm.ts `TensorData`), as far as it is read here. */
interface WasmTensorData {
  memoryOffset: unknown;
  dtype: unknown;
  shape: unknown;
}

/** tfjs-backend-wasm 4.x's backend object, as far as it is read here. */
interface WasmBackend {
  wasm?: { HEAPU8?: unknown };
  dataIdMap?: { has?: unknown; get?: unknown };
}

/**
 * A view of `tensor`'s float32 values in tfjs-backend-wasm's memory, valid until the next tfjs or
 * lucid-optim call; `null` when the current backend is not `wasm` or anything does not look as
 * expected.
 */
export function wasmBackendView(tensor: Tensor): Float32Array | null {
  if (getBackend() !== 'wasm' || tensor.dtype !== 'float32') return null;
  const backend = engine().backend as unknown as WasmBackend;
  const heap = backend.wasm?.HEAPU8;
  const map = backend.dataIdMap;
  if (!(heap instanceof Uint8Array) || typeof map?.has !== 'function' || typeof map.get !== 'function') return null;
  // has() first: get() would move data from another backend into this one.
  if (map.has(tensor.dataId) !== true) return null;
  const data = map.get(tensor.dataId) as WasmTensorData | undefined;
  const offset = data?.memoryOffset;
  if (data?.dtype !== 'float32' || !Array.isArray(data.shape)) return null;
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset % 4 !== 0) return null;
  const size = (data.shape as unknown[]).reduce<number>((n, d) => n * (typeof d === 'number' ? d : NaN), 1);
  if (size !== tensor.size || offset + 4 * size > heap.byteLength) return null;
  return new Float32Array(heap.buffer, heap.byteOffset + offset, size);
}
