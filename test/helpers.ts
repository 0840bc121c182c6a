// Shared test helpers: f32-aware comparisons, and the package's optimizer classes.
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import * as lucid from 'lucid-optim';
import type { Optimizer } from 'lucid-optim';
import { optimizerNames, schedulerNames } from './e2e/browser/fixtures/exports.mjs';

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

/**
 * Loads the test build of the `.wasm` (`scripts/build-wasm.sh reference`, which `npm test` runs
 * first): the shipped Rust plus the scalar reference kernel, so that `_useReferenceKernel(true)`
 * works. Call it instead of `init()` in a suite that compares the kernels; every other suite tests
 * the shipped `.wasm`, which has no reference kernel.
 */
export function initReferenceBuild(): Promise<void> {
  return lucid.init(readFileSync(new URL('../build/wasm/reference/lucid_optim_bg.wasm', import.meta.url)));
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

/** Any optimizer class of the package, as the suites that walk them all construct one. */
export type OptimizerClass = new (params: unknown, options?: object) => Optimizer;

/** One option of an algorithm's spec, as the suites read it (internal: `_spec`, not in the published types). */
export interface SpecOption {
  name: string;
  kind: 'number' | 'tuple' | 'flag' | 'choice' | 'torch';
  slot: number;
  /** Slots it takes (a tuple's length). */
  width: number;
  /** A choice's values (`null`: torch's None). */
  choices: (string | null)[];
  fixed: boolean;
  /** Each slot's rule, numbered as crates/optim-wasm/src/spec.rs exports optim-core's `Rule`. */
  rules: number[];
}

/** Every optimizer class the package exports, by its exported name (a new algorithm is found without an edit; the rule is test/e2e/browser/fixtures/exports.mjs's). */
export function optimizerClasses(): [string, OptimizerClass][] {
  return optimizerNames(lucid).map((name): [string, OptimizerClass] => [name, (lucid as unknown as Record<string, OptimizerClass>)[name]]);
}

/** Whether `Class` takes sparse gradients only (SparseAdam; its spec says so). */
export function takesSparseGrads(Class: OptimizerClass): boolean {
  const probe = new Class([{ params: [] }]);
  const sparse = (probe as unknown as { _spec: { sparseGrads: boolean } })._spec.sparseGrads;
  probe.dispose();
  return sparse;
}

/**
 * Gives `p` the gradient `values` as an optimizer takes it: dense, or (`sparse`: SparseAdam) as a
 * sparse gradient with every row of the first dimension once, in order, whose step is the one a
 * dense gradient of the same values would make. The suites that walk every optimizer use it.
 */
export function setGrad(p: lucid.Parameter, values: ArrayLike<number> | null, sparse: boolean): void {
  p.grad = values === null || !sparse ? values : { indices: Array.from({ length: p.shape[0] ?? 1 }, (_, r) => r), values };
}

/** Every scheduler class the package exports, by its exported name (the rule is exports.mjs's). */
export function schedulerClassNames(): string[] {
  return schedulerNames(lucid);
}

/** What an optimizer of `Class` over no parameters says of itself: its defaults (torch's) and its spec's options. */
export function describeClass(Class: OptimizerClass): { defaults: Record<string, unknown>; options: SpecOption[]; rowLen: number; name: string } {
  const probe = new Class([{ params: [] }]);
  const spec = (probe as unknown as { _spec: { options: SpecOption[]; rowLen: number; name: string } })._spec;
  const defaults = { ...(probe.defaults as Record<string, unknown>) };
  probe.dispose();
  return { defaults, options: spec.options, rowLen: spec.rowLen, name: spec.name };
}
