// The torch fixtures of scripts/golden/optimizers.py and how to replay them, shared by
// torch-optimizers.test.ts (the shipped SIMD kernel) and reference-kernel.test.ts (the scalar
// reference kernel of the test build).
//
// lucid-optim against real torch 2.15, bit for bit, for every algorithm with golden fixtures from
// scripts/golden/optimizers.py (schema in scripts/golden/README.md): each fixture is one case run
// by torch.optim.<Class>(foreach=False) with ATEN_CPU_CAPABILITY=default (no fused multiply-adds,
// each float32 operation rounded on its own, as lucid-optim's kernels), and records torch's
// parameters and `optimizer.state[p]` after every step. Every expected number below is torch's.
//
// Regenerate: .venv-golden/bin/python scripts/golden/optimizers.py
// SparseAdam's (torch-sparse-adam, the same layout with sparse gradients {indices, values} and an
// int step): .venv-golden/bin/python scripts/golden/sparse_adam.py
import { describe, expect, test } from 'vitest';
import * as lucid from 'lucid-optim';
import { Parameter, type Optimizer } from 'lucid-optim';
import { goldenFiles } from './golden.js';

/** Every algorithm's fixture directory (golden.ts holds their counts: a missing one fails the suite). */
export const DIRECTORIES = [
  'torch-adadelta',
  'torch-adagrad',
  'torch-adamax',
  'torch-asgd',
  'torch-nadam',
  'torch-radam',
  'torch-rmsprop',
  'torch-rprop',
  'torch-sgd',
  'torch-sparse-adam',
];

/** A JSON number, or torch's non-finite values as the strings the generator writes. */
type JsonNumber = number | 'NaN' | 'Infinity' | '-Infinity';

interface Fixture {
  generatedBy: string;
  torchVersion: string;
  cpuCapability: string;
  optimizer: string;
  case: string;
  note: string;
  /** The constructor's options (torch's `self.defaults`), where the case gives them (Adagrad fills its sums from them). */
  defaults?: Record<string, unknown>;
  /** Groups with `addedAfterStep` come in through `add_param_group` after that step. */
  groups: ({ params: number[]; addedAfterStep?: number } & Record<string, unknown>)[];
  /** torch's state right after the constructor (Adagrad creates it there), per parameter. */
  initialState?: (Record<string, JsonNumber | JsonNumber[]> | null)[];
  changes: { afterStep: number; group: number; key: string; value: unknown }[];
  params: { shape: number[]; initial: JsonNumber[] }[];
  /** A dense gradient's values, SparseAdam's rows and their values, or null (no gradient). */
  grads: (JsonNumber[] | { indices: number[]; values: JsonNumber[] } | null)[][];
  checkpoints: { afterStep: number; params: JsonNumber[][]; state: (Record<string, JsonNumber | JsonNumber[]> | null)[] }[];
}

const SPECIAL: Record<string, number> = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity };
const f32 = (values: JsonNumber[]) => Float32Array.from(values, (v) => (typeof v === 'number' ? v : SPECIAL[v]));


/** `exp_avg_sq` -> `expAvgSq`: lucid's name of a torch state key. */
const camel = (key: string) => key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** Float32 bits, with every NaN as one NaN (torch's x86 NaNs and WebAssembly's differ in payload). */
function bits(values: Float32Array): string[] {
  const u = new Uint32Array(values.buffer, values.byteOffset, values.length);
  return Array.from(values, (v, i) => (Number.isNaN(v) ? 'NaN' : `0x${u[i].toString(16).padStart(8, '0')}`));
}

const FIXTURES = DIRECTORIES.map((dir) => ({ dir, fixtures: goldenFiles<Fixture>(dir) }));

/** `opt`'s state is torch's `expected` (per parameter: null for no state), after `step` steps. */
function expectState(opt: Optimizer, expected: (Record<string, JsonNumber | JsonNumber[]> | null)[], step: number): void {
  const state = opt.stateDict().state as Record<number, Record<string, unknown>>;
  expected.forEach((torchState, i) => {
    if (torchState === null) {
      expect(state[i], `parameter ${i} has no state after step ${step}, as in torch`).toBeUndefined();
      return;
    }
    const mine = state[i];
    expect(mine, `parameter ${i} has state after step ${step}`).toBeDefined();
    expect(Object.keys(mine), `state keys of parameter ${i}, in torch's order`).toEqual(Object.keys(torchState).map(camel));
    for (const [key, value] of Object.entries(torchState)) {
      const got = mine[camel(key)];
      if (Array.isArray(value)) expect(bits(got as Float32Array), `${key} of parameter ${i} after step ${step}`).toEqual(bits(f32(value)));
      else expect(got, `${key} of parameter ${i} after step ${step}`).toBe(value);
    }
  });
}

/**
 * Declares the suites: every case of every directory, run with `kernel` (the SIMD one, which the
 * package ships, or the scalar reference, which only the test build has: reference-kernel.test.ts).
 */
export function describeTorchFixtures(kernel: 'simd' | 'reference'): void {
  describe.each(FIXTURES.flatMap(({ fixtures }) => fixtures.map((fx) => [fx.optimizer, fx.case, fx] as const)))('torch.optim.%s, %s', (_name, _case, fx) => {
    test('was written by real torch 2.15 without fused multiply-adds', () => {
      expect([fx.torchVersion, fx.cpuCapability]).toEqual(['2.15.0', 'DEFAULT']);
    });

    test(`${kernel} kernel: every parameter and state buffer, after every step, bit for bit`, () => {
      const Class = (lucid as unknown as Record<string, new (groups: unknown[], options?: unknown) => Optimizer>)[fx.optimizer];
      expect(Class, `lucid-optim exports ${fx.optimizer}`).toBeTypeOf('function');
      const params = fx.params.map(({ shape, initial }) => new Parameter(f32(initial), { shape }));
      const group = ({ params: ids, addedAfterStep: _, ...options }: Fixture['groups'][number]) => ({ ...options, params: ids.map((i) => params[i]) });
      const opt = new Class(fx.groups.filter((g) => g.addedAfterStep === undefined).map(group), fx.defaults);
      (opt as unknown as { _useReferenceKernel(on: boolean): void })._useReferenceKernel(kernel === 'reference');
      // The state torch's constructor made (Adagrad's), before any step.
      if (fx.initialState !== undefined) expectState(opt, fx.initialState, 0);
      const checkpoints = new Map(fx.checkpoints.map((c) => [c.afterStep, c]));
      fx.grads.forEach((grads, s) => {
        const step = s + 1;
        grads.forEach((g, i) => (params[i].grad = g === null ? null : Array.isArray(g) ? f32(g) : { indices: g.indices, values: f32(g.values) }));
        opt.step();
        for (const change of fx.changes) if (change.afterStep === step) opt.paramGroups[change.group][change.key] = change.value;
        for (const g of fx.groups) if (g.addedAfterStep === step) opt.addParamGroup(group(g));
        const expected = checkpoints.get(step);
        if (expected === undefined) return;
        expected.params.forEach((p, i) => expect(bits(params[i].data), `parameter ${i} after step ${step}`).toEqual(bits(f32(p))));
        expectState(opt, expected.state, step);
      });
      opt.dispose();
      for (const p of params) p.dispose();
    });
  });
}
