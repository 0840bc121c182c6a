// AdamW = torch.optim.AdamW = torch 2.x Adam(decoupled_weight_decay=True): hand-derived steps, the
// float64-then-float32 decay factor, a float32 model of the op order, the equivalence with
// Adam({ decoupledWeightDecay: true }), state dicts across the two, and the errors.
//
// Every derivation follows PyTorch's `_single_tensor_adam` with decoupled_weight_decay:
//   p = p * (1 - lr * weight_decay)            (param.mul_; the gradient is left alone)
//   m = beta1*m + (1-beta1)*g;  v = beta2*v + (1-beta2)*g^2
//   p = p - (lr / (1-beta1^t)) * m / (sqrt(v) / sqrt(1-beta2^t) + eps)
import { beforeAll, describe, expect, test } from 'vitest';
import { Adam, AdamW, init, Parameter, type StateDict } from 'lucid-optim';
import { bits, expectCloseF32 } from '../helpers.js';
import { observe } from '../observe.js';

beforeAll(() => init());

const f32 = Math.fround;

/** A deterministic gradient for parameter `i` at step `t`, with magnitudes over four decades. */
function gradient(i: number, t: number, length: number): Float32Array {
  return Float32Array.from({ length }, (_, k) => Math.sin(1.3 * t + 0.7 * k + i) * 10 ** ((k % 5) - 2));
}

describe('AdamW', () => {
  test('has torch.optim.AdamW\'s defaults, and its groups carry decoupledWeightDecay: true', () => {
    const w = new Parameter(3);
    const opt = new AdamW([w]);
    const expected = { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 1e-2, amsgrad: false, maximize: false, decoupledWeightDecay: true };
    expect(opt.defaults).toEqual(expected);
    expect(opt.paramGroups[0]).toMatchObject(expected);
    expect(opt).toBeInstanceOf(Adam);
    expect(opt.stateDict().paramGroups[0]).toEqual({ ...expected, params: [0] });
  });

  test('the first two steps match the hand derivation: the parameter decays, the moments see the raw gradient', () => {
    const w = new Parameter([2, -4]);
    const opt = new AdamW([w], { lr: 0.1, weightDecay: 0.5 });
    w.grad = [1, 0];
    opt.step();
    // p = (1 - 0.1 * 0.5) * p = 0.95 * [2, -4] = [1.9, -3.8]
    // g = [1, 0] (with Adam's L2 decay it would be 1 + 0.5 * 2 = 2);  m = [0.1, 0];  v = [0.001, 0]
    // step_size = 0.1 / 0.1 = 1;  denom = sqrt(v) / sqrt(0.001) + 1e-8 = [1 + 1e-8, 1e-8]
    // p = [1.9 - 0.1 / (1 + 1e-8), -3.8 - 0 / 1e-8] (a zero gradient is a gradient: decayed, not moved)
    expectCloseF32(w.data, [1.9 - 0.1 / (1 + 1e-8), -3.8], 4, 'p1');
    const s1 = opt.stateDict().state[0];
    expectCloseF32(s1.expAvg, [0.1, 0], 4, 'm1');
    expectCloseF32(s1.expAvgSq, [0.001, 0], 4, 'v1');

    const p1 = Array.from(w.data);
    w.grad = [0.5, 0];
    opt.step();
    // p = 0.95 * p1;  m = 0.9 * 0.1 + 0.1 * 0.5 = 0.14;  v = 0.999 * 0.001 + 0.001 * 0.25 = 0.001249
    // bias_correction1 = 0.19, bias_correction2 = 0.001999, step_size = 0.1 / 0.19
    const update = ((0.1 / 0.19) * 0.14) / (Math.sqrt(0.001249) / Math.sqrt(0.001999) + 1e-8);
    expectCloseF32(w.data, [0.95 * p1[0] - update, 0.95 * p1[1]], 4, 'p2');
    const s2 = opt.stateDict().state[0];
    expectCloseF32(s2.expAvg, [0.14, 0], 4, 'm2');
    expectCloseF32(s2.expAvgSq, [0.001249, 0], 4, 'v2');
  });

  test('the decay factor is 1 - lr * weightDecay in float64, rounded once to float32 (as Python, then param.mul_)', () => {
    // With a zero gradient the update is -step_size * 0 / eps = -0, so the parameter is exactly
    // p * factor. 1 - 0.3 * 0.3 = 0.91 in float64 rounds to 0.91000003 in float32; float32
    // arithmetic (1 - 0.3f * 0.3f) would give 0.90999997.
    const w = new Parameter([1, -1, 3]);
    const opt = new AdamW([w], { lr: 0.3, weightDecay: 0.3 });
    w.grad = [0, 0, 0];
    opt.step();
    const factor = f32(1 - 0.3 * 0.3);
    expect(factor).not.toBe(f32(1 - f32(f32(0.3) * f32(0.3))));
    expect(Array.from(w.data)).toEqual([factor, -factor, f32(3 * factor)]);
  });

  // The reference kernel's bits against these: test/e2e/fidelity/reference-kernel.test.ts.
  test('steps bit for bit as a float32 model of torch\'s op order, with every switch', () => {
    const configs = [
      {},
      { amsgrad: true },
      { maximize: true, lr: 0.05, weightDecay: 0.3 },
      { betas: [0.3, 0.95] as [number, number], amsgrad: true, maximize: true, eps: 1e-6 }, // lerp's other form
    ];
    for (const config of configs) {
      const init0 = Float32Array.from({ length: 37 }, (_, k) => (k - 18) / 7);
      const simd = new Parameter(init0);
      const optSimd = new AdamW([simd], config);
      const model = float32AdamW(init0, { ...optSimd.paramGroups[0] });
      for (let t = 0; t < 12; t++) {
        const g = gradient(0, t, 37);
        simd.grad = g;
        optSimd.step();
        model.step(g);
      }
      expect(bits(simd.data), JSON.stringify(config)).toEqual(bits(model.p));
      expect(bits(optSimd.stateDict().state[0].expAvgSq)).toEqual(bits(model.v));
    }
  });

  test('is Adam with decoupledWeightDecay: true, bit for bit; and differs from Adam\'s L2 decay', () => {
    const init0 = Float32Array.from({ length: 33 }, (_, k) => Math.cos(k));
    const [a, b, c] = [0, 1, 2].map(() => new Parameter(init0));
    const adamw = new AdamW([a], { amsgrad: true });
    const decoupled = new Adam([b], { amsgrad: true, weightDecay: 1e-2, decoupledWeightDecay: true });
    const l2 = new Adam([c], { amsgrad: true, weightDecay: 1e-2 });
    for (let t = 0; t < 20; t++) {
      for (const p of [a, b, c]) p.grad = gradient(1, t, 33);
      adamw.step();
      decoupled.step();
      l2.step();
    }
    expect(bits(a.data)).toEqual(bits(b.data));
    expect(bits(a.data)).not.toEqual(bits(c.data));
  });

  test('with weightDecay 0, decoupledWeightDecay changes nothing', () => {
    const [a, b] = [0, 1].map(() => new Parameter(Float32Array.from({ length: 9 }, (_, k) => k - 4)));
    const plain = new Adam([a]);
    const decoupled = new Adam([b], { decoupledWeightDecay: true });
    for (let t = 0; t < 5; t++) {
      a.grad = gradient(2, t, 9);
      b.grad = gradient(2, t, 9);
      plain.step();
      decoupled.step();
    }
    expect(bits(a.data)).toEqual(bits(b.data));
  });

  test('decoupledWeightDecay is read from the live group at each step, as torch reads group["decoupled_weight_decay"]', () => {
    const [a, b] = [0, 1].map(() => new Parameter([2, -1, 0.5]));
    const switched = new Adam([a], { lr: 0.1, weightDecay: 0.5 });
    switched.paramGroups[0].decoupledWeightDecay = true;
    const adamw = new AdamW([b], { lr: 0.1, weightDecay: 0.5 });
    for (let t = 0; t < 3; t++) {
      a.grad = gradient(3, t, 3);
      b.grad = gradient(3, t, 3);
      switched.step();
      adamw.step();
    }
    expect(bits(a.data)).toEqual(bits(b.data));
  });
});

describe('state dicts across AdamW and Adam, as in torch', () => {
  /** Two groups (one AMSGrad), 10 steps; then save. */
  function trained(make: (groups: { params: Parameter[]; amsgrad?: boolean; lr?: number }[]) => Adam) {
    const params = [new Parameter(Float32Array.from({ length: 13 }, (_, k) => k / 3 - 2)), new Parameter(5)];
    const opt = make([{ params: [params[0]], amsgrad: true }, { params: [params[1]], lr: 3e-2 }]);
    for (let t = 0; t < 10; t++) {
      params.forEach((p, i) => (p.grad = gradient(i, t, p.length)));
      opt.step();
    }
    return { params, opt };
  }
  const continueFor = (params: Parameter[], opt: Adam, from: number, to: number) => {
    for (let t = from; t < to; t++) {
      params.forEach((p, i) => (p.grad = gradient(i, t, p.length)));
      opt.step();
    }
  };

  test('an AdamW dict loads into Adam({ decoupledWeightDecay: true }) and back: training continues bit for bit', () => {
    const reference = trained((groups) => new AdamW(groups));
    continueFor(reference.params, reference.opt, 10, 20);

    const saved = trained((groups) => new AdamW(groups));
    const sd = saved.opt.stateDict();
    expect(sd.paramGroups.map((g) => g.decoupledWeightDecay)).toEqual([true, true]);
    const params = saved.params.map((p) => new Parameter(p.data));
    const adam = new Adam([{ params: [params[0]] }, { params: [params[1]] }], { weightDecay: 1e-2, decoupledWeightDecay: true });
    adam.loadStateDict(JSON.parse(JSON.stringify(sd, (_, v) => (v instanceof Float32Array ? Array.from(v) : v))) as StateDict);
    continueFor(params, adam, 10, 20);
    expect(params.map((p) => bits(p.data))).toEqual(reference.params.map((p) => bits(p.data)));

    // And Adam's dict (decoupled) back into a fresh AdamW.
    const again = params.map((p) => new Parameter(p.data));
    const adamw = new AdamW([{ params: [again[0]] }, { params: [again[1]] }]);
    adamw.loadStateDict(adam.stateDict());
    const twin = params.map((p) => new Parameter(p.data));
    const twinOpt = new Adam([{ params: [twin[0]] }, { params: [twin[1]] }]);
    twinOpt.loadStateDict(adam.stateDict());
    continueFor(again, adamw, 20, 25);
    continueFor(twin, twinOpt, 20, 25);
    expect(again.map((p) => bits(p.data))).toEqual(twin.map((p) => bits(p.data)));
  });

  test('the saved groups replace the current ones: an AdamW dict makes a plain Adam decouple', () => {
    const { opt } = trained((groups) => new AdamW(groups));
    const adam = new Adam([{ params: [new Parameter(13)] }, { params: [new Parameter(5)] }]);
    adam.loadStateDict(opt.stateDict());
    expect(adam.paramGroups.map((g) => [g.decoupledWeightDecay, g.weightDecay])).toEqual([
      [true, 1e-2],
      [true, 1e-2],
    ]);
  });

  test('AdamW sets decoupledWeightDecay: true on every group it loads (torch\'s AdamW.__setstate__)', () => {
    const { opt } = trained((groups) => new Adam(groups, { weightDecay: 1e-2 }));
    const sd = opt.stateDict();
    expect(sd.paramGroups.map((g) => g.decoupledWeightDecay)).toEqual([false, false]);
    const adamw = new AdamW([{ params: [new Parameter(13)] }, { params: [new Parameter(5)] }]);
    adamw.loadStateDict(sd);
    expect(adamw.paramGroups.map((g) => g.decoupledWeightDecay)).toEqual([true, true]);
    expect(adamw.stateDict().paramGroups.map((g) => g.decoupledWeightDecay)).toEqual([true, true]);
  });

  test('a dict saved before decoupledWeightDecay existed loads with false into Adam (torch\'s setdefault) and true into AdamW', () => {
    const { opt } = trained((groups) => new Adam(groups));
    const sd = opt.stateDict();
    const old = { ...sd, paramGroups: sd.paramGroups.map(({ decoupledWeightDecay: _, ...rest }) => rest) } as unknown as StateDict;
    const adam = new Adam([{ params: [new Parameter(13)] }, { params: [new Parameter(5)] }], { decoupledWeightDecay: true });
    adam.loadStateDict(old);
    expect(adam.paramGroups.map((g) => g.decoupledWeightDecay)).toEqual([false, false]);
    const adamw = new AdamW([{ params: [new Parameter(13)] }, { params: [new Parameter(5)] }]);
    adamw.loadStateDict(old);
    expect(adamw.paramGroups.map((g) => g.decoupledWeightDecay)).toEqual([true, true]);
  });
});

describe('errors name the optimizer, the field and the value, and change nothing', () => {
  test('AdamW takes no decoupledWeightDecay option (torch.optim.AdamW has no such argument)', () => {
    const w = new Parameter(2);
    for (const value of [false, true]) {
      expect(() => new AdamW([w], { decoupledWeightDecay: value } as never)).toThrow(
        new TypeError(`AdamW: decoupledWeightDecay must be absent (AdamW always decouples weight decay; use Adam for L2 weight decay), got ${value}`),
      );
    }
  });

  test('AdamW refuses a group with decoupledWeightDecay: false, in the constructor and in addParamGroup', () => {
    const [w, x] = [new Parameter(2), new Parameter(2)];
    const message = (field: string) =>
      `${field}.decoupledWeightDecay must be true (AdamW always decouples weight decay; use Adam for L2 weight decay), got false`;
    expect(() => new AdamW([{ params: [w], decoupledWeightDecay: false }])).toThrow(new TypeError(`AdamW: ${message('paramGroups[0]')}`));
    const opt = new AdamW([{ params: [w], decoupledWeightDecay: true }]);
    const before = observe([w, x], [opt]);
    expect(() => opt.addParamGroup({ params: [x], decoupledWeightDecay: false })).toThrow(new TypeError(`AdamW.addParamGroup: ${message('group')}`));
    expect(observe([w, x], [opt])).toEqual(before);
  });

  test('ranges and types are Adam\'s, under AdamW\'s name', () => {
    const w = new Parameter(2);
    expect(() => new AdamW([w], { weightDecay: -1 })).toThrow(new RangeError('AdamW: weightDecay must be a finite number >= 0, got -1'));
    expect(() => new AdamW([w], { lr: NaN })).toThrow(new RangeError('AdamW: lr must be a finite number >= 0, got NaN'));
    expect(() => new Adam([w], { decoupledWeightDecay: 'yes' as never })).toThrow(new TypeError('Adam: decoupledWeightDecay must be a boolean, got "yes"'));
    expect(() => new Adam([w], { decoupled_weight_decay: true } as never)).toThrow(
      new TypeError('Adam: decoupled_weight_decay is not an option (did you mean decoupledWeightDecay?), got true'),
    );
  });

  test('a live group with a bad decoupledWeightDecay fails the step, naming it, and nothing changes', () => {
    const w = new Parameter([1, 2]);
    const opt = new AdamW([w]);
    w.grad = [0.5, 0.5];
    opt.step();
    (opt.paramGroups[0] as Record<string, unknown>).decoupledWeightDecay = 1;
    const before = observe([w], [opt]);
    expect(() => opt.step()).toThrow(new TypeError('AdamW.step: paramGroups[0].decoupledWeightDecay must be a boolean, got 1'));
    expect(observe([w], [opt])).toEqual(before);
  });
});

/**
 * AdamW in float32, one rounded operation at a time, in torch's op order (the kernel's, see
 * crates/adam-core/src/kernel/mod.rs): an independent model of what the package must compute.
 */
function float32AdamW(init0: Float32Array, group: { lr: number; betas: [number, number]; eps: number; weightDecay: number; amsgrad: boolean; maximize: boolean }) {
  const n = init0.length;
  const p = Float32Array.from(init0);
  const m = new Float32Array(n);
  const v = new Float32Array(n);
  const vmax = new Float32Array(n);
  let t = 0;
  const [beta1, beta2] = group.betas;
  // The scalars: Python floats (float64) rounded once to float32 where torch's kernels take them.
  const factor = f32(1 - group.lr * group.weightDecay);
  const w = f32(1 - beta1);
  const oneMinusW = f32(1 - w);
  const b2 = f32(beta2);
  const c = f32(1 - beta2);
  const eps = f32(group.eps);
  const sqrt32 = (x: number) => f32(Math.sqrt(x)); // correctly rounded: sqrt in float64, then one rounding
  return {
    p,
    v,
    step(grad: Float32Array) {
      t++;
      const negStepSize = f32(-(group.lr / (1 - beta1 ** t)));
      const bc2Sqrt = f32(Math.sqrt(1 - beta2 ** t));
      for (let i = 0; i < n; i++) {
        const g = group.maximize ? -grad[i] : grad[i];
        const pd = f32(p[i] * factor);
        m[i] = w < 0.5 ? f32(m[i] + f32(w * f32(g - m[i]))) : f32(g - f32(f32(g - m[i]) * oneMinusW));
        v[i] = f32(f32(v[i] * b2) + f32(f32(c * g) * g));
        let used = v[i];
        if (group.amsgrad) used = vmax[i] = Math.max(vmax[i], v[i]);
        const denom = f32(f32(sqrt32(used) / bc2Sqrt) + eps);
        p[i] = f32(pd + f32(f32(negStepSize * m[i]) / denom));
      }
    },
  };
}
