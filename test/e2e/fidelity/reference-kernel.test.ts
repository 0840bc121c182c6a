// The scalar reference kernel against the SIMD kernels, bit for bit, in WebAssembly (where simd128
// runs; optim-core's Rust tests compare them natively). Not a tolerance: both apply the same IEEE
// operations in the same order without fusing, so any difference is a bug in one of them.
//
// The shipped .wasm leaves the reference kernel out (optim-core's `reference-kernel` feature; the
// .wasm size budget in test/runtime/wasm-module.test.ts), so this suite loads the test build,
// `scripts/build-wasm.sh reference` (npm test builds it first): the same Rust with that feature on.
// Every expected number is the SIMD kernel's, or torch's (the fixtures of optimizer-fixtures.ts).
import { describe, expect, it, test } from 'vitest';
import * as lucid from 'lucid-optim';
import { Parameter, type Optimizer } from 'lucid-optim';
import { cases, runCase, CHECKPOINTS } from '../../../reference/trajectory.mjs';
import { bits, describeClass, initReferenceBuild, optimizerClasses, type OptimizerClass } from '../../helpers.js';
import { describeTorchFixtures } from './optimizer-fixtures.js';

// Before the suites are declared: they read each class's spec.
await initReferenceBuild();

// torch's own numbers, with the reference kernel (torch-optimizers.test.ts runs them with SIMD).
describeTorchFixtures('reference');

describe('Adam: the reference kernel gives the SIMD kernel\'s bits on every trajectory case', () => {
  // The cases of reference/trajectory.mjs (trajectory.test.ts bounds the SIMD kernel against float64).
  for (const def of cases()) {
    it(def.name, () => {
      const checkpoints = [CHECKPOINTS.at(-1)!];
      const [simd] = runCase(lucid, def, { checkpoints });
      const [scalar] = runCase(lucid, def, { checkpoints, referenceKernel: true });
      const bitsOf = (x: Float32Array | undefined) => (x === undefined ? undefined : bits(x));
      simd.lucid.params.forEach((p, i) => {
        expect(bitsOf(scalar.lucid.params[i]), `param ${i}`).toEqual(bitsOf(p));
        for (const q of ['expAvg', 'expAvgSq', 'maxExpAvgSq'] as const) {
          expect(bitsOf(scalar.lucid.state[i]?.[q]), `param ${i} ${q}`).toEqual(bitsOf(simd.lucid.state[i]?.[q]));
        }
      });
    });
  }
});

/** Shapes with ragged 4-lane tails, all 2-D (Muon takes nothing else; Adafactor factors them). */
const SHAPES = [[7, 11], [1, 3], [33, 5]];

/** A deterministic gradient with magnitudes over four decades. */
const gradient = (i: number, t: number, length: number) => Float32Array.from({ length }, (_, k) => Math.sin(1.3 * k + 0.7 * t + i) * 10 ** ((k % 5) - 2));

/** Steps `Class` with `options` six times on SHAPES, with the chosen kernel; the parameters and state after. */
function run(Class: OptimizerClass, sparse: boolean, options: Record<string, unknown>, reference: boolean) {
  const params = SHAPES.map(([rows, cols], i) => new Parameter(Float32Array.from({ length: rows * cols }, (_, k) => Math.cos(k + i) * 0.5), { shape: [rows, cols] }));
  const opt: Optimizer = new Class(params, options);
  (opt as unknown as { _useReferenceKernel(on: boolean): void })._useReferenceKernel(reference);
  for (let t = 0; t < 6; t++) {
    params.forEach((p, i) => {
      const [rows, cols] = SHAPES[i];
      // SparseAdam: rows 0 and the last, the first of them twice (coalesced by summing).
      p.grad = sparse ? { indices: [0, rows - 1, 0], values: gradient(i, t, 3 * cols) } : gradient(i, t, rows * cols);
    });
    opt.step();
  }
  const state = opt.stateDict().state as Record<number, Record<string, unknown>>;
  const out = { params: params.map((p) => bits(p.data)), state: Object.values(state).map((s) => Object.fromEntries(Object.entries(s).map(([k, v]) => [k, v instanceof Float32Array ? bits(v) : v]))) };
  opt.dispose();
  for (const p of params) p.dispose();
  return out;
}

describe.each(optimizerClasses())('%s: the reference kernel gives the SIMD kernel\'s bits', (name, Class) => {
  const { options } = describeClass(Class);
  // The defaults, then each of the algorithm's switches on by itself (those a cross rule refuses
  // alone, such as SGD's nesterov without momentum, are left out).
  const configs: Record<string, unknown>[] = [{}, ...options.filter((o) => o.kind === 'flag' && !o.fixed).map((o) => ({ [o.name]: true }))];
  if (name === 'AdamW' || name === 'Adam') configs.push({ betas: [0.3, 0.95], amsgrad: true, maximize: true, eps: 1e-6, weightDecay: 0.3 }); // lerp's other form
  if (name === 'SGD') configs.push({ momentum: 0.9, dampening: 0.1, weightDecay: 1e-2 }, { momentum: 0.9, nesterov: true });
  const sparse = name === 'SparseAdam';

  test.each(configs.map((c) => [JSON.stringify(c), c] as const))('%s', (_label, config) => {
    let simd;
    try {
      simd = run(Class, sparse, config, false);
    } catch (error) {
      if (error instanceof RangeError && Object.keys(config).length === 1) return; // refused alone by a cross rule, as in torch
      throw error;
    }
    expect(run(Class, sparse, config, true)).toEqual(simd);
  });
});
