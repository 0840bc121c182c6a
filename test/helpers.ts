// Shared test helpers: f32-aware comparisons.
import { expect } from 'vitest';

/**
 * Expects `actual` (f32 results) to equal `expected` (the f64 value of a hand derivation) within
 * `ulps` f32 ulps of the expected value: the kernel rounds each of its ~10 operations to f32,
 * so a few ulps separate it from exact arithmetic.
 */
export function expectCloseF32(actual: ArrayLike<number>, expected: readonly number[], ulps = 4, what = 'value'): void {
  expect(actual.length, `${what}.length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const tolerance = ulps * 2 ** -23 * Math.max(Math.abs(expected[i]), 1e-30);
    const error = Math.abs(actual[i] - expected[i]);
    expect(error, `${what}[${i}]: got ${actual[i]}, expected ${expected[i]}`).toBeLessThanOrEqual(tolerance);
  }
}

/** The f32 bit patterns of a buffer, for bitwise comparisons with readable diffs. */
export function bits(values: Float32Array): number[] {
  return Array.from(new Uint32Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength)));
}

/** What `act` threw (a test failure if it returned). */
export function thrownBy(act: () => unknown): Error {
  try {
    act();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a throw');
}

/** `undefined` if `act` returned, otherwise what it threw. */
export function outcome(act: () => unknown): Error | undefined {
  try {
    act();
    return undefined;
  } catch (error) {
    return error as Error;
  }
}
