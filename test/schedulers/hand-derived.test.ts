// Every scheduler on a few steps whose learning rates are derived by hand, in the comments, from
// torch's formulas (torch/optim/lr_scheduler.py, torch 2.x; the formula each class mirrors is named
// in its source under ts/schedulers/). Binary-friendly numbers keep most values exact; where a
// double rounds, the comment says how. Expected values are compared with toBe (bit for bit).
import { beforeAll, describe, expect, test } from 'vitest';
import {
  Adam,
  ConstantLR,
  CosineAnnealingLR,
  CosineAnnealingWarmRestarts,
  ExponentialLR,
  LambdaLR,
  LinearLR,
  MultiStepLR,
  OneCycleLR,
  Parameter,
  PolynomialLR,
  ReduceLROnPlateau,
  SequentialLR,
  StepLR,
  init,
  type LRScheduler,
} from 'lucid-optim';

beforeAll(() => init());

/** One group of one parameter with learning rate `lr`. */
function optimizer(lr = 1): Adam {
  return new Adam([new Parameter([0])], { lr });
}

/** getLastLr()[0] after construction, then after each of `steps` steps. */
function lrs(sched: LRScheduler, steps: number): number[] {
  const out = [sched.getLastLr()[0]];
  for (let i = 0; i < steps; i++) {
    sched.step();
    out.push(sched.getLastLr()[0]);
  }
  return out;
}

describe('hand-derived learning rates', () => {
  test('StepLR { stepSize: 2, gamma: 0.5 }: lr * 0.5 at epochs 2, 4, ...', () => {
    // get_lr: unchanged at epoch 0 and where epoch % 2 != 0, else lr * gamma.
    expect(lrs(new StepLR(optimizer(), { stepSize: 2, gamma: 0.5 }), 5)).toEqual([1, 1, 0.5, 0.5, 0.25, 0.25]);
  });

  test('StepLR defaults gamma to 0.1', () => {
    // epoch 3: 1 * 0.1 = 0.1 (the double nearest 0.1, as in Python).
    expect(lrs(new StepLR(optimizer(), { stepSize: 3 }), 3)).toEqual([1, 1, 1, 0.1]);
  });

  test('MultiStepLR { milestones: [1, 3, 3], gamma: 0.5 }: a repeated milestone counts twice, as torch counts it', () => {
    // epoch 1: 1 * 0.5 ** 1 = 0.5; epoch 3 (in milestones twice): 0.5 * 0.5 ** 2 = 0.125.
    expect(lrs(new MultiStepLR(optimizer(), { milestones: [1, 3, 3], gamma: 0.5 }), 4)).toEqual([1, 0.5, 0.5, 0.125, 0.125]);
  });

  test('ExponentialLR { gamma: 0.5 }: lr * 0.5 every epoch after the initial one', () => {
    expect(lrs(new ExponentialLR(optimizer(), { gamma: 0.5 }), 3)).toEqual([1, 0.5, 0.25, 0.125]);
  });

  test('ConstantLR { factor: 0.5, totalIters: 2 }: halved for epochs 0 and 1, restored at 2 by * (1 / 0.5)', () => {
    // epoch 0: 1 * 0.5; epoch 1: unchanged; epoch 2 (== totalIters): 0.5 * (1.0 / 0.5) = 1.
    expect(lrs(new ConstantLR(optimizer(), { factor: 0.5, totalIters: 2 }), 3)).toEqual([0.5, 0.5, 1, 1]);
  });

  test('ConstantLR defaults: factor 1/3 for 5 epochs', () => {
    // epoch 0: 0.3 * (1/3) = 0.09999999999999999 (1/3 rounds down, and so does the product);
    // epoch 5: that * (1.0 / (1/3)) = 0.09999999999999999 * 3.0 = 0.3 (the product rounds to 0.3's double).
    const out = lrs(new ConstantLR(optimizer(0.3)), 5);
    expect(out[0]).toBe(0.09999999999999999);
    expect(out[4]).toBe(0.09999999999999999);
    expect(out[5]).toBe(0.3);
  });

  test('LinearLR { startFactor: 0.25, totalIters: 3 }: the chainable form reaches 1 exactly here', () => {
    // epoch 0: 1 * 0.25. epoch e in 1..3: lr * (1 + 0.75 / (3 * 0.25 + (e - 1) * 0.75)):
    // e=1: 0.25 * (1 + 0.75 / 0.75) = 0.5; e=2: 0.5 * (1 + 0.75 / 1.5) = 0.75;
    // e=3: 0.75 * (1 + 0.75 / 2.25) = 0.75 * 1.3333333333333333 = 1 (the product rounds up to 1);
    // e=4 > totalIters: unchanged.
    expect(lrs(new LinearLR(optimizer(), { startFactor: 0.25, totalIters: 3 }), 4)).toEqual([0.25, 0.5, 0.75, 1, 1]);
  });

  test('PolynomialLR { totalIters: 4, power: 2 }: lr * ((1 - e/4) / (1 - (e-1)/4)) ** 2', () => {
    // e=1: (0.75 / 1) ** 2 = 0.5625; e=2: 0.5625 * (0.5 / 0.75) ** 2 = 0.5625 * 0.4444444444444444 = 0.25;
    // e=3: 0.25 * (0.25 / 0.5) ** 2 = 0.0625; e=4: * (0 / 0.25) ** 2 = 0; e=5 > totalIters: unchanged.
    expect(lrs(new PolynomialLR(optimizer(), { totalIters: 4, power: 2 }), 5)).toEqual([1, 0.5625, 0.25, 0.0625, 0, 0]);
  });

  test('PolynomialLR defaults: linear decay to 0 over 5 epochs', () => {
    // power 1: lr * ((1 - e/5) / (1 - (e-1)/5)) ** 1: e=1: 1 * 0.8; e=2: 0.8 * (0.6 / 0.8), where
    // 0.6 / 0.8 = 0.7499999999999999 and the product rounds back to 0.6; e=5: * 0 = 0; e=6: unchanged.
    const out = lrs(new PolynomialLR(optimizer()), 6);
    expect(out[1]).toBe(0.8);
    expect(out[2]).toBe(0.6);
    expect(out[5]).toBe(0);
    expect(out[6]).toBe(0);
  });

  test('CosineAnnealingLR { tMax: 2 }: 1, 0.5, 0, and back up past tMax through the special case', () => {
    // e=1: (1 + cos(pi/2)) / (1 + cos 0) * 1 = (1 + 6.1e-17) / 2 = 0.5 (1 + 6.1e-17 rounds to 1).
    // e=2: (1 + cos pi) / (1 + cos(pi/2)) * 0.5 = 0 / 1 * 0.5 = 0.
    // e=3: (3 - 1 - 2) % 4 == 0, the trough case: 0 + (1 - 0) * (1 - cos(pi/2)) / 2, and
    //      1 - 6.1e-17 rounds down to 0.9999999999999999, so 0.49999999999999994.
    // e=4: (1 + cos 2pi) / (1 + cos(3pi/2)) * 0.49999999999999994 = 2 / (1 - 1.8e-16) * ... = 1.
    expect(lrs(new CosineAnnealingLR(optimizer(), { tMax: 2 }), 4)).toEqual([1, 0.5, 0, 0.49999999999999994, 1]);
  });

  test("cosines are Python's (correctly rounded), not Math.cos", () => {
    // CosineAnnealingWarmRestarts { t0: 21 } after 2 steps: 0 + (1 - 0) * (1 + cos(pi * 2 / 21)) / 2.
    // cos(0.2991993003418851) is 0.9555728057861407 correctly rounded, and in CPython on glibc 2.36
    // (`python3 -c "import math; print(math.cos(math.pi * 2 / 21))"`); V8's Math.cos returns
    // 0.9555728057861408, one ulp more. (1 + 0.9555728057861407) / 2 = 0.9777864028930703, where
    // Math.cos would give 0.9777864028930704.
    const sched = new CosineAnnealingWarmRestarts(optimizer(), { t0: 21 });
    sched.step();
    sched.step();
    expect(sched.getLastLr()[0]).toBe(0.9777864028930703);
    expect((1 + Math.cos(Math.PI * 2 / 21)) / 2).toBe(0.9777864028930704); // what Math.cos would have given
  });

  test('CosineAnnealingWarmRestarts { t0: 2, tMult: 2 }: restarts at epochs 2 and 6', () => {
    // lr = 0 + (1 - 0) * (1 + cos(pi tCur / tI)) / 2 (closed form):
    // epoch 0: tCur 0 -> 1; epoch 1: tCur 1, tI 2 -> (1 + cos(pi/2)) / 2 = 0.5;
    // epoch 2: tCur 2 >= tI: tCur 0, tI 4 -> 1; epoch 3: tCur 1 -> (1 + cos(pi/4)) / 2 = (1 + 0.7071067811865476) / 2 = 0.8535533905932737;
    // epoch 4: tCur 2 -> 0.5; ...; epoch 6: tCur 4 >= 4: tCur 0, tI 8 -> 1.
    const out = lrs(new CosineAnnealingWarmRestarts(optimizer(), { t0: 2, tMult: 2 }), 6);
    // epoch 5: tCur 3 -> (1 + cos(3pi/4)) / 2 = 0.14644660940672627.
    expect(out).toEqual([1, 0.5, 1, 0.8535533905932737, 0.5, 0.14644660940672627, 1]);
  });

  test('OneCycleLR { maxLr: 1, totalSteps: 4, pctStart: 0.5, linear, divFactor 4, finalDivFactor 2 }: lr and betas[0]', () => {
    const opt = optimizer();
    const sched = new OneCycleLR(opt, { maxLr: 1, totalSteps: 4, pctStart: 0.5, annealStrategy: 'linear', divFactor: 4, finalDivFactor: 2 });
    // initialLr = 1 / 4 = 0.25, minLr = 0.25 / 2 = 0.125; phases end at 0.5 * 4 - 1 = 1 and 4 - 1 = 3.
    expect(opt.paramGroups[0]).toMatchObject({ initialLr: 0.25, maxLr: 1, minLr: 0.125, maxMomentum: 0.95, baseMomentum: 0.85 });
    // _annealing_linear(start, end, pct) = (end - start) * pct + start:
    // step 0: pct 0 -> lr 0.25, betas[0] 0.95 (max momentum).
    // step 1: pct 1 -> lr (1 - 0.25) * 1 + 0.25 = 1, betas[0] (0.85 - 0.95) * 1 + 0.95 = 0.85.
    // step 2: phase 2, pct (2 - 1) / (3 - 1) = 0.5 -> lr (0.125 - 1) * 0.5 + 1 = 0.5625, betas[0] (0.95 - 0.85) * 0.5 + 0.85 = 0.8999999999999999.
    // step 3: pct 1 -> 0.125; step 4 (== totalSteps, allowed): pct 1.5 extrapolates: (0.125 - 1) * 1.5 + 1 = -0.3125.
    const betas = [opt.paramGroups[0].betas[0]];
    const out = [sched.getLastLr()[0]];
    for (let i = 0; i < 4; i++) {
      sched.step();
      out.push(sched.getLastLr()[0]);
      betas.push(opt.paramGroups[0].betas[0]);
    }
    expect(out).toEqual([0.25, 1, 0.5625, 0.125, -0.3125]);
    expect(betas).toEqual([0.95, 0.85, 0.8999999999999999, 0.95, 1]);
    // beta2 is kept: `(computed_momentum, *group["betas"][1:])`.
    expect(opt.paramGroups[0].betas[1]).toBe(0.999);
  });

  test('LambdaLR: initialLr * lrLambda(epoch)', () => {
    // 2 * 1/(e + 1): 2, 1, 2 * 0.3333333333333333 = 0.6666666666666666, 0.5.
    expect(lrs(new LambdaLR(optimizer(2), { lrLambda: (e) => 1 / (e + 1) }), 3)).toEqual([2, 1, 0.6666666666666666, 0.5]);
  });

  test('SequentialLR [ConstantLR 0.5, ExponentialLR 0.5] at milestone 2: the second restarts from its closed form', () => {
    const opt = optimizer();
    const constant = new ConstantLR(opt, { factor: 0.5, totalIters: 10 }); // lr 0.5
    const exponential = new ExponentialLR(opt, { gamma: 0.5 }); // initial step: lr stays 0.5
    const sched = new SequentialLR(opt, { schedulers: [constant, exponential], milestones: [2] });
    // Construction: lr back to initialLr 1, epochs undone, ConstantLR's initial step again: 0.5.
    // epoch 1: ConstantLR steps (1 != totalIters): 0.5. epoch 2 == milestone: ExponentialLR._update_lr(0),
    // closed form initialLr * 0.5 ** 0 = 1. epochs 3, 4: 0.5, 0.25.
    expect(lrs(sched, 4)).toEqual([0.5, 0.5, 1, 0.5, 0.25]);
    expect(constant.lastEpoch).toBe(1);
    expect(exponential.lastEpoch).toBe(2);
  });

  test('ReduceLROnPlateau { patience: 1, factor: 0.5 }: halves after two epochs without improvement', () => {
    const opt = optimizer();
    const sched = new ReduceLROnPlateau(opt, { patience: 1, factor: 0.5 });
    const out: number[] = [];
    // 10 < inf: best 10. 9 < 10 * (1 - 1e-4): best 9. 9 twice: bad epochs 1, then 2 > patience: lr 0.5.
    // 9 again: bad epochs 1 (reset after the reduction). 8: best.
    for (const metric of [10, 9, 9, 9, 9, 8]) {
      sched.step(metric);
      out.push(sched.getLastLr()[0]);
    }
    expect(out).toEqual([1, 1, 1, 0.5, 0.5, 0.5]);
    expect(sched.best).toBe(8);
    expect(sched.lastEpoch).toBe(6);
    expect(opt.paramGroups[0]).not.toHaveProperty('initialLr');
  });

  test('creating a scheduler sets initialLr on each group, kept if present, and saved by the optimizer', () => {
    const opt = new Adam([
      { params: [new Parameter([0])], lr: 0.1 },
      { params: [new Parameter([0])], lr: 0.2, initialLr: 0.4 },
    ]);
    const sched = new ExponentialLR(opt, { gamma: 0.5 });
    // torch: group.setdefault("initial_lr", group["lr"]); base_lrs = [0.1, 0.4].
    expect(opt.paramGroups.map((g) => g.initialLr)).toEqual([0.1, 0.4]);
    expect(sched.baseLrs).toEqual([0.1, 0.4]);
    expect(opt.stateDict().paramGroups.map((g) => g.initialLr)).toEqual([0.1, 0.4]);
  });
});
