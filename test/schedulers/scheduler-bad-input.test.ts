// Bad input to the schedulers: a TypeError (wrong type, unknown key) or RangeError (right type, value
// outside the rule) that names the field and the value, and that changes nothing: neither the
// optimizer's groups nor the scheduler's own state. (What torch itself refuses, entry by entry, is in
// torch-fixtures.test.ts.)
import { beforeAll, describe, expect, test } from 'vitest';
import {
  Adam,
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
  Parameter,
  PolynomialLR,
  ReduceLROnPlateau,
  SequentialLR,
  StepLR,
  SWALR,
  SGD,
  init,
} from 'lucid-optim';
import { fixtureOptimizer, groupsSnapshot, schedulerSnapshot, type AnyScheduler } from './scheduler-helpers.js';

beforeAll(() => init());

/** Calls `call`, expecting `kind` with a message matching every pattern. */
function expectError(call: () => unknown, kind: typeof TypeError | typeof RangeError, ...patterns: (string | RegExp)[]): void {
  let error: unknown;
  try {
    call();
  } catch (e) {
    error = e;
  }
  expect(error, 'must throw').toBeInstanceOf(kind);
  for (const p of patterns) expect((error as Error).message).toMatch(p);
}

type Make = (opt: Adam, options: unknown) => AnyScheduler;

/** Each scheduler: how to make it, valid options, a misspelt key and a field with a wrong value. */
const SCHEDULERS: { name: string; make: Make; valid: Record<string, unknown>; misspelt: [string, string]; wrongType: [string, unknown] }[] = [
  { name: 'LambdaLR', make: (o, x) => new LambdaLR(o, x as never), valid: { lrLambda: () => 1 }, misspelt: ['lr_lambda', 'lrLambda'], wrongType: ['lrLambda', 0.5] },
  { name: 'StepLR', make: (o, x) => new StepLR(o, x as never), valid: { stepSize: 3 }, misspelt: ['step_size', 'stepSize'], wrongType: ['stepSize', '3'] },
  { name: 'MultiStepLR', make: (o, x) => new MultiStepLR(o, x as never), valid: { milestones: [3] }, misspelt: ['Milestones', 'milestones'], wrongType: ['milestones', 3] },
  { name: 'ExponentialLR', make: (o, x) => new ExponentialLR(o, x as never), valid: { gamma: 0.9 }, misspelt: ['Gamma', 'gamma'], wrongType: ['gamma', '0.9'] },
  { name: 'CosineAnnealingLR', make: (o, x) => new CosineAnnealingLR(o, x as never), valid: { tMax: 10 }, misspelt: ['T_max', 'tMax'], wrongType: ['etaMin', null] },
  { name: 'LinearLR', make: (o, x) => new LinearLR(o, x as never), valid: {}, misspelt: ['start_factor', 'startFactor'], wrongType: ['totalIters', true] },
  { name: 'ConstantLR', make: (o, x) => new ConstantLR(o, x as never), valid: {}, misspelt: ['total_iters', 'totalIters'], wrongType: ['factor', [0.5]] },
  { name: 'PolynomialLR', make: (o, x) => new PolynomialLR(o, x as never), valid: {}, misspelt: ['Power', 'power'], wrongType: ['power', '2'] },
  { name: 'OneCycleLR', make: (o, x) => new OneCycleLR(o, x as never), valid: { maxLr: 0.1, totalSteps: 10 }, misspelt: ['max_lr', 'maxLr'], wrongType: ['threePhase', 1] },
  { name: 'CosineAnnealingWarmRestarts', make: (o, x) => new CosineAnnealingWarmRestarts(o, x as never), valid: { t0: 5 }, misspelt: ['T_0', 't0'], wrongType: ['tMult', '2'] },
  {
    name: 'SequentialLR',
    make: (o, x) => new SequentialLR(o, x as never),
    valid: { schedulers: [], milestones: [] }, // filled per optimizer below
    misspelt: ['Milestones', 'milestones'],
    wrongType: ['milestones', 'none'],
  },
  { name: 'ReduceLROnPlateau', make: (o, x) => new ReduceLROnPlateau(o, x as never), valid: {}, misspelt: ['min_lr', 'minLr'], wrongType: ['mode', 1] },
  { name: 'MultiplicativeLR', make: (o, x) => new MultiplicativeLR(o, x as never), valid: { lrLambda: () => 0.9 }, misspelt: ['lr_lambda', 'lrLambda'], wrongType: ['lrLambda', 0.9] },
  { name: 'CyclicLR', make: (o, x) => new CyclicLR(o, x as never), valid: { baseLr: 0.001, maxLr: 0.1 }, misspelt: ['step_size_up', 'stepSizeUp'], wrongType: ['cycleMomentum', 'yes'] },
  { name: 'SWALR', make: (o, x) => new SWALR(o, x as never), valid: { swaLr: 0.01 }, misspelt: ['swa_lr', 'swaLr'], wrongType: ['annealEpochs', '5'] },
];

/** Valid options on `opt` (SequentialLR needs children on it). */
function validOptions(name: string, valid: Record<string, unknown>, opt: Adam): Record<string, unknown> {
  if (name !== 'SequentialLR') return valid;
  return { schedulers: [new LinearLR(opt), new ExponentialLR(opt, { gamma: 0.9 })], milestones: [5] };
}

describe.each(SCHEDULERS)('$name construction', ({ name, make, valid, misspelt, wrongType }) => {
  test('refuses something that is not an optimizer', () => {
    const cases: [unknown, typeof TypeError | typeof RangeError, string][] = [
      [null, TypeError, 'optimizer must be an optimizer with paramGroups (Adam, AdamW), got null'],
      [5, TypeError, 'optimizer must be an optimizer with paramGroups (Adam, AdamW), got 5'],
      [{ paramGroups: 'x' }, TypeError, 'optimizer must be an optimizer with paramGroups'],
      [{ paramGroups: [] }, RangeError, 'optimizer.paramGroups must be non-empty, got []'],
      [{ paramGroups: [{ lr: '0.1' }] }, TypeError, 'optimizer.paramGroups[0].lr must be a number, got "0.1"'],
    ];
    for (const [bad, kind, message] of cases) expectError(() => make(bad as never, valid), kind, `${name}: ${message}`);
  });

  test('refuses options that are not an object, a misspelt key, and a wrong type, changing nothing', () => {
    const opt = fixtureOptimizer();
    const options = validOptions(name, valid, opt);
    const before = groupsSnapshot(opt);
    expectError(() => make(opt, 5), TypeError, `${name}: options must be an object, got 5`);
    expectError(() => make(opt, { ...options, [misspelt[0]]: 1 }), TypeError, `${name}: ${misspelt[0]} is not an option (did you mean ${misspelt[1]}?), got 1`);
    expectError(() => make(opt, { ...options, learningRate: 1 }), TypeError, `${name}: learningRate is not an option (known: `);
    expectError(() => make(opt, { ...options, [wrongType[0]]: wrongType[1] }), TypeError, `${name}: ${wrongType[0]} must be`);
    expect(groupsSnapshot(opt)).toEqual(before);
    make(opt, options); // and the valid options work
  });
});

describe('option ranges', () => {
  const cases: [string, () => unknown, typeof TypeError | typeof RangeError, string][] = [
    ['CosineAnnealingLR tMax 0', () => new CosineAnnealingLR(fixtureOptimizer(), { tMax: 0 }), RangeError, 'CosineAnnealingLR: tMax must be an integer >= 1, got 0'],
    ['CosineAnnealingLR tMax -10', () => new CosineAnnealingLR(fixtureOptimizer(), { tMax: -10 }), RangeError, 'tMax must be an integer >= 1, got -10'],
    ['CosineAnnealingLR tMax 2.5', () => new CosineAnnealingLR(fixtureOptimizer(), { tMax: 2.5 }), RangeError, 'tMax must be an integer >= 1, got 2.5'],
    ['CosineAnnealingLR etaMin NaN', () => new CosineAnnealingLR(fixtureOptimizer(), { tMax: 5, etaMin: NaN }), RangeError, 'etaMin must be a finite number >= 0, got NaN'],
    ['CosineAnnealingLR etaMin -1', () => new CosineAnnealingLR(fixtureOptimizer(), { tMax: 5, etaMin: -1 }), RangeError, 'etaMin must be a finite number >= 0, got -1'],
    ['MultiStepLR milestones decreasing', () => new MultiStepLR(fixtureOptimizer(), { milestones: [5, 3] }), RangeError, 'MultiStepLR: milestones[1] must be at least milestones[0] (5): milestones must be increasing, got 3'],
    ['MultiStepLR milestone 1.5', () => new MultiStepLR(fixtureOptimizer(), { milestones: [1.5] }), RangeError, 'milestones[0] must be an integer in [0, 2147483647], got 1.5'],
    ['MultiStepLR milestone "3"', () => new MultiStepLR(fixtureOptimizer(), { milestones: ['3'] as never }), TypeError, 'milestones[0] must be a number, got "3"'],
    ['StepLR stepSize 0', () => new StepLR(fixtureOptimizer(), { stepSize: 0 }), RangeError, 'StepLR: stepSize must be an integer >= 1, got 0'],
    ['ExponentialLR gamma Infinity', () => new ExponentialLR(fixtureOptimizer(), { gamma: Infinity }), RangeError, 'gamma must be a finite number >= 0, got Infinity'],
    ['ExponentialLR without gamma', () => new ExponentialLR(fixtureOptimizer(), {} as never), TypeError, 'ExponentialLR: gamma must be a number, got undefined'],
    ['LinearLR startFactor 0', () => new LinearLR(fixtureOptimizer(), { startFactor: 0 }), RangeError, 'LinearLR: startFactor must be in (0, 1], got 0'],
    ['LinearLR endFactor 1.5', () => new LinearLR(fixtureOptimizer(), { endFactor: 1.5 }), RangeError, 'endFactor must be in [0, 1], got 1.5'],
    ['ConstantLR factor 0', () => new ConstantLR(fixtureOptimizer(), { factor: 0 }), RangeError, 'ConstantLR: factor must be in (0, 1] (the lr is divided by it at totalIters), got 0'],
    ['PolynomialLR power -1', () => new PolynomialLR(fixtureOptimizer(), { power: -1 }), RangeError, 'PolynomialLR: power must be a finite number >= 0, got -1'],
    ['CosineAnnealingWarmRestarts tMult 0', () => new CosineAnnealingWarmRestarts(fixtureOptimizer(), { t0: 5, tMult: 0 }), RangeError, 'tMult must be an integer >= 1, got 0'],
    ['OneCycleLR without totalSteps', () => new OneCycleLR(fixtureOptimizer(), { maxLr: 0.1 }), TypeError, 'OneCycleLR: totalSteps must be given (totalSteps, or epochs and stepsPerEpoch), got undefined'],
    ['OneCycleLR epochs without stepsPerEpoch', () => new OneCycleLR(fixtureOptimizer(), { maxLr: 0.1, epochs: 3 }), TypeError, 'OneCycleLR: stepsPerEpoch must be given'],
    ['OneCycleLR maxLr per group of the wrong length', () => new OneCycleLR(fixtureOptimizer(), { maxLr: [0.1], totalSteps: 10 }), RangeError, 'OneCycleLR: maxLr.length must be 2 (one per param group), got 1'],
    ['OneCycleLR pctStart 1.5', () => new OneCycleLR(fixtureOptimizer(), { maxLr: 0.1, totalSteps: 10, pctStart: 1.5 }), RangeError, 'pctStart must be in [0, 1], got 1.5'],
    ['OneCycleLR annealStrategy "exp"', () => new OneCycleLR(fixtureOptimizer(), { maxLr: 0.1, totalSteps: 10, annealStrategy: 'exp' as never }), RangeError, 'annealStrategy must be one of "cos", "linear", got "exp"'],
    ['OneCycleLR baseMomentum 1', () => new OneCycleLR(fixtureOptimizer(), { maxLr: 0.1, totalSteps: 10, baseMomentum: 1 }), RangeError, 'baseMomentum must be in [0, 1), got 1'],
    ['OneCycleLR a phase of no steps (torch: ZeroDivisionError)', () => new OneCycleLR(fixtureOptimizer(), { maxLr: 0.1, totalSteps: 10, pctStart: 0.1 }), RangeError, 'OneCycleLR: phase 0 of the cycle (pctStart 0.1, totalSteps 10) must be longer than 0 steps, got 0'],
    ['LambdaLR lambdas of the wrong length', () => new LambdaLR(fixtureOptimizer(), { lrLambda: [() => 1] }), RangeError, 'LambdaLR: lrLambda.length must be 2 (one per param group), got 1'],
    ['LambdaLR a lambda returning a string', () => new LambdaLR(fixtureOptimizer(), { lrLambda: () => 'x' as never }), TypeError, 'LambdaLR: lrLambda(0) must be a number, got "x"'],
    ['ReduceLROnPlateau factor 1', () => new ReduceLROnPlateau(fixtureOptimizer(), { factor: 1 }), RangeError, 'ReduceLROnPlateau: factor must be in [0, 1), got 1'],
    ['ReduceLROnPlateau mode "avg"', () => new ReduceLROnPlateau(fixtureOptimizer(), { mode: 'avg' as never }), RangeError, 'mode must be one of "min", "max", got "avg"'],
    ['ReduceLROnPlateau minLr per group of the wrong length', () => new ReduceLROnPlateau(fixtureOptimizer(), { minLr: [0] }), RangeError, 'minLr.length must be 2 (one per param group), got 1'],
    ['ReduceLROnPlateau patience -1', () => new ReduceLROnPlateau(fixtureOptimizer(), { patience: -1 }), RangeError, 'patience must be an integer >= 0, got -1'],
    ['MultiplicativeLR lambdas of the wrong length', () => new MultiplicativeLR(fixtureOptimizer(), { lrLambda: [() => 1] }), RangeError, 'MultiplicativeLR: lrLambda.length must be 2 (one per param group), got 1'],
    ['CyclicLR without maxLr', () => new CyclicLR(fixtureOptimizer(), { baseLr: 0.001 } as never), TypeError, 'CyclicLR: maxLr must be a number, got undefined'],
    ['CyclicLR mode "bogus" (torch: ValueError)', () => new CyclicLR(fixtureOptimizer(), { baseLr: 0.001, maxLr: 0.1, mode: 'bogus' as never }), RangeError, 'CyclicLR: mode must be one of "triangular", "triangular2", "exp_range", got "bogus"'],
    ['CyclicLR stepSizeUp 0', () => new CyclicLR(fixtureOptimizer(), { baseLr: 0.001, maxLr: 0.1, stepSizeUp: 0 }), RangeError, 'CyclicLR: stepSizeUp must be an integer >= 1, got 0'],
    ['CyclicLR gamma 0', () => new CyclicLR(fixtureOptimizer(), { baseLr: 0.001, maxLr: 0.1, gamma: 0 }), RangeError, 'CyclicLR: gamma must be a finite number > 0, got 0'],
    ['CyclicLR maxMomentum 1', () => new CyclicLR(fixtureOptimizer(), { baseLr: 0.001, maxLr: 0.1, maxMomentum: 1 }), RangeError, 'CyclicLR: maxMomentum must be in [0, 1), got 1'],
    ['CyclicLR scaleFn not a function', () => new CyclicLR(fixtureOptimizer(), { baseLr: 0.001, maxLr: 0.1, scaleFn: 2 as never }), TypeError, 'CyclicLR: scaleFn must be a function, got 2'],
    ['SWALR without swaLr', () => new SWALR(fixtureOptimizer(), {} as never), TypeError, 'SWALR: swaLr must be a number, got undefined'],
    ['SWALR annealStrategy "exp" (torch: ValueError)', () => new SWALR(fixtureOptimizer(), { swaLr: 0.01, annealStrategy: 'exp' as never }), RangeError, 'SWALR: annealStrategy must be one of "cos", "linear", got "exp"'],
    ['SWALR annealEpochs -1 (torch: ValueError)', () => new SWALR(fixtureOptimizer(), { swaLr: 0.01, annealEpochs: -1 }), RangeError, 'SWALR: annealEpochs must be an integer >= 0, got -1'],
    ['ChainedScheduler of no schedulers (torch: ValueError)', () => new ChainedScheduler([]), RangeError, 'ChainedScheduler: schedulers must be non-empty (at least one scheduler), got []'],
    ['ChainedScheduler of something else', () => new ChainedScheduler([5 as never]), TypeError, 'ChainedScheduler: schedulers[0] must be an LRScheduler, got 5'],
  ];
  test.each(cases)('%s', (_name, call, kind, message) => {
    expectError(call, kind, message);
  });
});

describe('a failed construction changes nothing', () => {
  test('OneCycleLR: no initialLr, maxLr, minLr or momentum keys, and the same betas arrays', () => {
    const opt = fixtureOptimizer();
    const betas = opt.paramGroups.map((g) => g.betas);
    const before = groupsSnapshot(opt);
    expectError(() => new OneCycleLR(opt, { maxLr: 0.1, totalSteps: 10, pctStart: 0.1 }), RangeError, 'phase 0');
    expect(groupsSnapshot(opt)).toEqual(before);
    opt.paramGroups.forEach((g, i) => {
      expect(g.betas).toBe(betas[i]);
      expect(g).not.toHaveProperty('initialLr');
      expect(g).not.toHaveProperty('maxLr');
    });
  });

  test('LambdaLR whose lambda throws at epoch 0: no initialLr, lr unchanged', () => {
    const opt = fixtureOptimizer();
    const before = groupsSnapshot(opt);
    const boom = new Error('boom');
    expect(() => new LambdaLR(opt, { lrLambda: () => { throw boom; } })).toThrow(boom);
    expect(groupsSnapshot(opt)).toEqual(before);
  });

  test('SequentialLR: the children and the groups are as they were', () => {
    const opt = fixtureOptimizer();
    const a = new LinearLR(opt, { startFactor: 0.5 });
    const b = new ExponentialLR(opt, { gamma: 0.5 });
    const snapshot = () => [groupsSnapshot(opt), schedulerSnapshot(a), schedulerSnapshot(b)];
    const before = snapshot();
    const other = new CosineAnnealingLR(fixtureOptimizer(), { tMax: 5 });
    expectError(() => new SequentialLR(opt, { schedulers: [a, other], milestones: [3] }), TypeError, 'SequentialLR: schedulers[1].optimizer must be the optimizer given to SequentialLR');
    expectError(() => new SequentialLR(opt, { schedulers: [a, b], milestones: [3, 3] }), RangeError, 'SequentialLR: milestones.length must be 1 (one fewer than the schedulers), got 2');
    expectError(() => new SequentialLR(opt, { schedulers: [a, b, b], milestones: [3, 3] }), RangeError, 'SequentialLR: milestones[1] must be greater than milestones[0] (3), got 3');
    const plateau = new ReduceLROnPlateau(opt);
    expectError(() => new SequentialLR(opt, { schedulers: [a, plateau as never], milestones: [3] }), TypeError, 'SequentialLR: schedulers[1] must be an LRScheduler (ReduceLROnPlateau needs a metric');
    expectError(() => new SequentialLR(opt, { schedulers: [], milestones: [] }), RangeError, 'SequentialLR: schedulers must be non-empty');
    expect(snapshot()).toEqual(before);
  });

  test('SequentialLR whose first scheduler throws when SequentialLR replays its initial step: all restored', () => {
    const opt = fixtureOptimizer();
    // LambdaLR's construction calls the lambda once per group (2 calls); SequentialLR's replay calls it again.
    let calls = 0;
    const first = new LambdaLR(opt, {
      lrLambda: () => {
        if (calls++ >= 2) throw new RangeError('replayed');
        return 0.5;
      },
    });
    const second = new ExponentialLR(opt, { gamma: 0.5 });
    const snapshot = () => [groupsSnapshot(opt), schedulerSnapshot(first), schedulerSnapshot(second)];
    const before = snapshot();
    // By then SequentialLR had reset every lr to initialLr and moved both schedulers back one epoch.
    expect(() => new SequentialLR(opt, { schedulers: [first, second], milestones: [3] })).toThrow('replayed');
    expect(snapshot()).toEqual(before);
  });
});

describe('the new schedulers refuse what torch refuses, changing nothing', () => {
  test('CyclicLR with cycleMomentum over an optimizer with neither betas nor momentum (torch: ValueError)', () => {
    const opt = fixtureOptimizer();
    const before = groupsSnapshot(opt);
    const noMomentum = { paramGroups: opt.paramGroups, defaults: { lr: 0.1 } };
    expectError(() => new CyclicLR(noMomentum, { baseLr: 0.001, maxLr: 0.1 }), TypeError, 'CyclicLR: optimizer.defaults must be an object with betas or momentum');
    expect(groupsSnapshot(opt)).toEqual(before);
  });

  test('CyclicLR over SGD cycles its momentum; without cycleMomentum, none', () => {
    const sgd = new SGD([new Parameter([1])], { lr: 0.1, momentum: 0.5 });
    new CyclicLR(sgd, { baseLr: 0.01, maxLr: 0.1, stepSizeUp: 4 });
    // Creating it sets lr to baseLr and momentum to maxMomentum (torch's defaults 0.8 and 0.9).
    expect(sgd.paramGroups[0]).toMatchObject({ lr: 0.01, momentum: 0.9, maxMomentum: 0.9, baseMomentum: 0.8 });
    const plain = new SGD([new Parameter([1])], { lr: 0.1, momentum: 0.5 });
    new CyclicLR(plain, { baseLr: 0.01, maxLr: 0.1, cycleMomentum: false });
    expect(plain.paramGroups[0]).toMatchObject({ lr: 0.01, momentum: 0.5 });
    expect(plain.paramGroups[0]).not.toHaveProperty('maxMomentum');
  });

  test("CyclicLR: a scaleFn that returns no number refuses the step, changing nothing", () => {
    const opt = fixtureOptimizer();
    let calls = 0;
    const sched = new CyclicLR(opt, { baseLr: 0.001, maxLr: 0.1, stepSizeUp: 3, scaleFn: () => (calls++ < 2 ? 1 : ('x' as never)) });
    sched.step();
    const groups = groupsSnapshot(opt);
    const state = schedulerSnapshot(sched);
    expectError(() => sched.step(), TypeError, 'CyclicLR.step: scaleFn(1) must be a number, got "x"');
    expect(groupsSnapshot(opt)).toEqual(groups);
    expect(schedulerSnapshot(sched)).toEqual(state);
  });

  test('ChainedScheduler: schedulers of two optimizers, or ReduceLROnPlateau, are refused (torch: ValueError)', () => {
    const opt = fixtureOptimizer();
    const a = new LinearLR(opt, { startFactor: 0.5 });
    const b = new ExponentialLR(fixtureOptimizer(), { gamma: 0.9 });
    expectError(() => new ChainedScheduler([a, b]), TypeError, 'ChainedScheduler: schedulers[1].optimizer must be the optimizer of the other schedulers');
    expectError(() => new ChainedScheduler([a, new ReduceLROnPlateau(opt) as never]), TypeError, 'ChainedScheduler: schedulers[1] must be an LRScheduler (ReduceLROnPlateau needs a metric');
  });

  test('ChainedScheduler: a scheduler that refuses its step leaves every scheduler and the groups as they were', () => {
    const opt = fixtureOptimizer();
    const first = new ExponentialLR(opt, { gamma: 0.9 });
    const last = new OneCycleLR(opt, { maxLr: 0.1, totalSteps: 3 });
    const chain = new ChainedScheduler([first, last]);
    for (let k = 0; k < 3; k++) chain.step();
    const snapshot = () => [groupsSnapshot(opt), schedulerSnapshot(first), schedulerSnapshot(last), chain.stateDict()];
    const before = snapshot();
    // ExponentialLR steps first, then OneCycleLR refuses a 4th step of 3: the whole chain is undone.
    expectError(() => chain.step(), RangeError, 'OneCycleLR.step: the step number must be at most totalSteps (3)');
    expect(snapshot()).toEqual(before);
  });

  test('ChainedScheduler.loadStateDict refuses a state of another chain, changing nothing', () => {
    const opt = fixtureOptimizer();
    const chain = new ChainedScheduler([new LinearLR(opt), new ExponentialLR(opt, { gamma: 0.9 })]);
    chain.step();
    const before = [groupsSnapshot(opt), chain.stateDict()];
    const saved = chain.stateDict();
    expectError(() => chain.loadStateDict({ ...saved, schedulers: saved.schedulers.slice(1) }), RangeError, 'ChainedScheduler.loadStateDict: stateDict.schedulers.length must be 2');
    expectError(() => chain.loadStateDict({ lastLr: saved.lastLr } as never), TypeError, 'stateDict.schedulers must be present');
    const broken = JSON.parse(JSON.stringify(saved));
    broken.schedulers[1].gamma = 'x';
    expectError(() => chain.loadStateDict(broken), TypeError, 'stateDict.schedulers[1].gamma');
    expect([groupsSnapshot(opt), chain.stateDict()]).toEqual(before);
  });
});

describe('bad input at step() changes nothing', () => {
  /** Steps `sched` once expecting `kind`, and checks that neither the groups nor the scheduler changed. */
  function expectAtomic(opt: Adam, sched: AnyScheduler, step: () => void, kind: typeof TypeError | typeof RangeError, ...patterns: (string | RegExp)[]) {
    const groups = groupsSnapshot(opt);
    const state = schedulerSnapshot(sched);
    expectError(step, kind, ...patterns);
    expect(groupsSnapshot(opt)).toEqual(groups);
    expect(schedulerSnapshot(sched)).toEqual(state);
  }

  test('OneCycleLR stepped past totalSteps (torch: ValueError, after advancing last_epoch)', () => {
    const opt = fixtureOptimizer();
    const sched = new OneCycleLR(opt, { maxLr: 0.1, totalSteps: 10 });
    for (let i = 0; i < 10; i++) sched.step();
    expectAtomic(opt, sched, () => sched.step(), RangeError, 'OneCycleLR.step: the step number must be at most totalSteps (10); the cycle is over, got 11');
    expect(sched.lastEpoch).toBe(10);
  });

  test("a group's lr that is not a number", () => {
    const opt = fixtureOptimizer();
    const sched = new CosineAnnealingLR(opt, { tMax: 10 });
    sched.step();
    opt.paramGroups[1].lr = '0.1' as never;
    expectAtomic(opt, sched, () => sched.step(), TypeError, 'CosineAnnealingLR.step: optimizer.paramGroups[1].lr must be a number, got "0.1"');
  });

  test('a group added after the scheduler was created', () => {
    const opt = fixtureOptimizer();
    const sched = new ExponentialLR(opt, { gamma: 0.9 });
    opt.addParamGroup({ params: [new Parameter([1])] });
    expectAtomic(opt, sched, () => sched.step(), RangeError, 'ExponentialLR.step: optimizer.paramGroups.length must be 2 (the group count when the scheduler was created; create schedulers after adding groups), got 3');
  });

  test('a LambdaLR lambda that returns a non-number at some epoch', () => {
    const opt = fixtureOptimizer();
    const sched = new LambdaLR(opt, { lrLambda: [(e) => 1 / (e + 1), (e) => (e === 3 ? (undefined as never) : 1)] });
    sched.step();
    sched.step();
    expectAtomic(opt, sched, () => sched.step(), TypeError, 'LambdaLR.step: lrLambda[1](3) must be a number, got undefined');
    expect(sched.lastEpoch).toBe(2);
    // The scheduler did not advance: its next step is epoch 3 again, and fails the same way.
    expectAtomic(opt, sched, () => sched.step(), TypeError, 'lrLambda[1](3)');
  });

  test('OneCycleLR whose group keys were removed or broken', () => {
    const opt = fixtureOptimizer();
    const sched = new OneCycleLR(opt, { maxLr: 0.1, totalSteps: 20 });
    sched.step();
    opt.paramGroups[0].maxLr = 'high';
    expectAtomic(opt, sched, () => sched.step(), TypeError, 'OneCycleLR.step: optimizer.paramGroups[0].maxLr must be a number, got "high"');
    opt.paramGroups[0].maxLr = 0.1;
    opt.paramGroups[1].betas = 0.9 as never;
    expectAtomic(opt, sched, () => sched.step(), TypeError, 'OneCycleLR.step: optimizer.paramGroups[1].betas must be an array [beta1, beta2], got 0.9');
  });

  test('MultiStepLR whose gamma ** count overflows (Python: OverflowError)', () => {
    const opt = fixtureOptimizer();
    const sched = new MultiStepLR(opt, { milestones: [1, 1], gamma: 1e200 });
    expectAtomic(opt, sched, () => sched.step(), RangeError, 'MultiStepLR.step: gamma ** 2 must be finite (Python raises OverflowError), got Infinity');
  });

  test('LinearLR { totalIters: 0 } restarted by SequentialLR (torch: ZeroDivisionError in the closed form)', () => {
    const opt = fixtureOptimizer();
    const first = new ExponentialLR(opt, { gamma: 0.9 });
    const second = new LinearLR(opt, { totalIters: 0 });
    const sched = new SequentialLR(opt, { schedulers: [first, second], milestones: [2] });
    sched.step();
    expectAtomic(opt, sched, () => sched.step(), RangeError, 'SequentialLR.step: totalIters must be at least 1 where SequentialLR restarts this scheduler (torch divides by it), got 0');
  });

  test('ReduceLROnPlateau.step with a metric that is not a number', () => {
    const opt = fixtureOptimizer();
    const sched = new ReduceLROnPlateau(opt, { patience: 0 });
    sched.step(1);
    expectAtomic(opt, sched, () => sched.step('0.5' as never), TypeError, 'ReduceLROnPlateau.step: metric must be a number, got "0.5"');
    expectAtomic(opt, sched, () => sched.step(undefined as never), TypeError, 'metric must be a number, got undefined');
  });

  test('ReduceLROnPlateau given minLr per group, after a group was added (torch: RuntimeError)', () => {
    const opt = fixtureOptimizer();
    const sched = new ReduceLROnPlateau(opt, { patience: 0, minLr: [0, 0] });
    sched.step(1);
    opt.addParamGroup({ params: [new Parameter([1])] });
    expectAtomic(opt, sched, () => sched.step(2), RangeError, 'ReduceLROnPlateau.step: optimizer.paramGroups.length must be 2 (one per minLr given at construction), got 3');
  });
});

describe('loadStateDict refuses a bad state dict, changing nothing', () => {
  function expectRefused(sched: AnyScheduler, opt: Adam, state: unknown, kind: typeof TypeError | typeof RangeError, ...patterns: (string | RegExp)[]) {
    const groups = groupsSnapshot(opt);
    const before = schedulerSnapshot(sched);
    expectError(() => sched.loadStateDict(state as never), kind, ...patterns);
    expect(schedulerSnapshot(sched)).toEqual(before);
    expect(groupsSnapshot(opt)).toEqual(groups);
  }

  test('unknown, missing and ill-typed keys, wrong lengths', () => {
    const opt = fixtureOptimizer();
    const sched = new CosineAnnealingLR(opt, { tMax: 10 });
    sched.step();
    const good = sched.stateDict();
    expectRefused(sched, opt, null, TypeError, 'CosineAnnealingLR.loadStateDict: stateDict must be an object, got null');
    expectRefused(sched, opt, { ...good, T_max: 10 }, TypeError, 'stateDict.T_max is not an option (did you mean tMax?), got 10');
    const { lastEpoch: _, ...missing } = good;
    expectRefused(sched, opt, missing, TypeError, 'stateDict.lastEpoch must be present, got undefined');
    expectRefused(sched, opt, { ...good, lastEpoch: 1.5 }, RangeError, 'stateDict.lastEpoch must be an integer >= -1, got 1.5');
    expectRefused(sched, opt, { ...good, baseLrs: [0.1] }, RangeError, 'stateDict.baseLrs.length must be 2 (one per param group), got 1');
    expectRefused(sched, opt, { ...good, lastLr: [0.1, '0.2'] }, TypeError, 'stateDict.lastLr[1] must be a number, got "0.2"');
    expectRefused(sched, opt, { ...good, tMax: 0 }, RangeError, 'stateDict.tMax must be an integer >= 1, got 0');
  });

  test('after a group was added, or with a lastMomentum of the wrong length', () => {
    const opt = fixtureOptimizer();
    const sched = new OneCycleLR(opt, { maxLr: 0.1, totalSteps: 20 });
    sched.step();
    const good = sched.stateDict();
    expectRefused(sched, opt, { ...good, lastMomentum: [0.9] }, RangeError, 'OneCycleLR.loadStateDict: stateDict.lastMomentum.length must be 2 (one per param group), got 1');
    expectRefused(sched, opt, { ...good, lastMomentum: [0.9, 1] }, RangeError, 'stateDict.lastMomentum[1] must be in [0, 1), got 1');
    opt.addParamGroup({ params: [new Parameter([1])] });
    expectRefused(sched, opt, good, RangeError, 'OneCycleLR.loadStateDict: optimizer.paramGroups.length must be 2 (the group count when the scheduler was created');
    const plateauOpt = fixtureOptimizer();
    const plateau = new ReduceLROnPlateau(plateauOpt);
    expectRefused(plateau, plateauOpt, { ...plateau.stateDict(), lastLr: [0.1] }, RangeError, 'ReduceLROnPlateau.loadStateDict: stateDict.lastLr.length must be 2 (one per param group), got 1');
  });

  test("a state dict of another scheduler's kind", () => {
    const opt = fixtureOptimizer();
    const sched = new StepLR(opt, { stepSize: 3 });
    const other = new ExponentialLR(fixtureOptimizer(), { gamma: 0.5 }).stateDict();
    expectRefused(sched, opt, other, TypeError, 'StepLR.loadStateDict: stateDict.stepSize must be present, got undefined');
  });

  test('LambdaLR: functions are never loaded', () => {
    const opt = fixtureOptimizer();
    const sched = new LambdaLR(opt, { lrLambda: () => 1 });
    expectRefused(sched, opt, { ...sched.stateDict(), lrLambdas: [() => 2, null] }, RangeError, 'stateDict.lrLambdas[0] must be null (functions are not saved; the scheduler keeps its own), got a function');
  });

  test('SequentialLR: a bad child state changes none of the children', () => {
    const opt = fixtureOptimizer();
    const a = new LinearLR(opt, { totalIters: 4 });
    const b = new CosineAnnealingLR(opt, { tMax: 10 });
    const sched = new SequentialLR(opt, { schedulers: [a, b], milestones: [4] });
    for (let i = 0; i < 6; i++) sched.step();
    const saved = sched.stateDict();
    const fresh = new SequentialLR(opt, { schedulers: [new LinearLR(opt, { totalIters: 4 }), new CosineAnnealingLR(opt, { tMax: 10 })], milestones: [4] });
    const broken = { ...saved, schedulers: [saved.schedulers[0], { ...saved.schedulers[1], tMax: -1 }] };
    expectRefused(fresh, opt, broken, RangeError, 'SequentialLR.loadStateDict: stateDict.schedulers[1].tMax must be an integer >= 1, got -1');
    expectRefused(fresh, opt, { ...saved, schedulers: [saved.schedulers[0]] }, RangeError, 'stateDict.schedulers.length must be 2');
  });

  test('ReduceLROnPlateau: best must be a number or "Infinity"/"-Infinity"/"NaN"', () => {
    const opt = fixtureOptimizer();
    const sched = new ReduceLROnPlateau(opt);
    expectRefused(sched, opt, { ...sched.stateDict(), best: 'inf' }, TypeError, 'ReduceLROnPlateau.loadStateDict: stateDict.best must be a number (or "Infinity", "-Infinity", "NaN"), got "inf"');
    expectRefused(sched, opt, { ...sched.stateDict(), factor: 1 }, RangeError, 'stateDict.factor must be in [0, 1), got 1');
  });
});
