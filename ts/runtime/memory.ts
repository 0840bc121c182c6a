// How much WebAssembly memory lucid-optim uses, and making room for more up front.

import { checkInteger } from './validate.js';
import { allocatedBytes, allocationCount, outOfMemoryMessage, reserveRaw, rustError, wasmLimits, wasmMemory } from './wasm.js';

/** What {@link memoryStats} reports. */
export interface MemoryStats {
  /** Bytes lucid-optim currently has allocated: parameters, gradients, optimizer state, bookkeeping. */
  allocatedBytes: number;
  /** Number of those allocations. */
  allocations: number;
  /** Size of the WebAssembly memory (it grows as needed and never shrinks). */
  memoryBytes: number;
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
  checkInteger(where, 'bytes', bytes, 0, wasmLimits(where).maxReserveBytes);
  try {
    reserveRaw(bytes);
  } catch (error) {
    throw new RangeError(`${where}: cannot reserve ${bytes} bytes: ${outOfMemoryMessage(rustError(error))}`);
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
