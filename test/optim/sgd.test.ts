// SGD: its first steps against values derived by hand, torch's constructor checks, both state-dict
// shapes with exactly torch's keys, JSON round trips, and what it shares with every optimizer (the
// guard, closures, groups). Bit for bit against real torch over 19 cases: test/e2e/fidelity/torch-optimizers.test.ts.
//
// Every derivation follows torch 2.15's `_single_tensor_sgd` (torch/optim/sgd.py), in float32 with
// each operation rounded on its own (Math.fround after each), the scalars rounded to float32 once:
//   g = maximize ? -grad : grad;  if weight_decay != 0: g = g + wd * p
//   if momentum != 0: buf = (first) ? g : buf * momentum + (1 - dampening) * g;  g = nesterov ? g + momentum * buf : buf
//   p = p + (-lr) * g
import { beforeAll, describe, expect, test } from 'vitest';
import { AdamW, init, loadTorch, Parameter, saveTorch, SGD, type SGDStateDict, type TorchTensor } from 'lucid-optim';
import { bits, thrownBy } from '../helpers.js';
import { observe } from '../observe.js';

beforeAll(() => init());

const f = Math.fround;
/** `a + alpha * b` in float32, as ATen's `add(other, alpha=alpha)` without FMA. */
const add = (a: number, b: number, alpha: number) => f(a + f(f(alpha) * b));

describe('the first steps, derived by hand', () => {
  test('defaults (lr 1e-3, no momentum): p - lr * g, and no state at all, as torch keeps none', () => {
    const w = new Parameter([1, -2]);
    const opt = new SGD([w]);
    w.grad = [0.5, -4];
    opt.step();
    expect(Array.from(w.data)).toEqual([add(1, 0.5, -1e-3), add(-2, -4, -1e-3)]);
    expect(opt.stateDict().state).toEqual({});
    expect((opt.stateDict({ format: 'torch' }).get('state') as Map<number, unknown>).size).toBe(0);
  });

  test('momentum: the first buffer is the gradient itself, later ones buf * momentum + (1 - dampening) * g', () => {
    const w = new Parameter([2]);
    const opt = new SGD([w], { lr: 0.1, momentum: 0.9, dampening: 0.25, weightDecay: 0.5 });
    w.grad = [1];
    opt.step();
    // g = 1 + 0.5 * 2 = 2; buf = g (no dampening at the first step: torch clones it); p = 2 - 0.1 * 2
    const g1 = add(1, 2, 0.5);
    const p1 = add(2, g1, -0.1);
    expect([w.data[0], opt.stateDict().state[0].momentumBuffer![0]]).toEqual([p1, g1]);
    w.grad = [-3];
    opt.step();
    // g = -3 + 0.5 * p1; buf = g1 * 0.9 + 0.75 * g; p = p1 - 0.1 * buf
    const g2 = add(-3, p1, 0.5);
    const buf2 = add(f(g1 * f(0.9)), g2, 0.75);
    expect([w.data[0], opt.stateDict().state[0].momentumBuffer![0]]).toEqual([add(p1, buf2, -0.1), buf2]);
  });

  test('nesterov steps along g + momentum * buf; maximize negates the gradient', () => {
    const w = new Parameter([1, 1]);
    const opt = new SGD([w], { lr: 0.5, momentum: 0.75, nesterov: true, maximize: true });
    w.grad = [1, -1];
    opt.step();
    // g = -grad = [-1, 1]; buf = g; d = g + 0.75 * buf = [-1.75, 1.75]; p = 1 - 0.5 * d
    expect(Array.from(w.data)).toEqual([add(1, add(-1, -1, 0.75), -0.5), add(1, add(1, 1, 0.75), -0.5)]);
  });

  test('1 - dampening is a Python float rounded once to float32, not a float32 subtraction', () => {
    // 1 - 0.6 = 0.4 in float64, 0.4f; in float32 1 - 0.6f = 0.39999998.
    expect(f(1 - 0.6)).not.toBe(f(1 - f(0.6)));
    const w = new Parameter([0]);
    const opt = new SGD([w], { lr: 0, momentum: 1, dampening: 0.6 });
    w.grad = [1];
    opt.step();
    opt.step();
    expect(opt.stateDict().state[0].momentumBuffer![0]).toBe(f(1 + f(0.4)));
  });
});

describe("torch's constructor checks, each a RangeError or TypeError naming the field and the value", () => {
  const p = () => new Parameter([1, 2]);
  test.each([
    // torch: ValueError "Invalid learning rate: -0.1", "Invalid momentum value: -0.5", "Invalid weight_decay value: -1"
    [{ lr: -0.1 }, new RangeError('SGD: lr must be a finite number >= 0, got -0.1')],
    [{ momentum: -0.5 }, new RangeError('SGD: momentum must be a finite number >= 0, got -0.5')],
    [{ weightDecay: -1 }, new RangeError('SGD: weightDecay must be a finite number >= 0, got -1')],
    // torch: ValueError "Nesterov momentum requires a momentum and zero dampening"
    [
      { nesterov: true },
      new RangeError('SGD: nesterov must be false unless momentum > 0 and dampening is 0 (torch: "Nesterov momentum requires a momentum and zero dampening"), got nesterov: true, momentum: 0, dampening: 0'),
    ],
    [
      { nesterov: true, momentum: 0.9, dampening: 0.1 },
      new RangeError('SGD: nesterov must be false unless momentum > 0 and dampening is 0 (torch: "Nesterov momentum requires a momentum and zero dampening"), got nesterov: true, momentum: 0.9, dampening: 0.1'),
    ],
    // torch accepts these; lucid-optim refuses NaN and infinities everywhere (they can only poison the weights).
    [{ dampening: NaN }, new RangeError('SGD: dampening must be a finite number, got NaN')],
    [{ lr: Infinity }, new RangeError('SGD: lr must be a finite number >= 0, got Infinity')],
    // JavaScript types.
    [{ momentum: '0.9' }, new TypeError('SGD: momentum must be a number, got "0.9"')],
    [{ nesterov: 1 }, new TypeError('SGD: nesterov must be a boolean, got 1')],
    [{ betas: [0.9, 0.999] }, new TypeError('SGD: betas is not an option (known: lr, momentum, dampening, weightDecay, nesterov, maximize, skipNonFinite, onNonFinite), got [0.9, 0.999]')],
    [{ weight_decay: 0.1 }, new TypeError('SGD: weight_decay is not an option (did you mean weightDecay?), got 0.1')],
    [{ foreach: true }, new TypeError('SGD: foreach is not an option (known: lr, momentum, dampening, weightDecay, nesterov, maximize, skipNonFinite, onNonFinite), got true')],
  ])('%o', (options, error) => {
    expect(thrownBy(() => new SGD([p()], options as never))).toEqual(error);
  });

  test('what torch accepts, lucid-optim accepts: momentum above 1, any finite dampening, lr 0', () => {
    for (const options of [{ momentum: 1.5 }, { momentum: 0.9, dampening: -0.5 }, { lr: 0 }, { nesterov: true, momentum: 0.5, dampening: -0 }]) {
      expect(() => new SGD([p()], options).dispose()).not.toThrow();
    }
  });

  test('a group given to the constructor is checked the same way, and named', () => {
    expect(thrownBy(() => new SGD([{ params: [p()] }, { params: [p()], nesterov: true }], { momentum: 0 }))).toEqual(
      new RangeError('SGD: paramGroups[1].nesterov must be false unless momentum > 0 and dampening is 0 (torch: "Nesterov momentum requires a momentum and zero dampening"), got nesterov: true, momentum: 0, dampening: 0'),
    );
  });

  test('a live group changed to break a rule: the next step refuses it, changing nothing', () => {
    const w = new Parameter([1, 2]);
    const opt = new SGD([w], { lr: 0.1, momentum: 0.9, nesterov: true });
    w.grad = [1, 1];
    opt.step();
    const refused = (change: () => void, error: Error) => {
      change();
      const before = observe([w], [opt]);
      expect(thrownBy(() => opt.step())).toEqual(error);
      expect(observe([w], [opt])).toEqual(before);
    };
    refused(
      () => (opt.paramGroups[0].dampening = 0.5),
      new RangeError('SGD.step: paramGroups[0].nesterov must be false unless momentum > 0 and dampening is 0 (torch: "Nesterov momentum requires a momentum and zero dampening"), got nesterov: true, momentum: 0.9, dampening: 0.5'),
    );
    refused(() => (opt.paramGroups[0].momentum = -1), new RangeError('SGD.step: paramGroups[0].momentum must be a finite number >= 0, got -1'));
    refused(() => (opt.paramGroups[0].momentum = 'fast' as never), new TypeError('SGD.step: paramGroups[0].momentum must be a number, got "fast"'));
  });
});

describe('state dicts', () => {
  /** Two groups: momentum (state) and none (no state); 3 steps. */
  function trained() {
    const a = new Parameter([1, -2, 3, 0.5, 0.25, -4], { shape: [2, 3] });
    const b = new Parameter([0.5, 1]);
    const opt = new SGD([{ params: [a], momentum: 0.9, nesterov: true, weightDecay: 1e-2 }, { params: [b] }], { lr: 0.1 });
    for (let t = 1; t <= 3; t++) {
      a.grad = a.data.map((x, i) => x * 0.1 * t - i);
      b.grad = [t, -t];
      opt.step();
    }
    return { a, b, opt };
  }

  test("lucid's shape: momentumBuffer only (SGD counts no steps), the groups' options, no entry for a parameter without momentum", () => {
    const { opt } = trained();
    const sd = opt.stateDict();
    expect(Object.keys(sd.state)).toEqual(['0']);
    expect(Object.keys(sd.state[0])).toEqual(['momentumBuffer']);
    expect(sd.paramGroups).toEqual([
      { lr: 0.1, momentum: 0.9, dampening: 0, weightDecay: 1e-2, nesterov: true, maximize: false, params: [0] },
      { lr: 0.1, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, maximize: false, params: [1] },
    ]);
  });

  test("torch's shape: exactly the keys, order and types of torch.optim.SGD(...).state_dict()", () => {
    // torch 2.15: SGD.__init__'s defaults dict is (lr, momentum, dampening, weight_decay, nesterov,
    // maximize, foreach, differentiable, fused), pack_group puts params last; a default SGD saves
    // foreach None, differentiable False, fused None; state[p] = {'momentum_buffer': tensor} (no step).
    const { opt } = trained();
    const sd = opt.stateDict({ format: 'torch' });
    const groups = sd.get('param_groups') as Map<string, unknown>[];
    expect([...groups[0].keys()]).toEqual(['lr', 'momentum', 'dampening', 'weight_decay', 'nesterov', 'maximize', 'foreach', 'differentiable', 'fused', 'params']);
    expect([...groups[1].entries()]).toEqual([
      ['lr', 0.1],
      ['momentum', 0],
      ['dampening', 0],
      ['weight_decay', 0],
      ['nesterov', false],
      ['maximize', false],
      ['foreach', null],
      ['differentiable', false],
      ['fused', null],
      ['params', [1]],
    ]);
    const state = sd.get('state') as Map<number, Map<string, TorchTensor>>;
    expect([...state.keys()]).toEqual([0]);
    const buffer = state.get(0)!.get('momentum_buffer')!;
    expect([...state.get(0)!.keys()]).toEqual(['momentum_buffer']);
    expect({ dtype: buffer.dtype, shape: buffer.shape }).toEqual({ dtype: 'float32', shape: [2, 3] });
  });

  test.each(['lucid', 'JSON', 'torch file'] as const)('through %s, a fresh optimizer continues bit for bit', (how) => {
    const { a, b, opt } = trained();
    const fresh = { a: new Parameter(a.data, { shape: [2, 3] }), b: new Parameter(b.data) };
    const copy = new SGD([{ params: [fresh.a] }, { params: [fresh.b] }]);
    const saved = how === 'torch file' ? loadTorch(saveTorch(opt.stateDict({ format: 'torch' }))) : how === 'JSON' ? JSON.parse(JSON.stringify(opt.stateDict())) : opt.stateDict();
    copy.loadStateDict(saved);
    expect(copy.paramGroups.map(({ params: _, ...g }) => g)).toEqual(opt.paramGroups.map(({ params: _, ...g }) => g));
    for (const [p, q] of [
      [a, fresh.a],
      [b, fresh.b],
    ]) {
      p.grad = [...p.data].map((x, i) => 0.5 - i * x);
      q.grad = p.grad;
    }
    opt.step();
    copy.step();
    expect(bits(fresh.a.data)).toEqual(bits(a.data));
    expect(bits(fresh.b.data)).toEqual(bits(b.data));
    expect(bits(copy.stateDict().state[0].momentumBuffer!)).toEqual(bits(opt.stateDict().state[0].momentumBuffer!));
  });

  test('JSON keeps -0, NaN and the infinities of a buffer, exactly', () => {
    const w = new Parameter([0, 0, 0, 0, 1]);
    const opt = new SGD([w], { lr: 0, momentum: 0.5 });
    w.grad = [-0, NaN, Infinity, -Infinity, 1e-45];
    opt.step();
    const json = JSON.stringify(opt.stateDict());
    expect(json).toContain('"momentumBuffer":["-0","NaN","Infinity","-Infinity",1.401298464324817e-45]');
    const copy = new SGD([new Parameter(5)], { momentum: 0.5 });
    copy.loadStateDict(JSON.parse(json) as SGDStateDict);
    expect(bits(copy.stateDict().state[0].momentumBuffer!)).toEqual(bits(opt.stateDict().state[0].momentumBuffer!));
  });

  test("a torch state without momentum_buffer loads as torch reads it: the next step starts one from the gradient", () => {
    const w = new Parameter([1, 2]);
    const opt = new SGD([w], { lr: 0.1, momentum: 0.9 });
    const sd = opt.stateDict({ format: 'torch' });
    (sd.get('state') as Map<number, Map<string, unknown>>).set(0, new Map());
    opt.loadStateDict(sd);
    w.grad = [1, -1];
    opt.step();
    expect(Array.from(opt.stateDict().state[0].momentumBuffer!)).toEqual([1, -1]);
  });

  test('refused, naming the field, and nothing changed: a step key, a float64 buffer, another optimizer\'s dict', () => {
    const { a, b, opt } = trained();
    const adamw = new AdamW([{ params: [new Parameter(6)] }, { params: [new Parameter(2)] }]);
    const before = observe([a, b], [opt]);
    const sd = opt.stateDict({ format: 'torch' });
    const entry = (sd.get('state') as Map<number, Map<string, unknown>>).get(0)!;
    entry.set('step', { dtype: 'float32', shape: [], data: Float32Array.of(3) });
    expect(thrownBy(() => opt.loadStateDict(sd))).toEqual(
      new TypeError('SGD.loadStateDict: stateDict.state[0] key "step" must be absent (SGD\'s state has only momentum_buffer), got a float32 tensor of shape []'),
    );
    const lucid = opt.stateDict();
    expect(thrownBy(() => opt.loadStateDict({ ...lucid, state: { 0: { momentumBuffer: new Float64Array(6) } } } as never))).toEqual(
      new TypeError('SGD.loadStateDict: stateDict.state[0].momentumBuffer must be a Float32Array (or an array of numbers), got a Float64Array of length 6'),
    );
    expect(thrownBy(() => opt.loadStateDict(adamw.stateDict()))).toEqual(new TypeError('SGD.loadStateDict: stateDict.paramGroups[0].momentum must be present, got undefined'));
    expect(observe([a, b], [opt])).toEqual(before);
  });
});

describe('what every optimizer has', () => {
  test('step(closure) returns its result; zeroGrad clears; a parameter without a gradient is skipped', () => {
    const [x, y] = [new Parameter([1]), new Parameter([2])];
    const opt = new SGD([x, y], { lr: 0.5, momentum: 0.5 });
    x.grad = [1];
    expect(opt.step(() => 42)).toBe(42);
    expect([x.data[0], y.data[0]]).toEqual([0.5, 2]);
    expect(Object.keys(opt.stateDict().state)).toEqual(['0']);
    opt.zeroGrad();
    expect([x.grad, y.grad]).toEqual([null, null]);
  });

  test('the non-finite guard skips the whole step, changing nothing', () => {
    const [x, y] = [new Parameter([1]), new Parameter([2])];
    const seen: number[] = [];
    const opt = new SGD([x, y], { lr: 0.5, momentum: 0.9, skipNonFinite: true, onNonFinite: (e) => seen.push(e.index) });
    x.grad = [1];
    y.grad = [NaN];
    const before = observe([x, y]);
    const state = opt.stateDict();
    opt.step();
    expect([observe([x, y]), opt.stateDict()]).toEqual([before, state]);
    expect([opt.skippedSteps, opt.lastStepSkipped, seen]).toEqual([1, true, [1]]);
  });

  test('addParams: an added parameter takes its group\'s options and starts its buffer from its gradient', () => {
    const x = new Parameter([1]);
    const opt = new SGD([{ params: [] }], { lr: 0.5, momentum: 0.9 });
    opt.addParams([x]);
    x.grad = [2];
    opt.step();
    expect([x.data[0], opt.stateDict().state[0].momentumBuffer![0]]).toEqual([0, 2]);
  });
});
