// Rust's buffer of parameter ids (optim-core's ParamRegistry), shared by every call that names
// parameters by id in one WebAssembly call: clipGradNorm and AveragedModel.update. One cache for
// both, because growing the buffer moves it: a second cache would keep the old address.

import { clipIds, outOfMemoryMessage, rustError, takeClipError, wasmMemory } from '../runtime/wasm.js';

let ids = new Uint32Array(0);
let idsPtr = 0;
let idsCapacity = 0;

/**
 * A view of Rust's id buffer with room for at least `count` ids, valid until the next call into
 * WebAssembly that may allocate. Throws a RangeError (changing nothing else) if memory cannot
 * hold them.
 */
export function paramIds(where: string, count: number): Uint32Array {
  const memory = wasmMemory(where);
  if (count > idsCapacity) {
    // Room for twice as many, so that a list that grows by one does not reallocate each time. The
    // buffer is a cache: a call refused after this keeps it (memoryStats() counts it).
    const capacity = Math.max(count, 2 * idsCapacity, 16);
    const ptr = clipIds(capacity);
    if (ptr === 0) throw new RangeError(`${where}: cannot make room for ${count} parameter ids: ${outOfMemoryMessage(rustError(takeClipError()))}`);
    idsPtr = ptr;
    idsCapacity = capacity;
  }
  if (ids.buffer !== memory.buffer || ids.length !== idsCapacity) ids = new Uint32Array(memory.buffer, idsPtr, idsCapacity);
  return ids;
}
