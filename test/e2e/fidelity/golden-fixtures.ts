// The golden fixtures of real torch's Adam and AdamW (scripts/golden/generate.py, schema in
// scripts/golden/README.md), and lucid run over them: what torch-golden.test.ts (Adam) and
// torch-adamw.test.ts (AdamW) share. Each fixture is one case: groups saved as
// `stateDict().paramGroups`, initial parameters, 25 steps of gradients (null: no gradient), lr
// changes, and torch's parameters and state at checkpoints.
import { expect } from 'vitest';
import { goldenFiles } from './golden.js';
import { Parameter, type Adam, type AdamHyperparameters, type SavedParamGroup } from 'lucid-optim';

export interface FixtureState {
  step: number;
  expAvg: number[];
  expAvgSq: number[];
  maxExpAvgSq?: number[];
}
export interface Checkpoint {
  afterStep: number;
  params: number[][];
  state: (FixtureState | null)[];
}
export interface Fixture {
  generatedBy?: string;
  torchVersion: string;
  variant: 'native' | 'nofma';
  cpuCapability?: string;
  case: string;
  /** AdamW's fixtures: the optimizer, and whether torch's Adam(decoupled_weight_decay=True) gave the same bits. */
  optimizer?: string;
  adamDecoupledIdentical?: boolean;
  groups: SavedParamGroup<AdamHyperparameters>[];
  lrSchedule: { afterStep: number; group: number; lr: number }[];
  params: { shape: number[]; initial: number[] }[];
  grads: (number[] | null)[][];
  checkpoints: Checkpoint[];
}

/** lucid's parameters and state at a checkpoint. */
export interface Run {
  afterStep: number;
  params: Float32Array[];
  state: ({ step: number; expAvg: Float32Array; expAvgSq: Float32Array; maxExpAvgSq?: Float32Array } | undefined)[];
}

/** Adam or AdamW. */
export type OptimizerClass = new (...args: ConstructorParameters<typeof Adam>) => Adam;

export const MOMENTS = ['expAvg', 'expAvgSq', 'maxExpAvgSq'] as const;

/** The fixtures under test/fixtures/`dir`/, by case name; throws if the directory is missing or short (golden.ts). */
export function loadFixtures(dir: string): Fixture[] {
  return goldenFiles<Fixture>(dir);
}

/** The lr of group `g` at step `step` (1-based), after the schedule's changes. */
export function lrAt(fx: Fixture, g: number, step: number): number {
  let lr = fx.groups[g].lr;
  for (const change of fx.lrSchedule) if (change.group === g && change.afterStep < step) lr = change.lr;
  return lr;
}

/** The group parameter `i` belongs to. */
export function groupOf(fx: Fixture, i: number): number {
  return fx.groups.findIndex((g) => g.params.includes(i));
}

function optimizer(Optimizer: OptimizerClass, fx: Fixture, params: Parameter[]): Adam {
  return new Optimizer(
    fx.groups.map(({ params: idx, lr, betas, eps, weightDecay, amsgrad, maximize }) => ({
      params: idx.map((i) => params[i]),
      lr,
      betas,
      eps,
      weightDecay,
      amsgrad,
      maximize,
    })),
  );
}

function snapshot(opt: Adam, params: Parameter[], afterStep: number): Run {
  const { state } = opt.stateDict();
  return { afterStep, params: params.map((p) => p.data.slice()), state: params.map((_, i) => state[i]) };
}

/** lucid over the whole fixture, from the initial values, snapshotted at the fixture's checkpoints. */
export function runFull(Optimizer: OptimizerClass, fx: Fixture): Run[] {
  const params = fx.params.map((p) => new Parameter(p.initial, { shape: p.shape }));
  const opt = optimizer(Optimizer, fx, params);
  const out: Run[] = [];
  for (let step = 1; step <= fx.grads.length; step++) {
    fx.grads[step - 1].forEach((g, i) => {
      params[i].grad = g;
    });
    opt.step();
    if (fx.checkpoints.some((c) => c.afterStep === step)) out.push(snapshot(opt, params, step));
    fx.groups.forEach((_, g) => {
      opt.paramGroups[g].lr = lrAt(fx, g, step + 1);
    });
  }
  opt.dispose();
  params.forEach((p) => p.dispose());
  return out;
}

/** The single steps the fixture pins down on both sides: (checkpoint or start) -> next checkpoint. */
export function singleSteps(fx: Fixture): { from: Checkpoint | undefined; to: Checkpoint }[] {
  const starts = [undefined, ...fx.checkpoints];
  return fx.checkpoints.map((to, k) => ({ from: starts[k], to })).filter(({ from, to }) => to.afterStep === (from?.afterStep ?? 0) + 1);
}

/** lucid's one step from torch's own parameters and state at `from` (the start when undefined). */
export function lucidStepFrom(Optimizer: OptimizerClass, fx: Fixture, from: Checkpoint | undefined, step: number): Run {
  const params = fx.params.map((p, i) => new Parameter(from ? from.params[i] : p.initial, { shape: p.shape }));
  const opt = optimizer(Optimizer, fx, params);
  if (from) {
    const state: Record<number, FixtureState> = {};
    from.state.forEach((s, i) => {
      if (s) state[i] = s;
    });
    opt.loadStateDict({ state: state as never, paramGroups: opt.stateDict().paramGroups });
  }
  fx.groups.forEach((_, g) => {
    opt.paramGroups[g].lr = lrAt(fx, g, step);
  });
  fx.grads[step - 1].forEach((g, i) => {
    params[i].grad = g;
  });
  opt.step();
  const run = snapshot(opt, params, step);
  opt.dispose();
  params.forEach((p) => p.dispose());
  return run;
}

/**
 * lucid's moments over the whole run against torch's at every checkpoint: the step counts and
 * which buffers exist are expected equal here; the elements that differ in any bit are returned.
 */
export function momentMismatches(Optimizer: OptimizerClass, fx: Fixture): string[] {
  const runs = runFull(Optimizer, fx);
  const mismatches: string[] = [];
  fx.checkpoints.forEach((cp, k) => {
    cp.state.forEach((want, i) => {
      const got = runs[k].state[i];
      expect(got?.step, `after step ${cp.afterStep}, param ${i}: step`).toBe(want?.step);
      if (!want) return;
      for (const q of MOMENTS) {
        expect(got![q] === undefined, `param ${i} ${q} presence`).toBe(want[q] === undefined);
        want[q]?.forEach((w, e) => {
          if (!Object.is(got![q]![e], w)) mismatches.push(`after step ${cp.afterStep}, param ${i} ${q}[${e}]: ${got![q]![e]} vs torch ${w}`);
        });
      }
    });
  });
  return mismatches;
}
