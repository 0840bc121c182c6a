// The Foundation's error list: each bad input throws a TypeError or RangeError whose message
// names the field and the bad value, and leaves everything observable as it was (test/observe.ts:
// every parameter, all optimizer state, what lucid-optim has allocated). (test/e2e/reliability/ holds
// the exhaustive matrix; this is the contract's list.)
import { beforeAll, describe, expect, test } from 'vitest';
import { Adam, init, Parameter, type StateDict } from 'lucid-optim';
import { observe } from '../observe.js';

beforeAll(() => init());

function setup() {
  const a = new Parameter([1, 2, 3], { name: 'a' });
  const b = new Parameter([4, 5], { name: 'b' });
  const opt = new Adam([{ params: [a] }, { params: [b], lr: 0.1, amsgrad: true }]);
  a.grad = [0.1, 0.2, 0.3];
  b.grad = [-1, 1];
  opt.step();
  // In no optimizer: what the refused constructor and addParamGroup calls are given, made here so
  // that the calls themselves allocate nothing.
  const spare = new Parameter(1, { name: 'spare' });
  return { a, b, spare, opt, params: [a, b, spare] };
}

type Model = ReturnType<typeof setup>;
const cases: [string, (m: Model) => unknown, ErrorConstructor, RegExp][] = [
  ['lr < 0', (m) => new Adam([m.spare], { lr: -1 }), RangeError, /^Adam: lr must be a finite number >= 0, got -1$/],
  ['eps < 0', (m) => new Adam([m.spare], { eps: -1e-8 }), RangeError, /^Adam: eps must be a finite number >= 0, got -1e-8$/],
  ['weightDecay < 0', (m) => new Adam([m.spare], { weightDecay: -0.1 }), RangeError, /weightDecay must be a finite number >= 0, got -0.1$/],
  ['betas[1] = 1', (m) => new Adam([m.spare], { betas: [0.9, 1] }), RangeError, /^Adam: betas\[1\] must be in \[0, 1\), got 1$/],
  ['betas[0] < 0', (m) => new Adam([m.spare], { betas: [-0.5, 0.9] }), RangeError, /betas\[0\] must be in \[0, 1\), got -0.5$/],
  ['lr NaN', (m) => new Adam([m.spare], { lr: NaN }), RangeError, /lr must be a finite number >= 0, got NaN$/],
  ['lr a string', (m) => new Adam([m.spare], { lr: '0.1' as never }), TypeError, /^Adam: lr must be a number, got "0.1"$/],
  ['amsgrad not boolean', (m) => new Adam([m.spare], { amsgrad: 1 as never }), TypeError, /amsgrad must be a boolean, got 1$/],
  ['group option out of range', (m) => m.opt.addParamGroup({ params: [m.spare], lr: -2 }), RangeError, /^Adam.addParamGroup: group.lr must be a finite number >= 0, got -2$/],
  ['lr set to NaN in paramGroups, seen at step', (m) => { m.opt.paramGroups[1].lr = NaN; try { m.opt.step(); } finally { m.opt.paramGroups[1].lr = 0.1; } }, RangeError, /^Adam.step: paramGroups\[1\].lr must be a finite number >= 0, got NaN$/],
  ['grad of the wrong length', (m) => { m.a.grad = [1, 2]; }, RangeError, /^Parameter "a": grad.length must be 3, got 2$/],
  ['data of the wrong length', (m) => { m.b.data = new Float32Array(5); }, RangeError, /^Parameter "b": data.length must be 2, got 5$/],
  ['grad with a non-number', (m) => { m.a.grad = [1, 'x', 3] as never; }, TypeError, /^Parameter "a": grad\[1\] must be a number, got "x"$/],
  ['duplicate parameter across groups', (m) => m.opt.addParamGroup({ params: [m.a] }), TypeError, /group.params\[0\] \(Parameter "a"\) appears more than once/],
  ['duplicate parameter in the constructor', (m) => new Adam([{ params: [m.a] }, { params: [m.b, m.a] }]), TypeError, /paramGroups\[1\].params\[1\] \(Parameter "a"\) appears more than once/],
  ['loadStateDict with another group count', (m) => { const sd = m.opt.stateDict(); sd.paramGroups.pop(); m.opt.loadStateDict(sd); }, RangeError, /stateDict.paramGroups.length must be 2 \(this optimizer's group count\), got 1$/],
  ['loadStateDict with another group size', (m) => { const sd = m.opt.stateDict(); sd.paramGroups[1].params.push(7); m.opt.loadStateDict(sd); }, RangeError, /stateDict.paramGroups\[1\].params.length must be 1 \(this group's size\), got 2$/],
  ['loadStateDict with a short buffer', (m) => { const sd = m.opt.stateDict(); sd.state[1].expAvgSq = new Float32Array(1); m.opt.loadStateDict(sd); }, RangeError, /stateDict.state\[1\].expAvgSq.length must be 2 \(the parameter's length\), got 1$/],
  ['loadStateDict with a fractional step', (m) => { const sd = m.opt.stateDict(); sd.state[0].step = 1.5; m.opt.loadStateDict(sd); }, RangeError, /stateDict.state\[0\].step must be an integer >= 0, got 1.5$/],
  ['loadStateDict without maxExpAvgSq for an amsgrad group', (m) => { const sd = m.opt.stateDict(); delete sd.state[1].maxExpAvgSq; m.opt.loadStateDict(sd); }, TypeError, /stateDict.state\[1\].maxExpAvgSq must be a buffer \(its group has amsgrad: true\), got undefined$/],
  ['loadStateDict with a malformed entry', (m) => m.opt.loadStateDict({ state: { 0: 'oops' }, paramGroups: m.opt.stateDict().paramGroups } as unknown as StateDict), TypeError, /stateDict.state\[0\] must be an object, got "oops"$/],
];

describe('bad input is refused by name and value, and changes nothing', () => {
  test.each(cases)('%s', (_name, act, errorClass, message) => {
    const model = setup();
    const before = observe(model.params, [model.opt]);
    let thrown: unknown;
    try {
      act(model);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(errorClass);
    expect((thrown as Error).message).toMatch(message);
    expect(observe(model.params, [model.opt])).toEqual(before);
  });
});

test('a step with a disposed parameter throws and steps no other parameter', () => {
  const model = setup();
  const c = new Parameter([1], { name: 'c' });
  model.opt.addParamGroup({ params: [c] });
  c.dispose();
  const params = [...model.params, c];
  const before = observe(params, [model.opt]);
  expect(() => model.opt.step()).toThrow(new TypeError('Adam.step: parameter 2 (Parameter "c") was disposed'));
  expect(observe(params, [model.opt])).toEqual(before);
});

test('a disposed Parameter refuses every use, and disposing twice is harmless', () => {
  const p = new Parameter([1, 2], { name: 'p' });
  p.dispose();
  p.dispose();
  expect(() => p.data).toThrow(new TypeError('Parameter "p": data used after dispose()'));
  expect(() => (p.grad = [1, 2])).toThrow(/Parameter "p": grad used after dispose\(\)/);
  expect(() => new Adam([p])).toThrow(/params\[0\] \(Parameter "p"\) was disposed/);
});

test('a disposed optimizer refuses every use', () => {
  const opt = new Adam([new Parameter(1)]);
  opt.dispose();
  opt.dispose();
  expect(() => opt.step()).toThrow(new TypeError('Adam.step: optimizer used after dispose()'));
  expect(() => opt.stateDict()).toThrow(/optimizer used after dispose/);
});
