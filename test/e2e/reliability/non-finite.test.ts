// Reliability, non-finite gradients.
//
// By default lucid-optim does what torch.optim.Adam does: a NaN or an infinity in a gradient flows
// into the moments and the weights (and stays there). Expected values below are derived by hand
// from PyTorch's single-tensor Adam (crates/adam-core/src/kernel/mod.rs lists its op order),
// including torch.lerp's two formulas: `m + w * (g - m)` when the weight w = 1 - beta1 is below
// 0.5, else `g - (g - m) * (1 - w)`; they differ exactly on infinities.
//
// Opt-in, `skipNonFinite: true` checks every gradient (one SIMD pass, before anything changes)
// and skips the whole step if any is not finite, as PyTorch's AMP GradScaler skips
// optimizer.step(); it reports skipped steps in `skippedSteps`, `lastStepSkipped` and `onNonFinite`.
import { beforeAll, describe, expect, test } from 'vitest';
import { Adam, init, Parameter, type NonFiniteEvent } from 'lucid-optim';
import { observe, type Observation } from '../../observe.js';

beforeAll(() => init());

describe('default: non-finite gradients propagate, as in PyTorch', () => {
  test('NaN: that element of the parameter and of every moment becomes NaN; the others step normally', () => {
    const p = new Parameter([1, 2, 3]);
    const opt = new Adam([p], { lr: 0.1, amsgrad: true });
    p.grad = [NaN, 1, 0];
    opt.step();
    // g = NaN: m = 0 + 0.1 * (NaN - 0) = NaN, v = NaN, maximum(0, NaN) = NaN (torch.maximum), p = NaN.
    // g = 1: first step moves p by lr: 2 - 0.1 * 0.1 / 0.1 / (sqrt(0.001) / sqrt(0.001) + 1e-8).
    // g = 0: m = v = 0, update 0 / (0 + eps) = 0.
    const s = opt.stateDict().state[0];
    expect(Number.isNaN(p.data[0])).toBe(true);
    expect(p.data[1]).toBeCloseTo(1.9, 6);
    expect(p.data[2]).toBe(3);
    expect([s.expAvg[0], s.expAvgSq[0], s.maxExpAvgSq![0]].every(Number.isNaN)).toBe(true);
    expect(s.step).toBe(1);
    // And it stays NaN: lerp and the running sums keep NaN whatever comes next.
    p.grad = [1, 1, 1];
    opt.step();
    expect(Number.isNaN(p.data[0]) && Number.isNaN(opt.stateDict().state[0].expAvg[0])).toBe(true);
  });

  test('±Infinity with beta1 = 0.9 (lerp weight 0.1 < 0.5): m = ±inf, v = inf, p = NaN (inf / inf)', () => {
    const p = new Parameter([1, 1]);
    const opt = new Adam([p], { lr: 0.1 });
    p.grad = [Infinity, -Infinity];
    opt.step();
    // m = 0 + 0.1 * (±inf - 0) = ±inf; v = 0 * 0.999 + (0.001 * ±inf) * ±inf = inf;
    // denom = sqrt(inf) / c + eps = inf; p = 1 + (-1 * ±inf) / inf = NaN.
    const s = opt.stateDict().state[0];
    expect(Array.from(s.expAvg)).toEqual([Infinity, -Infinity]);
    expect(Array.from(s.expAvgSq)).toEqual([Infinity, Infinity]);
    expect(Array.from(p.data).every(Number.isNaN)).toBe(true);
  });

  test('Infinity with beta1 = 0.2 (lerp weight 0.8 >= 0.5): m = g - (g - 0) * 0.2 = inf - inf = NaN', () => {
    const p = new Parameter([1]);
    const opt = new Adam([p], { lr: 0.1, betas: [0.2, 0.999] });
    p.grad = [Infinity];
    opt.step();
    const s = opt.stateDict().state[0];
    expect(Number.isNaN(s.expAvg[0])).toBe(true);
    expect(s.expAvgSq[0]).toBe(Infinity);
    expect(Number.isNaN(p.data[0])).toBe(true);
  });

  test('a huge finite gradient overflows g * g to inf in float32, as in PyTorch: v = inf, the step is 0', () => {
    const p = new Parameter([1]);
    const opt = new Adam([p], { lr: 0.1 });
    p.grad = [1e30];
    opt.step();
    // v = (0.001 * 1e30) * 1e30 = 1e57 > f32 max: inf. denom = inf; p = 1 + (-1 * 1e29) / inf = 1 - 0 = 1.
    expect(opt.stateDict().state[0].expAvgSq[0]).toBe(Infinity);
    expect(p.data[0]).toBe(1);
  });
});

/** `before` (test/observe.ts) as it must be after one more skipped step: only the guard's report moves. */
function skipped(before: Observation): Observation {
  return {
    ...before,
    optimizers: before.optimizers.map((o) => (o === 'disposed' ? o : { ...o, skippedSteps: o.skippedSteps + 1, lastStepSkipped: true })),
  };
}

describe('skipNonFinite: true skips the whole step, changing nothing, and reports it', () => {
  function setup(onNonFinite?: (event: NonFiniteEvent) => void) {
    const a = new Parameter(Float32Array.from({ length: 37 }, (_, i) => i / 10), { name: 'a' }); // 9 SIMD blocks + tail
    const b = new Parameter([1, 2, 3, 4, 5, 6, 7, 8], { name: 'b' });
    const c = new Parameter([5], { name: 'c' });
    const opt = new Adam([{ params: [a, b] }, { params: [c], amsgrad: true, lr: 0.01 }], { lr: 0.1, skipNonFinite: true, onNonFinite });
    return { a, b, c, opt, params: [a, b, c] };
  }

  for (const bad of [NaN, Infinity, -Infinity]) {
    for (const [which, position] of [['a', 0], ['a', 17], ['a', 36], ['b', 7], ['c', 0]] as const) {
      test(`${bad} at ${which}[${position}], on the first step and on a later one`, () => {
        const events: NonFiniteEvent[] = [];
        const f = setup((e) => events.push(e));
        const grads = () => {
          f.a.grad = Float32Array.from({ length: 37 }, (_, i) => Math.sin(i));
          f.b.grad = [1, -1, 1, -1, 0.5, 0.5, 0.5, 0.5];
          f.c.grad = [0.25];
        };
        const poison = () => {
          const grad = f[which].grad!;
          grad[position] = bad;
        };
        // First step: skipped before any state exists, so none is created.
        grads();
        poison();
        let before = observe(f.params, [f.opt]);
        expect(f.opt.step(() => 'loss')).toBe('loss'); // step() keeps PyTorch's signature
        expect(observe(f.params, [f.opt])).toEqual(skipped(before));
        expect(f.opt.stateDict().state).toEqual({});
        expect([f.opt.skippedSteps, f.opt.lastStepSkipped]).toEqual([1, true]);
        const index = f.params.indexOf(f[which]);
        expect(events).toEqual([{ param: f[which], index, skippedSteps: 1 }]);

        // Two finite steps, then a poisoned one: skipped with state, step counts untouched.
        grads();
        f.opt.step();
        expect(f.opt.lastStepSkipped).toBe(false);
        f.opt.step();
        grads();
        poison();
        before = observe(f.params, [f.opt]);
        f.opt.step();
        expect(observe(f.params, [f.opt])).toEqual(skipped(before));
        expect(Object.values(f.opt.stateDict().state).map((s) => s.step)).toEqual([2, 2, 2]);
        expect([f.opt.skippedSteps, f.opt.lastStepSkipped, events.length]).toEqual([2, true, 2]);
        expect(events[1]).toEqual({ param: f[which], index, skippedSteps: 2 });
      });
    }
  }

  test('with all gradients finite, the guard changes no bit of the result', () => {
    const run = (guard: boolean) => {
      const p = new Parameter(Float32Array.from({ length: 101 }, (_, i) => Math.cos(i)));
      const opt = new Adam([p], { lr: 0.05, skipNonFinite: guard });
      for (let t = 0; t < 20; t++) {
        p.grad = Float32Array.from({ length: 101 }, (_, i) => Math.sin(i * t) * 1e3 - 1e-30);
        opt.step();
      }
      return { data: p.data.slice(), state: opt.stateDict(), skipped: opt.skippedSteps };
    };
    const guarded = run(true);
    expect(guarded.skipped).toBe(0);
    expect(guarded).toEqual({ ...run(false), skipped: 0 });
  });

  test('only gradients count: a parameter without one (grad = null) or with non-finite data does not skip', () => {
    const p = new Parameter([NaN, 1]);
    const q = new Parameter([1, 1]);
    const opt = new Adam([p, q], { skipNonFinite: true });
    q.grad = [NaN, NaN]; // allocates q's gradient buffer and fills it with NaN...
    q.grad = null; // ...then clears the gradient: the stale buffer is not a gradient
    p.grad = [1, 1];
    opt.step();
    expect(opt.lastStepSkipped).toBe(false);
    expect(opt.stateDict().state[0].step).toBe(1);
    expect(opt.stateDict().state[1]).toBeUndefined();
  });

  test('the guard can be switched on and off between steps; onNonFinite errors propagate after the skip is counted', () => {
    const p = new Parameter([1]);
    const opt = new Adam([p]);
    expect(opt.skipNonFinite).toBe(false);
    p.grad = [NaN];
    opt.skipNonFinite = true;
    opt.step();
    expect(opt.skippedSteps).toBe(1);
    expect(p.data[0]).toBe(1);
    opt.onNonFinite = () => {
      throw new Error('scale down the loss');
    };
    expect(() => opt.step()).toThrow('scale down the loss');
    expect([opt.skippedSteps, opt.lastStepSkipped, p.data[0]]).toEqual([2, true, 1]);
    opt.onNonFinite = undefined;
    opt.skipNonFinite = false;
    opt.step(); // PyTorch's behaviour again
    expect(Number.isNaN(p.data[0])).toBe(true);
    expect(opt.lastStepSkipped).toBe(false);
  });

  test('skipped steps change no hyperparameter-dependent state either (amsgrad switched on at a skipped step)', () => {
    const p = new Parameter([1, 2]);
    const opt = new Adam([p], { skipNonFinite: true });
    p.grad = [1, 1];
    opt.step();
    opt.paramGroups[0].amsgrad = true; // would allocate maxExpAvgSq at the next step...
    p.grad = [1, Infinity];
    const before = observe([p], [opt]);
    opt.step(); // ...but the step is skipped, so it does not (allocatedBytes is observed)
    expect(observe([p], [opt])).toEqual(skipped(before));
    expect(Array.from(opt.stateDict().state[0].maxExpAvgSq!)).toEqual([0, 0]); // saved as the zeros it will start from
  });
});
