// Helpers shared by the reliability suites.
import { vi } from 'vitest';
import { memoryStats, Parameter } from 'lucid-optim';

/**
 * Grows WebAssembly memory for certain, which detaches every Float32Array view taken before, at
 * the cost of touching about the free memory once (not doubling memory each time): allocates
 * half of what is free, again and again, until an allocation has to grow memory; then frees it all.
 */
export function growMemory(): void {
  const start = memoryStats().memoryBytes;
  const held: Parameter[] = [];
  try {
    while (memoryStats().memoryBytes === start) {
      const { memoryBytes, allocatedBytes } = memoryStats();
      held.push(new Parameter(Math.max(1 << 16, Math.floor((memoryBytes - allocatedBytes) / 8))));
    }
  } finally {
    held.forEach((p) => p.dispose());
  }
}

/** The package's exports. */
export type Lucid = typeof import('lucid-optim');

/**
 * A fresh, initialised instance of the package: its own WebAssembly memory, as small as a new
 * one is, whatever the other tests of the file did to theirs. (Imports made before keep theirs.)
 */
export async function freshInstance(): Promise<Lucid> {
  vi.resetModules();
  const lucid = (await import('lucid-optim')) as Lucid;
  await lucid.init();
  return lucid;
}
