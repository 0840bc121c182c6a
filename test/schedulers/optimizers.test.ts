// Schedulers work with anything that has `paramGroups` as Adam has them (AdamW is a subclass of
// Adam): a plain object, an SGD-like optimizer whose groups have `momentum` instead of `betas`.
import { beforeAll, expect, test } from 'vitest';
import { ConstantLR, CosineAnnealingLR, ExponentialLR, OneCycleLR, SequentialLR, init } from 'lucid-optim';
import { fixtureOptimizer } from './scheduler-helpers.js';

beforeAll(() => init());

test('a plain object with paramGroups', () => {
  const group: { lr: number; [key: string]: unknown } = { lr: 0.1 };
  const optimizer = { paramGroups: [group] };
  const sched = new CosineAnnealingLR(optimizer, { tMax: 2 });
  expect(group.initialLr).toBe(0.1);
  sched.step();
  // (1 + cos(pi/2)) / (1 + cos 0) * 0.1 = 0.5 * 0.1 (1 + 6.1e-17 rounds to 1).
  expect(group.lr).toBe(0.05);
  sched.step();
  expect(group.lr).toBe(0);
});

test("OneCycleLR cycles `momentum` when the optimizer's defaults have momentum, not betas (torch's use_beta1 = False)", () => {
  const group: { lr: number; [key: string]: unknown } = { lr: 0.1, momentum: 0.9 };
  const optimizer = { paramGroups: [group], defaults: { lr: 0.1, momentum: 0.9 } };
  const sched = new OneCycleLR(optimizer, { maxLr: 1, totalSteps: 4, pctStart: 0.5, annealStrategy: 'linear' });
  // step 0: momentum = max_momentum 0.95; step 1 (end of phase 1): base_momentum 0.85 = (0.85 - 0.95) * 1 + 0.95.
  expect(group.momentum).toBe(0.95);
  sched.step();
  expect(group.momentum).toBe(0.85);
  expect(group).not.toHaveProperty('betas');
});

test('OneCycleLR with cycleMomentum on an optimizer with neither betas nor momentum', () => {
  const optimizer = { paramGroups: [{ lr: 0.1 }], defaults: { lr: 0.1 } };
  expect(() => new OneCycleLR(optimizer, { maxLr: 1, totalSteps: 4 })).toThrow(
    new TypeError('OneCycleLR: optimizer.defaults must be an object with betas or momentum (cycleMomentum cycles one of them), got an object (Object)'),
  );
  expect(optimizer.paramGroups[0]).toEqual({ lr: 0.1 });
  // Without cycling the momentum it works.
  const sched = new OneCycleLR(optimizer, { maxLr: 1, totalSteps: 4, cycleMomentum: false });
  expect(sched.getLastLr()).toEqual([1 + ((0.04 - 1) / 2) * 2]);
});

test('a SequentialLR inside a SequentialLR: first only, as torch can restart no SequentialLR at a milestone', () => {
  const opt = fixtureOptimizer([{ lr: 1, betas: [0.9, 0.999] }]);
  const a = new ConstantLR(opt, { factor: 0.5, totalIters: 10 });
  const b = new ExponentialLR(opt, { gamma: 0.5 });
  const inner = new SequentialLR(opt, { schedulers: [a, b], milestones: [2] });
  const c = new ExponentialLR(opt, { gamma: 0.1 });
  expect(() => new SequentialLR(opt, { schedulers: [c, inner], milestones: [4] })).toThrow(TypeError);
  const outer = new SequentialLR(opt, { schedulers: [inner, c], milestones: [4] });
  // torch's code path: the outer constructor undoes a, b, c (recursive_undo reaches inside inner, not
  // inner itself), then inner._initial_step() steps inner to its epoch 1, where a (at its epoch 0) gives
  // 1 * 0.5. Outer epochs 1-3 step inner to its epochs 2 (b restarts: 1 * 0.5 ** 0), 3, 4 (b: 0.5, 0.25);
  // outer epoch 4 restarts c (1 * 0.1 ** 0), epoch 5 steps it (0.1).
  const lrs = [outer.getLastLr()[0]];
  for (let i = 0; i < 5; i++) {
    outer.step();
    lrs.push(outer.getLastLr()[0]);
  }
  expect(lrs).toEqual([0.5, 1, 0.5, 0.25, 1, 0.1]);
});
