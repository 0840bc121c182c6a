// The eight algorithms beyond Adam, AdamW and SGD (RMSprop, Adagrad, Adadelta, Adamax, NAdam, RAdam,
// ASGD, Rprop), each through everything the engine gives an algorithm: torch's constructor checks,
// both state-dict shapes with exactly torch's keys (and torch's order), round trips through lucid's
// shape, JSON and a torch file that continue bit for bit, refusals that change nothing, the
// non-finite guard, closures and added parameters. Their arithmetic is proven bit for bit against
// real torch in test/e2e/fidelity/torch-optimizers.test.ts (fixtures from scripts/golden/optimizers.py).
//
// Where an expected value comes from: torch 2.15's classes (torch/optim/<name>.py): each
// constructor's ValueErrors, its `defaults` dict (the order of a saved group's keys, `params`
// last), its `_init_group` (the state's keys, in the order it creates them), and what a default
// constructed optimizer saves for its execution flags (printed by
// `torch.optim.<Class>([p]).param_groups[0]`: foreach None, capturable/differentiable False, fused None).
import { beforeAll, describe, expect, test } from 'vitest';
import * as lucid from 'lucid-optim';
import { init, loadTorch, Optimizer, Parameter, saveTorch, type TorchTensor } from 'lucid-optim';
import { bits, optimizerClasses, thrownBy, type OptimizerClass } from '../helpers.js';
import { observe } from '../observe.js';

beforeAll(() => init());

interface Case {
  /** Options that put every state buffer in use (with two groups: one with them, one with the defaults). */
  options: Record<string, unknown>;
  /** torch's group keys, in the order `state_dict()` writes them. */
  torchGroup: string[];
  /** torch's state keys, in the order `_init_group` creates them (with `options`). */
  torchState: string[];
  /** torch's constructor checks: options, and the error lucid-optim gives (torch's ValueError in a comment). */
  refused: [Record<string, unknown>, string][];
  /** What torch accepts (and lucid-optim too), at the edges of its checks. */
  accepted: Record<string, unknown>[];
}

const CASES: Record<string, Case> = {
  RMSprop: {
    options: { lr: 1e-2, momentum: 0.9, centered: true, weightDecay: 1e-2 },
    torchGroup: ['lr', 'momentum', 'alpha', 'eps', 'centered', 'weight_decay', 'capturable', 'foreach', 'maximize', 'differentiable', 'params'],
    torchState: ['step', 'square_avg', 'momentum_buffer', 'grad_avg'],
    refused: [
      [{ lr: -1 }, 'lr must be a finite number >= 0, got -1'], // "Invalid learning rate: -1"
      [{ eps: -1e-8 }, 'eps must be a finite number >= 0, got -1e-8'], // "Invalid epsilon value: -1e-08"
      [{ momentum: -0.5 }, 'momentum must be a finite number >= 0, got -0.5'], // "Invalid momentum value: -0.5"
      [{ weightDecay: -1 }, 'weightDecay must be a finite number >= 0, got -1'], // "Invalid weight_decay value: -1"
      [{ alpha: -0.1 }, 'alpha must be a finite number >= 0, got -0.1'], // "Invalid alpha value: -0.1"
    ],
    accepted: [{ alpha: 1.5 }, { momentum: 2 }, { lr: 0, eps: 0 }],
  },
  Adagrad: {
    options: { lr: 0.1, lrDecay: 1e-2, initialAccumulatorValue: 0.1, weightDecay: 1e-2 },
    torchGroup: ['lr', 'lr_decay', 'eps', 'weight_decay', 'initial_accumulator_value', 'foreach', 'maximize', 'differentiable', 'fused', 'params'],
    torchState: ['step', 'sum'],
    refused: [
      [{ lr: -1 }, 'lr must be a finite number >= 0, got -1'],
      [{ lrDecay: -1 }, 'lrDecay must be a finite number >= 0, got -1'], // "Invalid lr_decay value: -1"
      [{ weightDecay: -1 }, 'weightDecay must be a finite number >= 0, got -1'],
      [{ initialAccumulatorValue: -0.5 }, 'initialAccumulatorValue must be a finite number >= 0, got -0.5'], // "Invalid initial_accumulator_value value: -0.5"
      [{ eps: -1 }, 'eps must be a finite number >= 0, got -1'],
    ],
    accepted: [{ lr: 0, lrDecay: 10, eps: 0 }],
  },
  Adadelta: {
    options: { rho: 0.95, weightDecay: 1e-2 },
    torchGroup: ['lr', 'rho', 'eps', 'weight_decay', 'maximize', 'capturable', 'foreach', 'differentiable', 'params'],
    torchState: ['step', 'square_avg', 'acc_delta'],
    refused: [
      [{ lr: -1 }, 'lr must be a finite number >= 0, got -1'],
      [{ rho: 1.5 }, 'rho must be in [0, 1], got 1.5'], // "Invalid rho value: 1.5"
      [{ rho: -0.1 }, 'rho must be in [0, 1], got -0.1'],
      [{ eps: -1 }, 'eps must be a finite number >= 0, got -1'],
      [{ weightDecay: -1 }, 'weightDecay must be a finite number >= 0, got -1'],
    ],
    accepted: [{ rho: 0 }, { rho: 1 }],
  },
  Adamax: {
    options: { lr: 1e-2, betas: [0.8, 0.99], weightDecay: 1e-2 },
    torchGroup: ['lr', 'betas', 'eps', 'weight_decay', 'foreach', 'maximize', 'differentiable', 'capturable', 'params'],
    torchState: ['step', 'exp_avg', 'exp_inf'],
    refused: [
      [{ lr: -1 }, 'lr must be a finite number >= 0, got -1'],
      [{ eps: -1 }, 'eps must be a finite number >= 0, got -1'],
      [{ betas: [1, 0.999] }, 'betas[0] must be in [0, 1), got 1'], // "Invalid beta parameter at index 0: 1"
      [{ betas: [0.9, -0.1] }, 'betas[1] must be in [0, 1), got -0.1'], // "Invalid beta parameter at index 1: -0.1"
      [{ weightDecay: -1 }, 'weightDecay must be a finite number >= 0, got -1'],
    ],
    accepted: [{ betas: [0, 0] }],
  },
  NAdam: {
    options: { lr: 1e-2, weightDecay: 1e-2, decoupledWeightDecay: true, momentumDecay: 1e-2 },
    torchGroup: ['lr', 'betas', 'eps', 'weight_decay', 'momentum_decay', 'decoupled_weight_decay', 'maximize', 'foreach', 'capturable', 'differentiable', 'params'],
    torchState: ['step', 'mu_product', 'exp_avg', 'exp_avg_sq'],
    refused: [
      [{ lr: -1 }, 'lr must be a finite number >= 0, got -1'],
      [{ eps: -1 }, 'eps must be a finite number >= 0, got -1'],
      [{ betas: [0.9, 1] }, 'betas[1] must be in [0, 1), got 1'],
      [{ weightDecay: -1 }, 'weightDecay must be a finite number >= 0, got -1'],
      [{ momentumDecay: -1 }, 'momentumDecay must be a finite number >= 0, got -1'], // "Invalid momentum_decay value: -1"
    ],
    accepted: [{ momentumDecay: 0 }, { betas: [0, 0.5] }],
  },
  RAdam: {
    options: { lr: 1e-2, betas: [0.9, 0.9], weightDecay: 1e-2 },
    torchGroup: ['lr', 'betas', 'eps', 'weight_decay', 'maximize', 'foreach', 'capturable', 'decoupled_weight_decay', 'differentiable', 'params'],
    torchState: ['step', 'exp_avg', 'exp_avg_sq'],
    refused: [
      [{ lr: -1 }, 'lr must be a finite number >= 0, got -1'],
      [{ eps: -1 }, 'eps must be a finite number >= 0, got -1'],
      [{ betas: [-0.5, 0.9] }, 'betas[0] must be in [0, 1), got -0.5'],
      [{ weightDecay: -1 }, 'weightDecay must be a finite number >= 0, got -1'],
    ],
    accepted: [{ betas: [0, 0] }, { decoupledWeightDecay: true, weightDecay: 0.5 }],
  },
  ASGD: {
    options: { lr: 1e-2, t0: 1, weightDecay: 1e-2 },
    torchGroup: ['lr', 'lambd', 'alpha', 't0', 'weight_decay', 'foreach', 'maximize', 'differentiable', 'capturable', 'params'],
    torchState: ['step', 'eta', 'mu', 'ax'],
    refused: [
      [{ lr: -1 }, 'lr must be a finite number >= 0, got -1'],
      [{ lambd: -1 }, 'lambd must be a finite number >= 0, got -1'], // "Invalid lambd value: -1"
      [{ alpha: -1 }, 'alpha must be a finite number >= 0, got -1'], // "Invalid alpha value: -1"
      [{ weightDecay: -1 }, 'weightDecay must be a finite number >= 0, got -1'],
      // torch checks no t0; lucid-optim refuses NaN and infinities everywhere.
      [{ t0: NaN }, 't0 must be a finite number, got NaN'],
    ],
    accepted: [{ t0: -5 }, { alpha: 3, lambd: 0 }],
  },
  Rprop: {
    options: { lr: 1e-2, etas: [0.4, 1.3], stepSizes: [1e-5, 1] },
    torchGroup: ['lr', 'etas', 'step_sizes', 'foreach', 'maximize', 'differentiable', 'capturable', 'params'],
    torchState: ['step', 'prev', 'step_size'],
    refused: [
      [{ lr: -1 }, 'lr must be a finite number >= 0, got -1'],
      // torch: `0.0 < etas[0] < 1.0 < etas[1]`, "Invalid eta values: 1, 1.2"
      [{ etas: [1, 1.2] }, 'etas[0] must be in (0, 1), got 1'],
      [{ etas: [0, 1.2] }, 'etas[0] must be in (0, 1), got 0'],
      [{ etas: [0.5, 1] }, 'etas[1] must be a finite number > 1, got 1'],
      [{ stepSizes: [1e-6, Infinity] }, 'stepSizes[1] must be a finite number, got Infinity'],
    ],
    accepted: [{ stepSizes: [-1, 0] }, { stepSizes: [5, 1] }],
  },
};

const classOf = (name: string) => (lucid as unknown as Record<string, OptimizerClass>)[name];

test('every optimizer the package exports is Adam, AdamW, SGD, Muon, Adafactor, SparseAdam (their own suites) or one of these', () => {
  const exported = optimizerClasses()
    .map(([name]) => name)
    .sort();
  expect(exported).toEqual(['Adam', 'AdamW', 'SGD', 'Muon', 'Adafactor', 'SparseAdam', ...Object.keys(CASES)].sort());
});

/** Two groups (the first with `options`, the second with the defaults), three steps of made-up gradients. */
function trained(name: string) {
  const a = new Parameter([1, -2, 3, 0.5, 0.25, -4], { shape: [2, 3] });
  const b = new Parameter([0.5, 1]);
  const opt = new (classOf(name))([{ params: [a], ...CASES[name].options }, { params: [b] }]);
  for (let t = 1; t <= 3; t++) {
    a.grad = a.data.map((x, i) => x * 0.1 * t - i);
    b.grad = [t, -t];
    opt.step();
  }
  return { a, b, opt };
}

const camel = (key: string) => key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

describe.each(Object.keys(CASES))('%s', (name) => {
  const c = CASES[name];

  test.each(c.refused)("torch's constructor check %o: a RangeError naming the field and the value", (options, message) => {
    const p = new Parameter([1, 2]);
    expect(thrownBy(() => new (classOf(name))([p], options))).toEqual(new RangeError(`${name}: ${message}`));
    // The same rule for a group, named by its index, and for a live group at the next step (changing nothing).
    expect(thrownBy(() => new (classOf(name))([{ params: [p] }, { params: [new Parameter(1)], ...options }]))).toEqual(
      new RangeError(`${name}: paramGroups[1].${message}`),
    );
    const opt = new (classOf(name))([p]);
    p.grad = [1, -1];
    opt.step();
    Object.assign(opt.paramGroups[0], options);
    const before = observe([p], [opt]);
    expect(thrownBy(() => opt.step())).toEqual(new RangeError(`${name}.step: paramGroups[0].${message}`));
    expect(observe([p], [opt])).toEqual(before);
    opt.dispose();
  });

  test('what torch accepts at the edges of its checks, lucid-optim accepts', () => {
    for (const options of c.accepted) {
      const p = new Parameter([1, 2]);
      const opt = new (classOf(name))([p], options);
      p.grad = [0.5, -0.5];
      expect(() => opt.step()).not.toThrow();
      opt.dispose();
    }
  });

  test('JavaScript types: a TypeError naming the field; a misspelt or foreign option is refused', () => {
    const p = new Parameter([1, 2]);
    expect(thrownBy(() => new (classOf(name))([p], { lr: '0.1' }))).toEqual(new TypeError(`${name}: lr must be a number, got "0.1"`));
    expect(thrownBy(() => new (classOf(name))([p], { maximize: 1 }))).toEqual(new TypeError(`${name}: maximize must be a boolean, got 1`));
    const misspelt = (thrownBy(() => new (classOf(name))([p], { weight_decay: 0.1 })) as Error).message;
    if (name === 'Rprop') expect(misspelt).toMatch(/^Rprop: weight_decay is not an option \(known: lr, etas, stepSizes, maximize, /);
    else expect(misspelt).toBe(`${name}: weight_decay is not an option (did you mean weightDecay?), got 0.1`);
    expect((thrownBy(() => new (classOf(name))([p], { foreach: true })) as Error).message).toMatch(new RegExp(`^${name}: foreach is not an option \\(known: lr, `));
  });

  test("lucid's shape: torch's state keys in camelCase and torch's order, the groups' options", () => {
    const { a, b, opt } = trained(name);
    const sd = opt.stateDict();
    expect(Object.keys(sd.state)).toEqual(['0', '1']);
    expect(Object.keys(sd.state[0])).toEqual(c.torchState.map(camel));
    const state = sd.state[0] as Record<string, unknown>;
    expect(state.step).toBe(3);
    for (const key of c.torchState.slice(1)) {
      const value = state[camel(key)];
      // A buffer has the parameter's length; a scalar (NAdam's mu_product, ASGD's eta and mu) is a float32 number.
      if (value instanceof Float32Array) expect(value.length, key).toBe(6);
      else expect(Math.fround(value as number), key).toBe(value);
    }
    expect(sd.paramGroups.map((g) => g.params)).toEqual([[0], [1]]);
    expect(sd.paramGroups[1]).toEqual({ ...opt.defaults, params: [1] });
    for (const p of [a, b]) p.dispose();
    opt.dispose();
  });

  test("torch's shape: exactly the keys, order and types of torch.optim's state_dict()", () => {
    const { opt } = trained(name);
    const sd = opt.stateDict({ format: 'torch' });
    const groups = sd.get('param_groups') as Map<string, unknown>[];
    expect([...groups[0].keys()]).toEqual(c.torchGroup);
    for (const key of ['foreach', 'fused']) if (groups[1].has(key)) expect(groups[1].get(key), key).toBeNull();
    for (const key of ['capturable', 'differentiable']) if (groups[1].has(key)) expect(groups[1].get(key), key).toBe(false);
    const state = sd.get('state') as Map<number, Map<string, TorchTensor>>;
    expect([...state.keys()]).toEqual([0, 1]);
    expect([...state.get(0)!.keys()]).toEqual(c.torchState);
    for (const [key, tensor] of state.get(0)!) {
      // `step` and the scalars: 0-d float32 tensors; the buffers: float32 tensors of the parameter's shape.
      const shape = tensor.shape.length === 0 ? [] : [2, 3];
      expect({ dtype: tensor.dtype, shape: tensor.shape }, key).toEqual({ dtype: 'float32', shape });
    }
    opt.dispose();
  });

  test.each(['lucid', 'JSON', 'torch file'] as const)('through %s, a fresh optimizer continues bit for bit', (how) => {
    const { a, b, opt } = trained(name);
    const fresh = { a: new Parameter(a.data, { shape: [2, 3] }), b: new Parameter(b.data) };
    const copy = new (classOf(name))([{ params: [fresh.a] }, { params: [fresh.b] }]);
    const saved = how === 'torch file' ? loadTorch(saveTorch(opt.stateDict({ format: 'torch' }))) : how === 'JSON' ? JSON.parse(JSON.stringify(opt.stateDict())) : opt.stateDict();
    copy.loadStateDict(saved);
    expect(copy.paramGroups.map(({ params: _, ...g }) => g)).toEqual(opt.paramGroups.map(({ params: _, ...g }) => g));
    for (let t = 0; t < 3; t++) {
      for (const [p, q] of [
        [a, fresh.a],
        [b, fresh.b],
      ]) {
        p.grad = [...p.data].map((x, i) => 0.5 - i * x + t);
        q.grad = p.grad;
      }
      opt.step();
      copy.step();
    }
    expect(bits(fresh.a.data)).toEqual(bits(a.data));
    expect(bits(fresh.b.data)).toEqual(bits(b.data));
    const [mine, theirs] = [copy.stateDict().state, opt.stateDict().state] as Record<string, unknown>[][];
    for (const i of [0, 1]) {
      for (const key of Object.keys(theirs[i])) {
        const [x, y] = [mine[i][key], theirs[i][key]];
        if (y instanceof Float32Array) expect(bits(x as Float32Array), `${key} of ${i}`).toEqual(bits(y));
        else expect(x, `${key} of ${i}`).toBe(y);
      }
    }
    for (const o of [opt, copy]) o.dispose();
  });

  test("refused, naming the field, and nothing changed: a missing or mistyped state key, another optimizer's dict", () => {
    const { a, b, opt } = trained(name);
    const other = new (classOf(name === 'Adagrad' ? 'Rprop' : 'Adagrad'))([{ params: [new Parameter(6)] }, { params: [new Parameter(2)] }]);
    const before = observe([a, b], [opt]);
    const sd = opt.stateDict();
    const last = c.torchState[c.torchState.length - 1];
    const { [camel(last)]: _, ...partial } = sd.state[0] as Record<string, unknown>;
    // torch raises a KeyError at its next step for a state without a key it reads.
    expect((thrownBy(() => opt.loadStateDict({ ...sd, state: { ...sd.state, 0: partial } } as never)) as Error).message).toMatch(
      new RegExp(`^${name}\\.loadStateDict: stateDict\\.state\\[0\\]\\.${camel(last)} must be a`),
    );
    for (const key of c.torchState.slice(1)) {
      const bad = { ...(sd.state[0] as Record<string, unknown>), [camel(key)]: 'x' };
      expect(() => opt.loadStateDict({ ...sd, state: { ...sd.state, 0: bad } } as never), key).toThrow(TypeError);
    }
    expect(() => opt.loadStateDict(other.stateDict())).toThrow(TypeError);
    expect(observe([a, b], [opt])).toEqual(before);
    other.dispose();
    opt.dispose();
  });

  test('the non-finite guard skips the whole step, changing nothing; closures; zeroGrad', () => {
    const [x, y] = [new Parameter([1]), new Parameter([2])];
    const seen: number[] = [];
    const opt = new (classOf(name))([x, y], { ...c.options, skipNonFinite: true, onNonFinite: (e: { index: number }) => seen.push(e.index) });
    x.grad = [1];
    expect(opt.step(() => 42)).toBe(42);
    y.grad = [NaN];
    const before = observe([x, y]);
    const state = opt.stateDict();
    opt.step();
    expect([observe([x, y]), opt.stateDict()]).toEqual([before, state]);
    expect([opt.skippedSteps, opt.lastStepSkipped, seen]).toEqual([1, true, [1]]);
    opt.zeroGrad();
    expect([x.grad, y.grad]).toEqual([null, null]);
    opt.dispose();
  });

  test("addParams: an added parameter takes its group's options, and its state starts at its first step", () => {
    const [x, y] = [new Parameter([1, 2]), new Parameter([1, 2])];
    const opt = new (classOf(name))([{ params: [] }], c.options);
    const alone = new (classOf(name))([y], c.options);
    opt.addParams([x]);
    // Adagrad's constructor creates its parameters' state; one added later gets it at its first step, as in torch.
    expect(Object.keys(opt.stateDict().state)).toEqual([]);
    for (let t = 0; t < 3; t++) {
      x.grad = [0.5 + t, -1];
      y.grad = [0.5 + t, -1];
      opt.step();
      alone.step();
    }
    expect(bits(x.data)).toEqual(bits(y.data));
    opt.dispose();
    alone.dispose();
  });
});

describe("Adagrad's state, made by its constructor as torch's", () => {
  test("every parameter has step 0 and sum filled with the constructor's initialAccumulatorValue, whatever its group says", () => {
    // torch 2.15 Adagrad.__init__: state["sum"] = torch.full_like(p, initial_accumulator_value) for
    // every group's parameters, from the constructor's argument (self.defaults), not the group's.
    const opt = new lucid.Adagrad([{ params: [new Parameter([1, 2])] }, { params: [new Parameter([3])], initialAccumulatorValue: 0.5 }], { initialAccumulatorValue: 0.1 });
    const sd = opt.stateDict();
    expect(sd.state).toEqual({ 0: { step: 0, sum: Float32Array.of(0.1, 0.1) }, 1: { step: 0, sum: Float32Array.of(0.1) } });
    expect(sd.paramGroups[1].initialAccumulatorValue).toBe(0.5);
    opt.dispose();
  });
});

describe('RMSprop, a buffer switched on after the state exists', () => {
  test('momentum or centered switched on later: the buffer starts at zeros (torch raises a KeyError there)', () => {
    const [x, y] = [new Parameter([1, -2]), new Parameter([1, -2])];
    const later = new lucid.RMSprop([x]);
    const fromStart = new lucid.RMSprop([y]);
    x.grad = y.grad = [0.5, 0.25];
    later.step();
    fromStart.step();
    later.paramGroups[0].momentum = 0.9;
    later.paramGroups[0].centered = true;
    x.grad = [0.5, 0.25];
    later.step();
    const state = later.stateDict().state[0];
    expect(Object.keys(state)).toEqual(['step', 'squareAvg', 'momentumBuffer', 'gradAvg']);
    // With zeros: buf = 0.9 * 0 + g / avg, and gradAvg = lerp(0, g, 0.01).
    expect(state.momentumBuffer![0]).toBeGreaterThan(0);
    expect(state.gradAvg![0]).toBe(Math.fround(Math.fround(0.01) * 0.5));
    later.dispose();
    fromStart.dispose();
  });
});
