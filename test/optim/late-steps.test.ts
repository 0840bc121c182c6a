// Late in training sqrt(1 - beta2^step) rounds to exactly 1.0 in f32 (from step 16,628 with
// beta2 = 0.999) and the WebAssembly SIMD kernel skips dividing by it. Division by 1 changes no
// bit, so the SIMD kernel must still match the scalar reference (which always divides) exactly,
// on both sides of that step. The reference kernel is in the test build only (test/helpers.ts).
import { beforeAll, expect, test } from 'vitest';
import { Adam, Parameter, type AdamOptions, type AdamStateDict } from 'lucid-optim';
import { bits, initReferenceBuild } from '../helpers.js';

beforeAll(() => initReferenceBuild());

const FIRST_EXACT_ONE = 16_628; // checked below against Math.fround(sqrt(1 - 0.999^t))

test('the first step where sqrt(bias_correction2) rounds to 1.0f is 16,628 for beta2 = 0.999', () => {
  const bc2Sqrt = (t: number) => Math.fround(Math.sqrt(1 - 0.999 ** t));
  expect(bc2Sqrt(FIRST_EXACT_ONE)).toBe(1);
  expect(bc2Sqrt(FIRST_EXACT_ONE - 1)).toBeLessThan(1);
});

test.each<[string, AdamOptions]>([
  ['defaults', {}],
  ['amsgrad + weight decay + maximize', { amsgrad: true, weightDecay: 1e-2, maximize: true }],
])('SIMD and scalar kernels agree bit for bit across that step (%s)', (_name, options) => {
  const length = 1003; // a ragged tail after the 4-lane body
  const init = Float32Array.from({ length }, (_, i) => Math.sin(i) * 10 ** ((i % 7) - 3));
  const run = (reference: boolean) => {
    const w = new Parameter(init);
    const opt = new Adam([w], { lr: 1e-3, ...options });
    (opt as unknown as { _useReferenceKernel(on: boolean): void })._useReferenceKernel(reference);
    // Start from saved state just before the threshold.
    const state: AdamStateDict = opt.stateDict();
    const moment = (k: number) => Float32Array.from({ length }, (_, i) => Math.abs(Math.cos(i * k)) * 1e-3);
    state.state[0] = { step: FIRST_EXACT_ONE - 4, expAvg: moment(1.7), expAvgSq: moment(2.3), ...(options.amsgrad ? { maxExpAvgSq: moment(3.1) } : {}) };
    opt.loadStateDict(state);
    const trajectory: number[][] = [];
    for (let t = 0; t < 8; t++) {
      w.grad = Float32Array.from({ length }, (_, i) => Math.sin(i * 0.37 + t) * 10 ** ((i % 5) - 3));
      opt.step();
      trajectory.push(bits(w.data));
    }
    expect(opt.stateDict().state[0].step).toBe(FIRST_EXACT_ONE + 4);
    return trajectory;
  };
  expect(run(false)).toEqual(run(true));
});
