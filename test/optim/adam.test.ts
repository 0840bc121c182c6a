// Adam's first steps against values derived by hand (tfjs style), each option, param groups,
// skipping parameters without gradients, and hyperparameters changed between steps.
//
// Every derivation follows PyTorch's single-tensor Adam:
//   m = beta1*m + (1-beta1)*g;  v = beta2*v + (1-beta2)*g^2
//   p = p - (lr / (1-beta1^t)) * m / (sqrt(v) / sqrt(1-beta2^t) + eps)
import { beforeAll, describe, expect, test } from 'vitest';
import { Adam, init, Parameter } from 'lucid-optim';
import { expectCloseF32 } from '../helpers.js';

beforeAll(() => init());

describe('the first steps with default options (lr 1e-3, betas [0.9, 0.999], eps 1e-8)', () => {
  test('match the hand derivation', () => {
    const w = new Parameter([1, -2]);
    const opt = new Adam([w]);
    w.grad = [0.5, -4];
    opt.step();
    // m = 0.1 * g = [0.05, -0.4];  v = 0.001 * g^2 = [0.00025, 0.016]
    // bias_correction1 = 0.1, bias_correction2 = 0.001 => step_size = 0.01
    // denom = sqrt(v)/sqrt(0.001) + 1e-8 = [0.5 + 1e-8, 4 + 1e-8]
    // p = [1 - 0.01*0.05/(0.5+1e-8), -2 + 0.01*0.4/(4+1e-8)] ~= [0.999, -1.999]
    expectCloseF32(w.data, [1 - 0.0005 / (0.5 + 1e-8), -2 + 0.004 / (4 + 1e-8)], 4, 'p1');
    const s1 = opt.stateDict().state[0];
    expect(s1.step).toBe(1);
    expectCloseF32(s1.expAvg, [0.05, -0.4], 4, 'm1');
    expectCloseF32(s1.expAvgSq, [0.00025, 0.016], 4, 'v1');

    const p1 = Array.from(w.data);
    w.grad = [0.5, 0];
    opt.step();
    // m = 0.9*m + 0.1*g = [0.095, -0.36];  v = 0.999*v + 0.001*g^2 = [0.00049975, 0.015984]
    // bias_correction1 = 1 - 0.81 = 0.19; bias_correction2 = 1 - 0.998001 = 0.001999
    const stepSize = 1e-3 / 0.19;
    const denom = (v: number) => Math.sqrt(v) / Math.sqrt(0.001999) + 1e-8;
    expectCloseF32(w.data, [p1[0] - (stepSize * 0.095) / denom(0.00049975), p1[1] + (stepSize * 0.36) / denom(0.015984)], 4, 'p2');
    const s2 = opt.stateDict().state[0];
    expect(s2.step).toBe(2);
    expectCloseF32(s2.expAvg, [0.095, -0.36], 4, 'm2');
    expectCloseF32(s2.expAvgSq, [0.00049975, 0.015984], 4, 'v2');
  });

  test('the first step moves each weight by about lr against its gradient sign, whatever the scale', () => {
    // At t = 1: m/sqrt(v) = g/|g| after bias correction, so p moves by lr * sign(g) (eps aside).
    const w = new Parameter([0, 0, 0, 0]);
    const opt = new Adam([w], { lr: 0.25 });
    w.grad = [1e-3, -7, 1e3, 0];
    opt.step();
    expectCloseF32(w.data, [-0.25 / (1 + 1e-8 / 1e-3), 0.25, -0.25, 0], 8, 'p');
  });
});

describe('options', () => {
  test('weightDecay adds weightDecay * p to the gradient (L2, as torch.optim.Adam)', () => {
    const w = new Parameter([2]);
    const opt = new Adam([w], { lr: 0.1, weightDecay: 0.5 });
    w.grad = [1];
    opt.step();
    // g = 1 + 0.5*2 = 2;  m = 0.2;  v = 0.001*4 = 0.004;  step_size = 0.1/0.1 = 1
    // denom = sqrt(0.004)/sqrt(0.001) + 1e-8 = 2 + 1e-8;  p = 2 - 0.2/(2 + 1e-8)
    expectCloseF32(w.data, [2 - 0.2 / (2 + 1e-8)], 4, 'p');
    expectCloseF32(opt.stateDict().state[0].expAvg, [0.2], 4, 'm');
  });

  test('maximize steps up the gradient: identical to minimizing with the negated gradient', () => {
    const up = new Parameter([1, 2, 3]);
    const down = new Parameter([1, 2, 3]);
    const optUp = new Adam([up], { maximize: true, weightDecay: 0.01 });
    const optDown = new Adam([down], { weightDecay: 0.01 });
    for (let t = 0; t < 5; t++) {
      up.grad = [0.3 * t, -1, 2];
      down.grad = [-0.3 * t, 1, -2];
      optUp.step();
      optDown.step();
    }
    expect(Array.from(up.data)).toEqual(Array.from(down.data));
    // ascent moves along the gradient: grad[1] = -1, so p[1] decreases (and p[2], grad +2, increases)
    expect(up.data[1]).toBeLessThan(2);
    expect(up.data[2]).toBeGreaterThan(3);
  });

  test('amsgrad keeps the maximum of the raw second moment (not of bias-corrected v-hat)', () => {
    const w = new Parameter([0]);
    const opt = new Adam([w], { lr: 0.1, amsgrad: true });
    w.grad = [1];
    opt.step();
    // v1 = 0.001, max = 0.001;  p1 = -0.1 * 0.1/0.1 / (sqrt(0.001)/sqrt(0.001) + 1e-8) = -0.1/(1 + 1e-8)
    w.grad = [0];
    opt.step();
    // v2 = 0.999 * 0.001 = 0.000999 < max => max stays 0.001;  m2 = 0.09;  bc1 = 0.19;  bc2 = 0.001999
    // p2 = p1 - (0.1/0.19) * 0.09 / (sqrt(0.001)/sqrt(0.001999) + 1e-8)
    // (a max over v-hat would keep v-hat1 = 1 > v-hat2 = 0.49975 and give a different p2)
    const p1 = -0.1 / (1 + 1e-8);
    expectCloseF32(w.data, [p1 - ((0.1 / 0.19) * 0.09) / (Math.sqrt(0.001) / Math.sqrt(0.001999) + 1e-8)], 4, 'p2');
    const s = opt.stateDict().state[0];
    expectCloseF32(s.maxExpAvgSq!, [0.001], 4, 'max_exp_avg_sq');
    expectCloseF32(s.expAvgSq, [0.000999], 4, 'exp_avg_sq');
  });

  test('eps is added after dividing sqrt(v) by sqrt(bias_correction2)', () => {
    const w = new Parameter([0]);
    const opt = new Adam([w], { lr: 1, eps: 0.5 });
    w.grad = [2];
    opt.step();
    // m = 0.2, v = 0.004, step_size = 1/0.1 = 10; denom = sqrt(0.004)/sqrt(0.001) + 0.5 = 2.5
    // p = -10 * 0.2 / 2.5 = -0.8   (eps inside the sqrt or before bias correction would differ)
    expectCloseF32(w.data, [-0.8], 4, 'p');
  });
});

describe('parameter groups', () => {
  test('each group steps with its own hyperparameters, in one optimizer', () => {
    const a = new Parameter([1]);
    const b = new Parameter([1]);
    const opt = new Adam([{ params: [a], lr: 0.1 }, { params: [b] }], { lr: 0.01 });
    expect(opt.paramGroups.map((g) => g.lr)).toEqual([0.1, 0.01]);
    a.grad = [1];
    b.grad = [1];
    opt.step();
    // first step: p -= lr * sign(g) (up to eps)
    expectCloseF32(a.data, [1 - 0.1 / (1 + 1e-8)], 4, 'a');
    expectCloseF32(b.data, [1 - 0.01 / (1 + 1e-8)], 4, 'b');
  });

  test('addParamGroup takes missing options from the defaults', () => {
    const a = new Parameter([1]);
    const c = new Parameter([1]);
    const opt = new Adam([a], { lr: 0.02, betas: [0.8, 0.9] });
    opt.addParamGroup({ params: [c], eps: 1e-6 });
    expect(opt.paramGroups[1]).toMatchObject({ lr: 0.02, betas: [0.8, 0.9], eps: 1e-6, weightDecay: 0, amsgrad: false });
    c.grad = [-3];
    opt.step();
    expect(c.data[0]).toBeGreaterThan(1);
    expect(a.data[0]).toBe(1); // no grad: untouched
  });

  test('lr written into paramGroups between steps takes effect at the next step (schedulers)', () => {
    const w = new Parameter([0]);
    const opt = new Adam([w], { lr: 1 });
    w.grad = [1];
    opt.step(); // p1 = -1/(1 + 1e-8)
    opt.paramGroups[0].lr = 0;
    opt.step();
    expectCloseF32(w.data, [-1 / (1 + 1e-8)], 4, 'lr 0 leaves p');
    opt.paramGroups[0].lr = 0.5;
    opt.paramGroups[0].betas = [0.5, 0.999];
    opt.step();
    expect(w.data[0]).toBeLessThan(-1);
    expect(opt.stateDict().paramGroups[0]).toMatchObject({ lr: 0.5, betas: [0.5, 0.999] });
  });
});

describe('parameters without a gradient', () => {
  test('are skipped entirely: no state is created and their step count does not advance', () => {
    const a = new Parameter([1, 2]);
    const b = new Parameter([3]);
    const opt = new Adam([a, b]);
    a.grad = [1, 1];
    opt.step();
    expect(Object.keys(opt.stateDict().state)).toEqual(['0']);
    expect(Array.from(b.data)).toEqual([3]);
    b.grad = [1];
    opt.step();
    a.grad = null;
    opt.step();
    const { state } = opt.stateDict();
    expect([state[0].step, state[1].step]).toEqual([2, 2]);
  });

  test('zeroGrad() clears gradients; zeroGrad(false) zero-fills existing ones and leaves absent ones absent', () => {
    const a = new Parameter([1]);
    const b = new Parameter([1]);
    const opt = new Adam([a, b]);
    a.grad = [5];
    opt.zeroGrad(false);
    expect(Array.from(a.grad!)).toEqual([0]);
    expect(b.grad).toBeNull();
    opt.zeroGrad();
    expect(a.grad).toBeNull();
  });
});

test('step(closure) calls the closure first and returns its value', () => {
  const w = new Parameter([3]);
  const opt = new Adam([w], { lr: 0.1 });
  const loss = opt.step(() => {
    w.grad = [2 * w.data[0]];
    return w.data[0] ** 2;
  });
  expect(loss).toBe(9);
  expect(w.data[0]).toBeLessThan(3);
});

test('a parameter held by two optimizers gets independent state from each, as in PyTorch', () => {
  const w = new Parameter([0]);
  const first = new Adam([w], { lr: 0.1 });
  const second = new Adam([w], { lr: 0.1 });
  w.grad = [1];
  first.step();
  second.step();
  expect(first.stateDict().state[0].step).toBe(1);
  expect(second.stateDict().state[0].step).toBe(1);
  expectCloseF32(w.data, [-0.2 / (1 + 1e-8)], 8, 'two first steps');
});
