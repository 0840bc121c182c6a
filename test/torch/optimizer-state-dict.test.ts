// opt.stateDict({ format: 'torch' }) and opt.loadStateDict(<torch's shape>): the shape torch 2.15's
// Adam/AdamW state_dict() has (keys, their order, tensors), the round trip through saveTorch and
// loadTorch, and loadStateDict's checks of a torch-shaped dict (TypeError/RangeError naming the
// field in torch's words, nothing changed). The key lists below are what
//
//   /work/wt-golden/.venv-golden/bin/python -c "import torch; w = torch.nn.Parameter(torch.ones(2)); \
//     o = torch.optim.Adam([w]); w.sum().backward(); o.step(); print(o.state_dict())"
//
// prints with torch 2.15.0 (AdamW: the same keys, decoupled_weight_decay True). Real torch files:
// test/torch/resume-golden.test.ts.
import { beforeAll, describe, expect, test } from 'vitest';
import { Adam, AdamW, init, loadTorch, Parameter, saveTorch, type TorchStateDict, type TorchTensor } from 'lucid-optim';
import { observe } from '../observe.js';
import { bits, thrownBy } from '../helpers.js';

beforeAll(() => init());

const GROUP_KEYS = ['lr', 'betas', 'eps', 'weight_decay', 'amsgrad', 'maximize', 'foreach', 'capturable', 'differentiable', 'fused', 'decoupled_weight_decay', 'params'];

/** Three parameters: w1 [3] and w3 [2] in group 0, w2 [2, 2] in group 1 (AMSGrad); w3 never has a gradient. */
function makeModel(Optimizer: typeof Adam = Adam) {
  const params = [
    new Parameter([1, -2, 3], { name: 'w1' }),
    new Parameter([5, 6], { name: 'w3' }),
    new Parameter([0.5, -1, 2, 4], { shape: [2, 2], name: 'w2' }),
  ];
  const opt = new Optimizer([{ params: [params[0], params[1]] }, { params: [params[2]], lr: 0.01, amsgrad: true }], { weightDecay: 0.01 });
  return { params, opt };
}

function train(model: ReturnType<typeof makeModel>, from: number, to: number) {
  for (let t = from; t < to; t++) {
    model.params[0].grad = [Math.sin(t), 0.5, -Math.cos(t)];
    model.params[2].grad = [t, -1, 0.25, Math.sin(3 * t)];
    model.opt.step();
  }
}

const get = (m: unknown, ...path: (string | number)[]): unknown => path.reduce<unknown>((v, k) => (v instanceof Map ? v.get(k) : (v as unknown[])[k as number]), m);

describe("stateDict({ format: 'torch' })", () => {
  for (const Optimizer of [Adam, AdamW]) {
    test(`${Optimizer.name}: torch's keys in torch's order, integer state keys, tensors shaped like the parameters`, () => {
      const model = makeModel(Optimizer);
      train(model, 1, 4);
      const sd = model.opt.stateDict({ format: 'torch' });
      expect([...sd.keys()]).toEqual(['state', 'param_groups']);
      const state = sd.get('state') as Map<number, Map<string, TorchTensor>>;
      expect([...state.keys()]).toEqual([0, 2]); // w3 (index 1) never had a gradient: absent, as in torch
      expect([...state.get(0)!.keys()]).toEqual(['step', 'exp_avg', 'exp_avg_sq']);
      expect([...state.get(2)!.keys()]).toEqual(['step', 'exp_avg', 'exp_avg_sq', 'max_exp_avg_sq']);
      expect(state.get(0)!.get('step')).toEqual({ dtype: 'float32', shape: [], data: Float32Array.of(3) });
      const plain = model.opt.stateDict();
      for (const [i, shape] of [[0, [3]], [2, [2, 2]]] as const) {
        const entry = state.get(i)!;
        for (const [torchKey, key] of [['exp_avg', 'expAvg'], ['exp_avg_sq', 'expAvgSq'], ['max_exp_avg_sq', 'maxExpAvgSq']] as const) {
          if (i === 0 && key === 'maxExpAvgSq') continue;
          const t = entry.get(torchKey)!;
          expect([t.dtype, t.shape]).toEqual(['float32', shape]);
          expect(bits(t.data as Float32Array)).toEqual(bits(plain.state[i][key]!));
        }
      }
      const groups = sd.get('param_groups') as Map<string, unknown>[];
      expect(groups.map((g) => [...g.keys()])).toEqual([GROUP_KEYS, GROUP_KEYS]);
      const decoupled = Optimizer === AdamW;
      expect(Object.fromEntries(groups[1])).toEqual({
        lr: 0.01, betas: [0.9, 0.999], eps: 1e-8, weight_decay: 0.01, amsgrad: true, maximize: false,
        foreach: null, capturable: false, differentiable: false, fused: null, decoupled_weight_decay: decoupled, params: [2],
      });
      expect(groups[0].get('params')).toEqual([0, 1]);
      // Plain stateDict() is what it always was.
      expect(model.opt.stateDict({ format: 'lucid' })).toEqual(plain);
      expect(Object.keys(plain)).toEqual(['state', 'paramGroups']);
    });
  }

  test('extra group keys go over in snake_case (initialLr -> initial_lr, which torch schedulers read) and come back in camelCase', () => {
    const model = makeModel();
    train(model, 1, 2);
    model.opt.paramGroups[0].initialLr = 1e-3;
    model.opt.paramGroups[1].note = 'kept';
    const sd = model.opt.stateDict({ format: 'torch' });
    const groups = sd.get('param_groups') as Map<string, unknown>[];
    expect([...groups[0].keys()].slice(-2)).toEqual(['initial_lr', 'params']);
    expect(groups[1].get('note')).toBe('kept');
    const other = makeModel();
    other.opt.loadStateDict(loadTorch(saveTorch(sd)) as TorchStateDict);
    expect(other.opt.paramGroups[0].initialLr).toBe(1e-3);
    expect(other.opt.paramGroups[1].note).toBe('kept');
  });

  test('bad options: TypeError naming them', () => {
    const { opt } = makeModel();
    expect(thrownBy(() => opt.stateDict({ format: 'json' as 'torch' })).message).toBe("Adam.stateDict: options.format must be 'lucid' or 'torch', got \"json\"");
    expect(thrownBy(() => opt.stateDict(null as never))).toBeInstanceOf(TypeError);
    expect(thrownBy(() => opt.stateDict({ fromat: 'torch' } as never)).message).toMatch(/^Adam\.stateDict: options\.fromat is not an option/);
  });
});

describe('loadStateDict(loadTorch(saveTorch(stateDict({ format: "torch" }))))', () => {
  for (const [From, To] of [[Adam, Adam], [AdamW, AdamW], [Adam, AdamW], [AdamW, Adam]] as const) {
    test(`${From.name} -> ${To.name}: training continues bit for bit as if never interrupted`, () => {
      const first = makeModel(From);
      const uninterrupted = makeModel(From);
      train(first, 1, 6);
      train(uninterrupted, 1, 6);
      const file = saveTorch(first.opt.stateDict({ format: 'torch' }));
      const resumed = makeModel(To);
      resumed.params.forEach((p, i) => p.data.set(first.params[i].data));
      resumed.opt.loadStateDict(loadTorch(file) as TorchStateDict);
      // torch's rule: the saved groups replace the current ones, decoupled_weight_decay included
      // (AdamW forces it on, as its __setstate__ does).
      expect(resumed.opt.paramGroups.map((g) => g.decoupledWeightDecay)).toEqual([From === AdamW || To === AdamW, From === AdamW || To === AdamW]);
      if (From === To) {
        train(resumed, 6, 12);
        train(uninterrupted, 6, 12);
        resumed.params.forEach((p, i) => expect(bits(p.data), `param ${i}`).toEqual(bits(uninterrupted.params[i].data)));
        expect(resumed.opt.stateDict()).toEqual(uninterrupted.opt.stateDict());
      }
    });
  }

  test("what torch's __setstate__ fills in: no amsgrad, maximize or decoupled_weight_decay -> false; step as a number or a float64 0-d tensor", () => {
    const model = makeModel();
    train(model, 1, 3);
    const sd = loadTorch(saveTorch(model.opt.stateDict({ format: 'torch' }))) as TorchStateDict;
    const group = get(sd, 'param_groups', 0) as Map<string, unknown>;
    for (const key of ['amsgrad', 'maximize', 'decoupled_weight_decay', 'foreach', 'capturable', 'differentiable', 'fused']) group.delete(key);
    (get(sd, 'state', 0) as Map<string, unknown>).set('step', 2);
    (get(sd, 'state', 2) as Map<string, unknown>).set('step', { dtype: 'float64', shape: [], data: Float64Array.of(2) });
    const other = makeModel();
    other.opt.paramGroups[0].maximize = true;
    other.opt.loadStateDict(sd);
    expect([other.opt.paramGroups[0].amsgrad, other.opt.paramGroups[0].maximize, other.opt.paramGroups[0].decoupledWeightDecay]).toEqual([false, false, false]);
    expect(other.opt.stateDict()).toEqual(model.opt.stateDict());
  });

  test("torch's flags (foreach, capturable, differentiable, fused) are checked, then dropped: lucid computes the single-tensor path", () => {
    const model = makeModel();
    train(model, 1, 2);
    const sd = model.opt.stateDict({ format: 'torch' });
    const group = get(sd, 'param_groups', 1) as Map<string, unknown>;
    group.set('foreach', true).set('fused', false).set('capturable', true).set('differentiable', false);
    const other = makeModel();
    other.opt.loadStateDict(sd);
    expect(Object.keys(other.opt.paramGroups[1])).toEqual(['lr', 'betas', 'eps', 'weightDecay', 'amsgrad', 'maximize', 'decoupledWeightDecay', 'params']);
  });
});

describe('loadStateDict of a bad torch-shaped dict: TypeError or RangeError naming the field, nothing changed', () => {
  type Edit = (sd: TorchStateDict) => unknown;
  const group = (sd: TorchStateDict, g: number) => get(sd, 'param_groups', g) as Map<string, unknown>;
  const entry = (sd: TorchStateDict, i: number) => get(sd, 'state', i) as Map<string, unknown>;
  const f32 = (shape: number[], n = shape.reduce((a, b) => a * b, 1)): TorchTensor => ({ dtype: 'float32', shape, data: new Float32Array(n) });
  const cases: [string, Edit, typeof TypeError | typeof RangeError, string][] = [
    ['an extra top-level key', (sd) => sd.set('extra', 1), TypeError, `stateDict key "extra" must be absent (torch's state dict has only 'state' and 'param_groups'), got 1`],
    ['param_groups not an array', (sd) => sd.set('param_groups', new Map()), TypeError, "stateDict.get('param_groups') must be an array, got a Map"],
    ['one group too few', (sd) => (sd.get('param_groups') as unknown[]).pop(), RangeError, "stateDict.param_groups.length must be 2 (this optimizer's group count), got 1"],
    ['a group as a plain object', (sd) => ((sd.get('param_groups') as unknown[])[0] = { lr: 1 }), TypeError, 'stateDict.param_groups[0] must be a Map (a dict, as loadTorch returns it), got an object (Object)'],
    ['no lr', (sd) => group(sd, 0).delete('lr'), TypeError, 'stateDict.param_groups[0].lr must be present, got undefined'],
    ['a negative lr', (sd) => group(sd, 1).set('lr', -0.1), RangeError, 'stateDict.param_groups[1].lr must be a finite number >= 0, got -0.1'],
    ['lr a string', (sd) => group(sd, 0).set('lr', '0.1'), TypeError, 'stateDict.param_groups[0].lr must be a number, got "0.1"'],
    ['beta2 = 1', (sd) => group(sd, 0).set('betas', [0.9, 1]), RangeError, 'stateDict.param_groups[0].betas[1] must be in [0, 1), got 1'],
    ['three betas', (sd) => group(sd, 0).set('betas', [0.9, 0.99, 0.5]), RangeError, 'stateDict.param_groups[0].betas.length must be 2, got 3'],
    ['amsgrad 1', (sd) => group(sd, 0).set('amsgrad', 1), TypeError, 'stateDict.param_groups[0].amsgrad must be a boolean, got 1'],
    ['weightDecay in camelCase', (sd) => group(sd, 0).set('weightDecay', 0), TypeError, 'stateDict.param_groups[0].weightDecay is not an option (did you mean weight_decay?), got 0'],
    ['lucid option name skip_non_finite', (sd) => group(sd, 0).set('skip_non_finite', true), TypeError, 'stateDict.param_groups[0].skip_non_finite is not an option'],
    ['foreach a string', (sd) => group(sd, 0).set('foreach', 'yes'), TypeError, 'stateDict.param_groups[0].foreach must be True, False or None, got "yes"'],
    ['capturable None', (sd) => group(sd, 1).set('capturable', null), TypeError, 'stateDict.param_groups[1].capturable must be True or False, got null'],
    ['params of another length', (sd) => group(sd, 0).set('params', [0]), RangeError, "stateDict.param_groups[0].params.length must be 2 (this group's size), got 1"],
    ['a repeated param index', (sd) => group(sd, 1).set('params', [0]), RangeError, 'stateDict.param_groups[1].params[0] must be unique, got 0'],
    ['state a plain object', (sd) => sd.set('state', {}), TypeError, "stateDict.get('state') must be a Map keyed by parameter index, got an object (Object)"],
    ['a string state key', (sd) => (sd.get('state') as Map<unknown, unknown>).set('0', new Map()), RangeError, 'stateDict.state key "0" must be the index of a parameter in param_groups, got "0"'],
    ['a state key beyond the parameters', (sd) => (sd.get('state') as Map<unknown, unknown>).set(3, new Map()), RangeError, 'stateDict.state key 3 must be the index of a parameter in param_groups, got 3'],
    ['an unknown state key', (sd) => entry(sd, 0).set('momentum_buffer', f32([3])), TypeError, `stateDict.state[0] key "momentum_buffer" must be absent (Adam's state has only step, exp_avg, exp_avg_sq, max_exp_avg_sq), got a float32 tensor of shape [3]`],
    ['exp_avg float64', (sd) => entry(sd, 0).set('exp_avg', { dtype: 'float64', shape: [3], data: new Float64Array(3) }), TypeError, 'stateDict.state[0].exp_avg must be a float32 tensor (the dtype of the parameters lucid-optim steps), got a float64 tensor of shape [3]'],
    ['exp_avg a Float32Array', (sd) => entry(sd, 0).set('exp_avg', new Float32Array(3)), TypeError, 'stateDict.state[0].exp_avg must be a float32 tensor, got a Float32Array of length 3'],
    ['exp_avg_sq flat for a [2, 2] parameter', (sd) => entry(sd, 2).set('exp_avg_sq', f32([4])), RangeError, "stateDict.state[2].exp_avg_sq.shape must be [2, 2] (the parameter's shape), got [4]"],
    ['exp_avg [1, 3] for a [3] parameter', (sd) => entry(sd, 0).set('exp_avg', f32([1, 3])), RangeError, "stateDict.state[0].exp_avg.shape must be [3] (the parameter's shape; give the Parameter its torch shape: new Parameter(data, { shape })), got [1, 3]"],
    ['data shorter than the shape', (sd) => entry(sd, 2).set('max_exp_avg_sq', f32([2, 2], 3)), RangeError, "stateDict.state[2].max_exp_avg_sq.data must be a Float32Array of 4 elements (the parameter's length), got a Float32Array of length 3"],
    ['no max_exp_avg_sq with AMSGrad', (sd) => entry(sd, 2).delete('max_exp_avg_sq'), TypeError, 'stateDict.state[2].max_exp_avg_sq must be a tensor (its group has amsgrad: True), got undefined'],
    ['step 1.5', (sd) => entry(sd, 0).set('step', { dtype: 'float32', shape: [], data: Float32Array.of(1.5) }), RangeError, 'stateDict.state[0].step must be an integer >= 0, got 1.5'],
    ['step of shape [1]', (sd) => entry(sd, 0).set('step', f32([1])), RangeError, 'stateDict.state[0].step.shape must be [] (a 0-d tensor), got [1]'],
    ['step an int64 tensor', (sd) => entry(sd, 0).set('step', { dtype: 'int64', shape: [], data: BigInt64Array.of(1n) }), TypeError, 'stateDict.state[0].step must be a float32 (or float64) 0-d tensor, got an int64 tensor of shape []'],
    ['step 2^53 (more than a state can count)', (sd) => entry(sd, 0).set('step', { dtype: 'float64', shape: [], data: Float64Array.of(2 ** 53) }), RangeError, 'stateDict.state[0].step must be an integer >= 0'],
    ['step a string', (sd) => entry(sd, 0).set('step', '1'), TypeError, 'stateDict.state[0].step must be a float32 0-d tensor (or a number), got "1"'],
    ['no exp_avg', (sd) => entry(sd, 0).delete('exp_avg'), TypeError, 'stateDict.state[0].exp_avg must be a float32 tensor, got undefined'],
  ];
  for (const [what, edit, ErrorClass, message] of cases) {
    test(what, () => {
      const model = makeModel();
      train(model, 1, 3);
      const sd = loadTorch(saveTorch(model.opt.stateDict({ format: 'torch' }))) as TorchStateDict;
      edit(sd);
      const target = makeModel();
      train(target, 1, 2);
      target.opt.paramGroups[0].lr = 0.5;
      const before = observe(target.params, [target.opt]);
      const error = thrownBy(() => target.opt.loadStateDict(sd));
      expect(error).toBeInstanceOf(ErrorClass);
      expect(error.message.startsWith(`Adam.loadStateDict: ${message}`), error.message).toBe(true);
      expect(observe(target.params, [target.opt])).toEqual(before);
    });
  }
});
