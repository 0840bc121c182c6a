// Helpers shared by the reliability suites.
import { memoryStats, Parameter } from 'lucid-optim';

/**
 * Grows WebAssembly memory for certain, which detaches every Float32Array view taken before: asks
 * for more than all the memory not allocated now (so no free block can hold it), then frees it.
 */
export function growMemory(): void {
  const { memoryBytes, allocatedBytes } = memoryStats();
  const big = new Parameter(Math.ceil((memoryBytes - allocatedBytes) / 4) + (1 << 16));
  big.dispose();
  if (memoryStats().memoryBytes <= memoryBytes) throw new Error('growMemory: memory did not grow');
}

/** Plain-data copy of anything with typed arrays, for toEqual comparisons that keep NaN and -0. */
export function plain<T>(value: T): T {
  return structuredClone(value);
}
