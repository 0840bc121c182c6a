// Scheduler state dicts: plain JSON (no functions, typed arrays or infinities), copies, and a resume
// through JSON, in either order, that continues bit for bit like the uninterrupted run.
// (torch-fixtures.test.ts checks resumes against torch's uninterrupted runs for its configurations;
// here every scheduler resumes at several points, ReduceLROnPlateau before its first step, with
// best = Infinity, included.)
import { beforeAll, describe, expect, test } from 'vitest';
import {
  ChainedScheduler,
  ConstantLR,
  CosineAnnealingLR,
  CosineAnnealingWarmRestarts,
  CyclicLR,
  ExponentialLR,
  LambdaLR,
  LinearLR,
  MultiStepLR,
  MultiplicativeLR,
  OneCycleLR,
  PolynomialLR,
  ReduceLROnPlateau,
  SequentialLR,
  StepLR,
  SWALR,
  init,
  type Adam,
} from 'lucid-optim';
import { expectExactRow, fixtureOptimizer, jsonRoundTrip, optimizerStep, schedulerStep, type AnyScheduler } from './scheduler-helpers.js';

beforeAll(() => init());

const STEPS = 40;
/** A metric that improves, then stalls (ReduceLROnPlateau reduces a few times in 40 steps). */
const metric = (k: number) => 10 - Math.min(k, 12) * 0.5 + (k % 3) * 0.01;

const CONFIGS: [string, (opt: Adam) => AnyScheduler][] = [
  ['LambdaLR', (opt) => new LambdaLR(opt, { lrLambda: [(e) => Math.min(1, (e + 1) / 10), (e) => 1 / (1 + e)] })],
  ['StepLR', (opt) => new StepLR(opt, { stepSize: 6, gamma: 0.7 })],
  ['MultiStepLR', (opt) => new MultiStepLR(opt, { milestones: [3, 9, 9, 30], gamma: 0.6 })],
  ['ExponentialLR', (opt) => new ExponentialLR(opt, { gamma: 0.93 })],
  ['CosineAnnealingLR', (opt) => new CosineAnnealingLR(opt, { tMax: 17, etaMin: 1e-4 })],
  ['LinearLR', (opt) => new LinearLR(opt, { startFactor: 0.1, endFactor: 0.9, totalIters: 20 })],
  ['ConstantLR', (opt) => new ConstantLR(opt, { factor: 0.3, totalIters: 11 })],
  ['PolynomialLR', (opt) => new PolynomialLR(opt, { totalIters: 30, power: 1.7 })],
  ['OneCycleLR', (opt) => new OneCycleLR(opt, { maxLr: [0.1, 0.02], totalSteps: STEPS, threePhase: true })],
  ['CosineAnnealingWarmRestarts', (opt) => new CosineAnnealingWarmRestarts(opt, { t0: 4, tMult: 2, etaMin: 1e-3 })],
  [
    'SequentialLR',
    (opt) =>
      new SequentialLR(opt, {
        schedulers: [new LinearLR(opt, { startFactor: 0.05, totalIters: 8 }), new CosineAnnealingLR(opt, { tMax: 20 }), new ExponentialLR(opt, { gamma: 0.9 })],
        milestones: [8, 28],
      }),
  ],
  ['ReduceLROnPlateau', (opt) => new ReduceLROnPlateau(opt, { patience: 2, factor: 0.5, cooldown: 1 })],
  ['MultiplicativeLR', (opt) => new MultiplicativeLR(opt, { lrLambda: [() => 0.97, (e) => 1 - 1 / (e + 10)] })],
  ['CyclicLR', (opt) => new CyclicLR(opt, { baseLr: [0.001, 0.0005], maxLr: [0.1, 0.02], stepSizeUp: 6, stepSizeDown: 9, mode: 'triangular2' })],
  ['ChainedScheduler', (opt) => new ChainedScheduler([new LinearLR(opt, { startFactor: 0.1, totalIters: 8 }), new ExponentialLR(opt, { gamma: 0.95 })])],
  ['SWALR', (opt) => new SWALR(opt, { swaLr: [0.02, 0.001], annealEpochs: 15 })],
];

/** torch's `last_epoch`; a ChainedScheduler has none. */
const lastEpochOf = (sched: AnyScheduler) => (sched instanceof ChainedScheduler ? null : sched.lastEpoch);

/** The lr and betas[0] of every group: what a resume must reproduce. */
function row(opt: Adam): number[] {
  return opt.paramGroups.flatMap((g) => [g.lr, g.betas[0]]);
}

/** True when `value` is made of JSON's own types only (no functions, typed arrays, undefined, NaN or infinities). */
function isPlainJson(value: unknown): boolean {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (Array.isArray(value)) return value.every(isPlainJson);
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) return Object.values(value as object).every(isPlainJson);
  return false;
}

describe.each(CONFIGS)('%s', (name, make) => {
  // The uninterrupted run's rows (computed once, after init()).
  let rows: number[][] | undefined;
  const reference = () => (rows ??= run());
  const run = () => {
    const opt = fixtureOptimizer();
    const sched = make(opt);
    const out = [row(opt)];
    for (let k = 1; k <= STEPS; k++) {
      optimizerStep(opt);
      schedulerStep(sched, metric(k));
      out.push(row(opt));
    }
    return out;
  };

  test('stateDict() is plain JSON, and a copy', () => {
    const opt = fixtureOptimizer();
    const sched = make(opt);
    for (let k = 1; k <= 5; k++) schedulerStep(sched, metric(k));
    const state = sched.stateDict();
    expect(isPlainJson(state), JSON.stringify(state)).toBe(true);
    expect(JSON.parse(JSON.stringify(state))).toEqual(state);
    const lastLr = sched.getLastLr();
    state.lastLr[0] = 99;
    expect(sched.getLastLr()).toEqual(lastLr);
    expect(sched.stateDict()).not.toEqual(state);
    // getLastLr() is a copy too.
    sched.getLastLr()[0] = 42;
    expect(sched.getLastLr()).toEqual(lastLr);
  });

  test.each([
    [0, 'scheduler first'],
    [1, 'scheduler first'],
    [7, 'scheduler first'],
    [23, 'scheduler first'],
    [1, 'optimizer first'],
    [7, 'optimizer first'],
    [23, 'optimizer first'],
  ] as const)(`resumed through JSON after %i steps (%s) continues bit for bit`, (at, order) => {
    const opt = fixtureOptimizer();
    const sched = make(opt);
    for (let k = 1; k <= at; k++) {
      optimizerStep(opt);
      schedulerStep(sched, metric(k));
    }
    const savedOpt = jsonRoundTrip(opt.stateDict());
    const savedSched = JSON.parse(JSON.stringify(sched.stateDict())) as never;
    const opt2 = fixtureOptimizer();
    // "optimizer first" is torch's recipe, where torch's own resume goes wrong for LambdaLR, OneCycleLR,
    // CosineAnnealingWarmRestarts (one step), LinearLR, ConstantLR and SequentialLR (for good).
    if (order === 'optimizer first') opt2.loadStateDict(savedOpt);
    const sched2 = make(opt2);
    if (order === 'scheduler first') opt2.loadStateDict(savedOpt);
    sched2.loadStateDict(savedSched);
    expect(lastEpochOf(sched2)).toBe(lastEpochOf(sched));
    expect(sched2.getLastLr()).toEqual(sched.getLastLr());
    expect(sched2.stateDict()).toEqual(sched.stateDict());
    expectExactRow(row(opt2), reference()[at], `row ${at}`);
    for (let k = at + 1; k <= STEPS; k++) {
      optimizerStep(opt2);
      schedulerStep(sched2, metric(k));
      expectExactRow(row(opt2), reference()[k], `row ${k}`);
    }
  });
});

describe('what the state dicts hold', () => {
  test("the optimizer's state dict saves initialLr (and OneCycleLR's group keys), as torch's does", () => {
    const opt = fixtureOptimizer();
    new OneCycleLR(opt, { maxLr: 0.1, totalSteps: 10, divFactor: 10, finalDivFactor: 100 });
    const group = opt.stateDict().paramGroups[0];
    // initial_lr = max_lr / div_factor, min_lr = initial_lr / final_div_factor; betas[0] = max_momentum.
    // The lr of step 0 is _annealing_cos(initial_lr, max_lr, 0) = max_lr + (initial_lr - max_lr) / 2.0 * (cos(0) + 1)
    // = 0.1 + (-0.045) * 2 = 0.009999999999999995, not initial_lr (torch's fixtures show the same: 0.0040000000000000036).
    expect(group).toMatchObject({ initialLr: 0.01, maxLr: 0.1, minLr: 0.0001, maxMomentum: 0.95, baseMomentum: 0.85, betas: [0.95, 0.999] });
    expect(group.lr).toBe(0.009999999999999995);
  });

  test('LambdaLR saves no functions; the scheduler loaded into keeps its own', () => {
    const opt = fixtureOptimizer();
    const sched = new LambdaLR(opt, { lrLambda: (e) => 1 / (e + 1) });
    sched.step();
    const state = sched.stateDict();
    expect(state.lrLambdas).toEqual([null, null]);
    const other = new LambdaLR(fixtureOptimizer(), { lrLambda: () => 0.5 });
    other.loadStateDict(state);
    other.step();
    // base_lr * lmbda(2) with the loader's lambda: 0.1 * 0.5, 0.003 * 0.5.
    expect(other.getLastLr()).toEqual([0.05, 0.0015]);
  });

  test("loadStateDict restores the options too, as torch's __dict__.update does", () => {
    const opt = fixtureOptimizer();
    const sched = new CosineAnnealingLR(opt, { tMax: 10 });
    const other = new CosineAnnealingLR(fixtureOptimizer(), { tMax: 20 });
    other.loadStateDict(sched.stateDict());
    expect(other.stateDict().tMax).toBe(10);
  });

  test('ReduceLROnPlateau before its first step saves best as "Infinity" ("-Infinity" in max mode)', () => {
    const min = new ReduceLROnPlateau(fixtureOptimizer());
    const max = new ReduceLROnPlateau(fixtureOptimizer(), { mode: 'max' });
    expect(min.stateDict().best).toBe('Infinity');
    expect(max.stateDict().best).toBe('-Infinity');
    const loaded = new ReduceLROnPlateau(fixtureOptimizer(), { mode: 'max' });
    loaded.loadStateDict(JSON.parse(JSON.stringify(min.stateDict())));
    expect(loaded.best).toBe(Infinity);
    expect(loaded.stateDict()).toEqual(min.stateDict());
  });

  test("SequentialLR's state dict holds every scheduler's", () => {
    const opt = fixtureOptimizer();
    const warmup = new LinearLR(opt, { startFactor: 0.1, totalIters: 3 });
    const decay = new ExponentialLR(opt, { gamma: 0.5 });
    const sched = new SequentialLR(opt, { schedulers: [warmup, decay], milestones: [3] });
    for (let i = 0; i < 5; i++) sched.step();
    const state = sched.stateDict();
    expect(state.milestones).toEqual([3]);
    expect(state.lastEpoch).toBe(5);
    expect(state.schedulers).toEqual([warmup.stateDict(), decay.stateDict()]);
    // The warm-up stopped at its epoch 2; the decay restarted at 0 at the milestone and took 2 steps.
    expect(state.schedulers.map((s) => s.lastEpoch)).toEqual([2, 2]);
  });
});
