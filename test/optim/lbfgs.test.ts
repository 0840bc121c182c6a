// LBFGS's facade: torch's constructor checks and defaults, refusals that change nothing, the
// closure's contract, sparse gradients, a scheduler over it, and state dict round trips. Its
// numbers against real torch are test/e2e/fidelity/torch-lbfgs.test.ts's.
import { beforeAll, describe, expect, test } from 'vitest';
import { init, LBFGS, loadTorch, Parameter, saveTorch, StepLR, type LBFGSStateDict } from 'lucid-optim';
import { bits } from '../helpers.js';

beforeAll(() => init());

/** f(x) = Σ (k + 1) (x_k − 1)², its gradient written into x.grad. */
function bowl(x: Parameter) {
  let calls = 0;
  const closure = () => {
    calls++;
    const g = Array.from(x.data, (v, k) => 2 * (k + 1) * (v - 1));
    x.grad = g;
    return Array.from(x.data, (v, k) => (k + 1) * (v - 1) ** 2).reduce((a, b) => a + b, 0);
  };
  return { closure, calls: () => calls };
}

test("torch 2.15's defaults: lr 1, maxIter 20, maxEval floor(maxIter * 5 / 4), tolerances 1e-7 and 1e-9, historySize 100, no line search", () => {
  // torch/optim/lbfgs.py: LBFGS(params, lr=1, max_iter=20, max_eval=None (max_iter * 5 // 4),
  // tolerance_grad=1e-7, tolerance_change=1e-9, history_size=100, line_search_fn=None, maximize=False)
  const opt = new LBFGS([new Parameter([0])]);
  expect(opt.defaults).toEqual({ lr: 1, maxIter: 20, maxEval: 25, toleranceGrad: 1e-7, toleranceChange: 1e-9, historySize: 100, lineSearchFn: null, maximize: false });
  expect(new LBFGS([new Parameter([0])], { maxIter: 7 }).defaults.maxEval).toBe(8); // 7 * 5 // 4
  expect(new LBFGS([{ params: [new Parameter([0])], maxEval: 3 }]).paramGroups[0].maxEval).toBe(3);
});

test('a step minimizes, calls the closure at most maxEval times, and returns the first loss', () => {
  const x = new Parameter([3, -2, 0.5]);
  const { closure, calls } = bowl(x);
  const opt = new LBFGS([x], { lineSearchFn: 'strong_wolfe' });
  const first = opt.step(closure);
  expect(first).toBeCloseTo(4 + 2 * 9 + 3 * 0.25, 12);
  expect(calls()).toBeLessThanOrEqual(25);
  expect(Array.from(x.data).every((v) => Math.abs(v - 1) < 1e-5)).toBe(true);
  expect(opt.stateDict().state[0].funcEvals).toBe(calls());
});

describe('refusals name the field and the value, and change nothing', () => {
  test.each<[string, () => unknown, typeof TypeError | typeof RangeError, RegExp]>([
    ['lr < 0', () => new LBFGS([new Parameter([0])], { lr: -1 }), RangeError, /^LBFGS: options\.lr must be a finite number >= 0, got -1$/],
    ['maxIter 0', () => new LBFGS([new Parameter([0])], { maxIter: 0 }), RangeError, /options\.maxIter/],
    ['maxEval 1.5', () => new LBFGS([new Parameter([0])], { maxEval: 1.5 }), RangeError, /options\.maxEval/],
    ['historySize 0 (torch fails at its second iteration)', () => new LBFGS([new Parameter([0])], { historySize: 0 }), RangeError, /options\.historySize/],
    ['lineSearchFn', () => new LBFGS([new Parameter([0])], { lineSearchFn: 'armijo' as never }), RangeError, /options\.lineSearchFn must be 'strong_wolfe' or null, got "armijo"/],
    ['maximize', () => new LBFGS([new Parameter([0])], { maximize: 1 as never }), TypeError, /options\.maximize/],
    ['an unknown option', () => new LBFGS([new Parameter([0])], { lrr: 1 } as never), TypeError, /options\.lrr/],
    ['two groups', () => new LBFGS([{ params: [new Parameter([0])] }, { params: [new Parameter([1])] }]), RangeError, /LBFGS doesn't support per-parameter options/],
    ['not parameters', () => new LBFGS([1] as never), TypeError, /params\[0\] must be a Parameter/],
  ])('%s', (_name, act, errorClass, message) => {
    expect(act).toThrow(errorClass);
    expect(act).toThrow(message);
  });

  test('a closure that is not a function, or whose first call returns no number, changes nothing', () => {
    const x = new Parameter([3, -2]);
    const opt = new LBFGS([x]);
    opt.step(bowl(x).closure);
    const [data, state] = [Float32Array.from(x.data), JSON.stringify(opt.stateDict())];
    expect(() => opt.step(undefined as never)).toThrow(new TypeError('LBFGS.step: closure must be a function that writes the gradients and returns the loss, got undefined'));
    expect(() => opt.step((() => 'loss') as never)).toThrow(new TypeError('LBFGS.step: closure() must be a number (the loss), got "loss"'));
    expect(bits(x.data)).toEqual(bits(data));
    expect(JSON.stringify(opt.stateDict())).toBe(state);
  });

  test('a bad state dict is refused by name, changing nothing', () => {
    const x = new Parameter([3, -2]);
    const opt = new LBFGS([x]);
    opt.step(bowl(x).closure);
    const good = opt.stateDict();
    const before = JSON.stringify(good);
    const bad = (edit: (sd: LBFGSStateDict) => void) => {
      const sd = JSON.parse(before) as LBFGSStateDict;
      edit(sd);
      return () => opt.loadStateDict(sd);
    };
    expect(bad((sd) => (sd.state[0].d = [1, 2, 3] as never))).toThrow(/stateDict\.state\[0\]\.d\.length must be 2/);
    expect(bad((sd) => (sd.state[0].ro = [1]))).toThrow(/stateDict\.state\[0\]\.ro\.length/);
    expect(bad((sd) => (sd.paramGroups[0].historySize = 5))).toThrow(/historySize must be 100/);
    expect(bad((sd) => ((sd.state[0] as unknown as Record<string, unknown>).extra = 1))).toThrow(/stateDict\.state\[0\]\.extra/);
    expect(JSON.stringify(opt.stateDict())).toBe(before);
  });

  test('a disposed parameter or optimizer is a TypeError', () => {
    const [x, y] = [new Parameter([1]), new Parameter([2])];
    const opt = new LBFGS([x, y]);
    y.dispose();
    expect(() => opt.step(() => 0)).toThrow(/LBFGS\.step: params\[1\] \(Parameter\) was disposed/);
    opt.dispose();
    expect(() => opt.step(() => 0)).toThrow(TypeError);
    expect(opt.disposed).toBe(true);
  });
});

test('no parameters: the closure is called once and its loss returned, as torch does', () => {
  const opt = new LBFGS([]);
  expect(opt.step(() => 5)).toBe(5);
  expect(opt.stateDict().state).toEqual({});
});

test('a sparse gradient counts as its dense sum (torch: p.grad.to_dense())', () => {
  const run = (sparse: boolean) => {
    const x = new Parameter([1, 2, 3, 4], { shape: [2, 2] });
    const opt = new LBFGS([x], { maxIter: 3 });
    opt.step(() => {
      const g = Array.from(x.data, (v) => v - 0.5);
      // Row 1 given twice: its values are summed.
      x.grad = sparse ? { indices: [0, 1, 1], values: [g[0], g[1], g[2] / 2, g[3] / 2, g[2] / 2, g[3] / 2] } : g;
      return Array.from(x.data, (v) => (v - 0.5) ** 2 / 2).reduce((a, b) => a + b, 0);
    });
    return Array.from(x.data);
  };
  expect(run(true)).toEqual(run(false));
});

test('maximize ascends the closure\'s loss', () => {
  const x = new Parameter([0.25]);
  const opt = new LBFGS([x], { maximize: true, lineSearchFn: 'strong_wolfe' });
  opt.step(() => {
    x.grad = [-2 * (x.data[0] - 2)];
    return -((x.data[0] - 2) ** 2);
  });
  expect(x.data[0]).toBeCloseTo(2, 5);
});

test("a scheduler sets LBFGS's lr, as torch's schedulers do, and its initialLr goes through the state dict", () => {
  const opt = new LBFGS([new Parameter([0])], { lr: 0.5 });
  const sched = new StepLR(opt, { stepSize: 1, gamma: 0.5 });
  sched.step();
  expect(opt.paramGroups[0].lr).toBe(0.25);
  const torchShaped = opt.stateDict({ format: 'torch' }) as unknown as Map<string, Map<string, unknown>[]>;
  expect(torchShaped.get('param_groups')![0].get('initial_lr')).toBe(0.5);
  const other = new LBFGS([new Parameter([0])]);
  other.loadStateDict(loadTorch(saveTorch(torchShaped as never)) as Map<string, unknown>);
  expect([other.paramGroups[0].lr, other.paramGroups[0].initialLr]).toEqual([0.25, 0.5]);
});

test.each(['lucid', 'JSON', 'torch file'])('a %s round trip of the state resumes with the same bits', (how) => {
  const make = () => {
    const x = new Parameter([3, -2, 0.5, 4]);
    return { x, opt: new LBFGS([x], { maxIter: 3, historySize: 2, lineSearchFn: 'strong_wolfe' }), ...bowl(x) };
  };
  const a = make();
  a.opt.step(a.closure);
  const sd = a.opt.stateDict();
  const saved = how === 'lucid' ? sd : how === 'JSON' ? (JSON.parse(JSON.stringify(sd)) as LBFGSStateDict) : loadTorch(saveTorch(a.opt.stateDict({ format: 'torch' }) as never));
  const b = make();
  b.x.data = a.x.data;
  b.opt.loadStateDict(saved as LBFGSStateDict);
  a.opt.step(a.closure);
  b.opt.step(b.closure);
  expect(bits(b.x.data)).toEqual(bits(a.x.data));
  expect(JSON.stringify(b.opt.stateDict())).toBe(JSON.stringify(a.opt.stateDict()));
});
