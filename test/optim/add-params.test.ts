// Empty groups and Adam.addParams: PyTorch's `Adam([{'params': []}])` and
// `optimizer.param_groups[g]['params'].extend(params)`, so that a scheduler built before the
// first step governs parameters first seen later (what the TensorFlow.js bridge relies on).
import { beforeAll, describe, expect, test } from 'vitest';
import { Adam, AdamW, init, Parameter, StepLR } from 'lucid-optim';
import { bits, thrownBy } from '../helpers.js';
import { observe } from '../observe.js';

beforeAll(() => init());

describe('empty groups, as torch takes them', () => {
  test.each([Adam, AdamW])('%o: [{ params: [] }] is an optimizer whose step changes nothing', (Optimizer) => {
    const opt = new Optimizer([{ params: [] }], { lr: 0.1 });
    opt.step();
    expect(opt.paramGroups[0].params).toEqual([]);
    const sd = opt.stateDict();
    expect(sd.state).toEqual({});
    expect(sd.paramGroups[0].params).toEqual([]);
    opt.loadStateDict(sd);
    opt.addParamGroup({ params: [] });
    expect(opt.paramGroups.length).toBe(2);
    // torch: `Adam([])` raises "optimizer got an empty parameter list"; lucid-optim refuses it too.
    expect(() => new Optimizer([])).toThrow(new RangeError(`${Optimizer.name}: params must be non-empty, got []`));
  });

  test('a scheduler sets an empty group\'s lr, and the parameters added later step with it', () => {
    const opt = new Adam([{ params: [] }], { lr: 0.1 });
    const sched = new StepLR(opt, { stepSize: 1, gamma: 0.5 });
    opt.step();
    sched.step();
    expect(opt.paramGroups[0].lr).toBe(0.05);
    const w = new Parameter([1]);
    opt.addParams([w]);
    w.grad = [1];
    opt.step();
    // Adam's first step moves by lr against the gradient's sign: 1 - 0.05 (in f32).
    expect(w.data[0]).toBe(Math.fround(Math.fround(1) - Math.fround(0.05)));
  });
});

describe('addParams', () => {
  test('added parameters step bit for bit like parameters given at construction, lazily', () => {
    const make = () => [new Parameter([1, -2]), new Parameter([3]), new Parameter([0.5, 0.75, -1])];
    const [a1, b1, c1] = make();
    const [a2, b2, c2] = make();
    const late = new Adam([{ params: [a1] }, { params: [b1], lr: 0.05 }], { lr: 0.1 });
    const early = new Adam([{ params: [a2, c2] }, { params: [b2], lr: 0.05 }], { lr: 0.1 });
    for (let i = 0; i < 2; i++) {
      for (const p of [a1, b1, a2, b2]) p.grad = new Float32Array(p.length).fill(0.5 - i);
      late.step();
      early.step();
    }
    late.addParams([c1]);
    expect(late.paramGroups[0].params).toEqual([a1, c1]);
    expect(late.stateDict().state[1]).toBeUndefined();
    for (let i = 0; i < 3; i++) {
      for (const p of [a1, b1, c1, a2, b2, c2]) p.grad = new Float32Array(p.length).fill(0.25 * i - 1);
      late.step();
      early.step();
    }
    for (const [x, y] of [[a1, a2], [b1, b2], [c1, c2]]) expect(bits(x.data)).toEqual(bits(y.data));
    expect(late.stateDict()).toEqual(early.stateDict());
    expect(late.stateDict().state[1].step).toBe(3);
  });

  test('numbers parameters by position across groups, as torch does after .extend', () => {
    // torch 2.15 (/work/wt-golden/.venv-golden):
    //   o = torch.optim.Adam([{'params': [a]}, {'params': [b]}], lr=0.1); a.grad = b.grad = ones; o.step()
    //   o.param_groups[0]['params'].extend([c]); o.state_dict()
    //   -> 'state': {0: a's, 2: b's}, 'param_groups': [{'params': [0, 1]}, {'params': [2]}]
    // (torch's Optimizer.state_dict numbers params by enumerating param_groups in order.)
    const [a, b, c] = [new Parameter([1, 1]), new Parameter([1, 1, 1]), new Parameter([1])];
    const opt = new Adam([{ params: [a] }, { params: [b] }], { lr: 0.1 });
    a.grad = [1, 1];
    b.grad = [1, 1, 1];
    opt.step();
    const bState = opt.stateDict().state[1];
    opt.addParams([c], 0);
    const sd = opt.stateDict();
    expect(sd.paramGroups.map((g) => g.params)).toEqual([[0, 1], [2]]);
    expect(Object.keys(sd.state)).toEqual(['0', '2']);
    expect(sd.state[2]).toEqual(bState);
    // And it loads back, into an optimizer built with that layout.
    const [a2, c2, b2] = [new Parameter([1, 1]), new Parameter([1]), new Parameter([1, 1, 1])];
    const other = new Adam([{ params: [a2, c2] }, { params: [b2] }]);
    other.loadStateDict(sd);
    expect(other.stateDict()).toEqual(sd);
    opt.loadStateDict(sd);
    expect(opt.stateDict()).toEqual(sd);
  });

  test('paramGroups[g].params stays read-only', () => {
    const opt = new Adam([{ params: [] }]);
    opt.addParams([new Parameter(1)]);
    expect(Object.isFrozen(opt.paramGroups[0].params)).toBe(true);
    expect(() => ((opt.paramGroups[0] as { params: unknown }).params = [])).toThrow(TypeError);
    expect(opt.paramGroups[0].params.length).toBe(1);
  });

  const setup = () => {
    const a = new Parameter([1, 2], { name: 'a' });
    const b = new Parameter([3], { name: 'b' });
    const spare = new Parameter([4], { name: 'spare' });
    const opt = new Adam([{ params: [a] }, { params: [b] }], { lr: 0.1 });
    a.grad = [1, 1];
    b.grad = [1];
    opt.step();
    return { a, b, spare, opt, params: [a, b, spare] };
  };
  type F = ReturnType<typeof setup>;
  const cases: [string, ((f: F) => void) | null, (f: F) => void, typeof TypeError | typeof RangeError, string][] = [
    ['not iterable', null, (f) => f.opt.addParams(5 as never), TypeError, 'Adam.addParams: params must be an iterable of Parameters, got 5'],
    ['a non-Parameter item', null, (f) => f.opt.addParams([f.spare, 'w'] as never), TypeError, 'Adam.addParams: params[1] must be a Parameter, got "w"'],
    ['a disposed parameter', (f) => f.spare.dispose(), (f) => f.opt.addParams([f.spare]), TypeError, 'Adam.addParams: params[0] (Parameter "spare") was disposed'],
    ['a parameter of another group', null, (f) => f.opt.addParams([f.spare, f.b], 0), TypeError, 'Adam.addParams: params[1] (Parameter "b") appears more than once; a parameter can be in only one group'],
    ['repeated within the call', null, (f) => f.opt.addParams([f.spare, f.spare]), TypeError, 'Adam.addParams: params[1] (Parameter "spare") appears more than once; a parameter can be in only one group'],
    ['group out of range', null, (f) => f.opt.addParams([f.spare], 2), RangeError, 'Adam.addParams: group must be an integer in [0, 1], got 2'],
    ['group negative', null, (f) => f.opt.addParams([f.spare], -1), RangeError, 'Adam.addParams: group must be an integer in [0, 1], got -1'],
    ['group fractional', null, (f) => f.opt.addParams([f.spare], 0.5), RangeError, 'Adam.addParams: group must be an integer in [0, 1], got 0.5'],
    ['group a string', null, (f) => f.opt.addParams([f.spare], '0' as never), TypeError, 'Adam.addParams: group must be a number, got "0"'],
    ['after dispose', (f) => f.opt.dispose(), (f) => f.opt.addParams([f.spare]), TypeError, 'Adam.addParams: optimizer used after dispose()'],
  ];
  test.each(cases)('refuses %s, by name and value, changing nothing', (_name, prepare, act, ErrorClass, message) => {
    const f = setup();
    prepare?.(f);
    const before = observe(f.params, [f.opt]);
    expect(thrownBy(() => act(f))).toEqual(new ErrorClass(message));
    expect(observe(f.params, [f.opt])).toEqual(before);
  });

  test('AdamW: added parameters take the group\'s decoupled weight decay', () => {
    const [a, c] = [new Parameter([1]), new Parameter([1])];
    const opt = new AdamW([{ params: [] }, { params: [a] }], { lr: 0.1, weightDecay: 0.5 });
    opt.addParams([c], 0);
    expect(opt.paramGroups[0].params).toEqual([c]);
    a.grad = [1];
    c.grad = [1];
    opt.step();
    expect(bits(c.data)).toEqual(bits(a.data));
    expect(Object.keys(opt.stateDict().state)).toEqual(['0', '1']);
  });
});
