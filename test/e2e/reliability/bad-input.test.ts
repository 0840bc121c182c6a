// Reliability, bad input: every option, group field, Parameter input and state-dict field with
// negative, NaN, infinite, wrong-type, missing and extra values. Each case must throw a TypeError
// (wrong type, missing, unknown) or RangeError (right type, out of range), whose message starts
// with `<where>: <field>` and shows the value (`got <value>`), and must leave everything as it was
// (test/observe.ts): the state dict, every parameter's data and grad, the hyperparameters, the
// guard's counters, and what lucid-optim has allocated (a refused call leaks nothing).
//
// State dicts: buffers may be Float32Array or plain number[] (what JSON gives back); every other
// typed array is refused (a Float64Array would silently lose precision, an Int32Array is a
// mistake), as are Maps and arrays where plain objects are expected.
import { beforeAll, describe, expect, test } from 'vitest';
import { Adam, init, Parameter, reserve, type StateDict } from 'lucid-optim';
import { observe } from '../../observe.js';
import { growMemory } from './reliability-helpers.js';

beforeAll(() => init());

/**
 * Two groups, three parameters: `a` and `b` have state after one step and a gradient set, `c` is
 * in an AMSGrad group; `spare` is in no optimizer. Every case gets a fresh one.
 */
function setup() {
  const a = new Parameter([1, -2, 3, 0.5], { name: 'a' });
  const b = new Parameter([0.25, 4], { name: 'b' });
  const c = new Parameter([7, 8, 9], { name: 'c' });
  const spare = new Parameter([1, 2], { name: 'spare' });
  const opt = new Adam([{ params: [a, b] }, { params: [c], lr: 0.01, amsgrad: true }], { lr: 0.1 });
  a.grad = [0.5, -0.5, 0, 2];
  b.grad = [1, 1];
  c.grad = [-1, 0, 1];
  opt.step();
  a.grad = [0.1, 0.2, 0.3, 0.4];
  c.grad = null;
  return { a, b, c, spare, opt, params: [a, b, c, spare] };
}
type Fixture = ReturnType<typeof setup>;

/** [description, setup mutation (before observing), the refused call, error class, where, field, value as shown]. */
type Case = [string, ((f: Fixture) => void) | null, (f: Fixture) => unknown, typeof TypeError | typeof RangeError, string, string, string];

const cases: Case[] = [];
const add = (group: string, list: Case[]) => list.forEach(([name, ...rest]) => cases.push([`${group}: ${name}`, ...rest]));

// ---------------------------------------------------------------------------------------------
// Values that are wrong for every numeric option, with how the message shows them.
const notNumbers: [unknown, string][] = [
  ['0.1', '"0.1"'],
  [null, 'null'],
  [true, 'true'],
  [[0.1], '[0.1]'],
  [{}, 'an object (Object)'],
  [1n, '1n'],
  [() => 0.1, 'a function'],
];
const outOfRange: [number, string][] = [
  [-1, '-1'],
  [-1e-12, '-1e-12'],
  [NaN, 'NaN'],
  [Infinity, 'Infinity'],
  [-Infinity, '-Infinity'],
];
const newAdam = (options: unknown) => (f: Fixture) => new Adam([f.spare], options as never);
const addGroup = (group: Record<string, unknown>) => (f: Fixture) => f.opt.addParamGroup({ params: [f.spare], ...group } as never);

for (const field of ['lr', 'eps', 'weightDecay']) {
  add('Adam options', [
    ...outOfRange.map(([v, shown]): Case => [`${field} = ${shown}`, null, newAdam({ [field]: v }), RangeError, 'Adam', field, shown]),
    ...notNumbers.map(([v, shown]): Case => [`${field} = ${shown}`, null, newAdam({ [field]: v }), TypeError, 'Adam', field, shown]),
  ]);
  add('addParamGroup', [
    ...outOfRange.map(([v, shown]): Case => [`${field} = ${shown}`, null, addGroup({ [field]: v }), RangeError, 'Adam.addParamGroup', `group.${field}`, shown]),
    ...notNumbers.slice(0, 3).map(([v, shown]): Case => [`${field} = ${shown}`, null, addGroup({ [field]: v }), TypeError, 'Adam.addParamGroup', `group.${field}`, shown]),
  ]);
}

const badBetas: [string, unknown, typeof TypeError | typeof RangeError, string, string][] = [
  ['betas[0] = 1', [1, 0.999], RangeError, 'betas[0]', '1'],
  ['betas[1] = 1', [0.9, 1], RangeError, 'betas[1]', '1'],
  ['betas[1] > 1', [0.9, 1.5], RangeError, 'betas[1]', '1.5'],
  ['betas[0] < 0', [-0.1, 0.999], RangeError, 'betas[0]', '-0.1'],
  ['betas[0] NaN', [NaN, 0.999], RangeError, 'betas[0]', 'NaN'],
  ['betas[1] Infinity', [0.9, Infinity], RangeError, 'betas[1]', 'Infinity'],
  ['betas[1] -Infinity', [0.9, -Infinity], RangeError, 'betas[1]', '-Infinity'],
  ['betas of length 1', [0.9], RangeError, 'betas.length', '1'],
  ['betas of length 3', [0.9, 0.99, 0.999], RangeError, 'betas.length', '3'],
  ['betas empty', [], RangeError, 'betas.length', '0'],
  ['betas[1] a string', [0.9, '0.999'], TypeError, 'betas[1]', '"0.999"'],
  ['betas[0] missing (hole)', [undefined, 0.999], TypeError, 'betas[0]', 'undefined'],
  ['betas a number', 0.9, TypeError, 'betas', '0.9'],
  ['betas a string', '0.9,0.999', TypeError, 'betas', '"0.9,0.999"'],
  ['betas null', null, TypeError, 'betas', 'null'],
  ['betas an array-like object', { 0: 0.9, 1: 0.999, length: 2 }, TypeError, 'betas', 'an object (Object)'],
  ['betas a Float64Array', new Float64Array([0.9, 0.999]), TypeError, 'betas', 'a Float64Array of length 2'],
];
add('Adam options', badBetas.map(([name, v, E, field, shown]): Case => [name, null, newAdam({ betas: v }), E, 'Adam', field, shown]));
add('addParamGroup', badBetas.map(([name, v, E, field, shown]): Case => [name, null, addGroup({ betas: v }), E, 'Adam.addParamGroup', `group.${field}`, shown]));

for (const field of ['amsgrad', 'maximize', 'skipNonFinite']) {
  add('Adam options', [
    [`${field} = 1`, null, newAdam({ [field]: 1 }), TypeError, 'Adam', field, '1'],
    [`${field} = "true"`, null, newAdam({ [field]: 'true' }), TypeError, 'Adam', field, '"true"'],
    [`${field} = null`, null, newAdam({ [field]: null }), TypeError, 'Adam', field, 'null'],
    [`${field} = 0`, null, newAdam({ [field]: 0 }), TypeError, 'Adam', field, '0'],
  ]);
}
for (const field of ['amsgrad', 'maximize']) {
  add('addParamGroup', [
    [`${field} = 1`, null, addGroup({ [field]: 1 }), TypeError, 'Adam.addParamGroup', `group.${field}`, '1'],
    [`${field} = "false"`, null, addGroup({ [field]: 'false' }), TypeError, 'Adam.addParamGroup', `group.${field}`, '"false"'],
  ]);
}

add('Adam options', [
  ['onNonFinite a string', null, newAdam({ skipNonFinite: true, onNonFinite: 'log' }), TypeError, 'Adam', 'onNonFinite', '"log"'],
  ['onNonFinite an object', null, newAdam({ skipNonFinite: true, onNonFinite: {} }), TypeError, 'Adam', 'onNonFinite', 'an object (Object)'],
  ['onNonFinite without skipNonFinite', null, newAdam({ onNonFinite: () => {} }), TypeError, 'Adam', 'onNonFinite', 'skipNonFinite: false'],
  // Unknown keys: refused at the optimizer level, so a typo cannot silently fall back to a default.
  ['extra key weight_decay (PyTorch spelling)', null, newAdam({ weight_decay: 0.1 }), TypeError, 'Adam', 'weight_decay', '0.1'],
  ['extra key LR', null, newAdam({ LR: 0.1 }), TypeError, 'Adam', 'LR', '0.1'],
  ['extra key momentum', null, newAdam({ momentum: 0.9 }), TypeError, 'Adam', 'momentum', '0.9'],
  ['extra key foreach (PyTorch-only)', null, newAdam({ foreach: true }), TypeError, 'Adam', 'foreach', 'true'],
  ['extra key betas1', null, newAdam({ lr: 0.1, betas1: 0.9 }), TypeError, 'Adam', 'betas1', '0.9'],
  ['options null', null, newAdam(null), TypeError, 'Adam', 'options', 'null'],
  ['options a number', null, newAdam(0.1), TypeError, 'Adam', 'options', '0.1'],
  ['options a string', null, newAdam('fast'), TypeError, 'Adam', 'options', '"fast"'],
  ['options an array', null, newAdam([0.1]), TypeError, 'Adam', 'options', '[0.1]'],
]);

// ---------------------------------------------------------------------------------------------
// The params argument and the groups in it.
add('Adam params', [
  ['missing', null, () => new (Adam as unknown as new () => Adam)(), TypeError, 'Adam', 'params', 'undefined'],
  ['null', null, () => new Adam(null as never), TypeError, 'Adam', 'params', 'null'],
  ['a number', null, () => new Adam(3 as never), TypeError, 'Adam', 'params', '3'],
  ['a string', null, () => new Adam('w' as never), TypeError, 'Adam', 'params', '"w"'],
  ['a single Parameter, not a list', null, (f) => new Adam(f.spare as never), TypeError, 'Adam', 'params', 'a Parameter'],
  ['an empty list', null, () => new Adam([]), RangeError, 'Adam', 'params', '[]'],
  ['a list with a number', null, (f) => new Adam([f.spare, 3] as never), TypeError, 'Adam', 'params[1]', '3'],
  ['a list with undefined', null, (f) => new Adam([f.spare, undefined] as never), TypeError, 'Adam', 'params[1]', 'undefined'],
  ['the same Parameter twice', null, (f) => new Adam([f.spare, f.spare]), TypeError, 'Adam', 'params[1]', 'Parameter "spare"'],
  ['a group, then a Parameter', null, (f) => new Adam([{ params: [f.spare] }, f.a] as never), TypeError, 'Adam', 'paramGroups[1]', 'a Parameter'],
  ['a group without params', null, () => new Adam([{ lr: 0.1 }] as never), TypeError, 'Adam', 'paramGroups[0].params', 'undefined'],
  ['a group whose params is a Parameter', null, (f) => new Adam([{ params: f.spare }] as never), TypeError, 'Adam', 'paramGroups[0].params', 'a Parameter'],
  ['a group whose params holds a number', null, () => new Adam([{ params: [1] }] as never), TypeError, 'Adam', 'paramGroups[0].params[0]', '1'],
  ['a group that is null', null, () => new Adam([null] as never), TypeError, 'Adam', 'paramGroups[0]', 'null'],
  ['a group that is a number', null, () => new Adam([5] as never), TypeError, 'Adam', 'paramGroups[0]', '5'],
  ['one Parameter in two groups', null, (f) => new Adam([{ params: [f.spare] }, { params: [f.spare] }]), TypeError, 'Adam', 'paramGroups[1].params[0]', 'Parameter "spare"'],
  ['a group option out of range', null, (f) => new Adam([{ params: [f.spare], lr: -1 }]), RangeError, 'Adam', 'paramGroups[0].lr', '-1'],
  ['a group with betas of length 3', null, (f) => new Adam([{ params: [f.spare], betas: [0.9, 0.9, 0.9] as never }]), RangeError, 'Adam', 'paramGroups[0].betas.length', '3'],
  ['a group with weight_decay (misspelt)', null, (f) => new Adam([{ params: [f.spare], weight_decay: 0 }]), TypeError, 'Adam', 'paramGroups[0].weight_decay', '0'],
  ['a group with an optimizer option', null, (f) => new Adam([{ params: [f.spare], skipNonFinite: true }]), TypeError, 'Adam', 'paramGroups[0].skipNonFinite', 'true'],
  ['a disposed Parameter', (f) => f.spare.dispose(), (f) => new Adam([f.spare]), TypeError, 'Adam', 'params[0]', 'Parameter "spare"'],
]);

add('addParamGroup', [
  ['missing params', null, (f) => f.opt.addParamGroup({ lr: 0.1 } as never), TypeError, 'Adam.addParamGroup', 'group.params', 'undefined'],
  ['params null', null, (f) => f.opt.addParamGroup({ params: null } as never), TypeError, 'Adam.addParamGroup', 'group.params', 'null'],
  ['params holding a string', null, (f) => f.opt.addParamGroup({ params: ['w'] } as never), TypeError, 'Adam.addParamGroup', 'group.params[0]', '"w"'],
  ['a Parameter already in a group', null, (f) => f.opt.addParamGroup({ params: [f.spare, f.b] }), TypeError, 'Adam.addParamGroup', 'group.params[1]', 'Parameter "b"'],
  ['a disposed Parameter', (f) => f.spare.dispose(), (f) => f.opt.addParamGroup({ params: [f.spare] }), TypeError, 'Adam.addParamGroup', 'group.params[0]', 'Parameter "spare"'],
  ['group null', null, (f) => f.opt.addParamGroup(null as never), TypeError, 'Adam.addParamGroup', 'group', 'null'],
  ['group an array', null, (f) => f.opt.addParamGroup([f.spare] as never), TypeError, 'Adam.addParamGroup', 'group', '[a Parameter]'],
  ['group a Parameter', null, (f) => f.opt.addParamGroup(f.spare as never), TypeError, 'Adam.addParamGroup', 'group', 'a Parameter'],
  ['misspelt key weight_decay', null, addGroup({ weight_decay: 0.1 }), TypeError, 'Adam.addParamGroup', 'group.weight_decay', '0.1'],
  ['misspelt key Lr', null, addGroup({ Lr: 0.1 }), TypeError, 'Adam.addParamGroup', 'group.Lr', '0.1'],
  ['PyTorch-only key fused', null, addGroup({ fused: true }), TypeError, 'Adam.addParamGroup', 'group.fused', 'true'],
  ['optimizer option onNonFinite', null, addGroup({ onNonFinite: () => {} }), TypeError, 'Adam.addParamGroup', 'group.onNonFinite', 'a function'],
  ['after dispose', (f) => f.opt.dispose(), (f) => f.opt.addParamGroup({ params: [f.spare] }), TypeError, 'Adam.addParamGroup', 'optimizer used after dispose()', ''],
]);

// ---------------------------------------------------------------------------------------------
// step(), zeroGrad() and the guard's properties, with hyperparameters broken between steps.
const breakGroup = (g: number, change: (group: Record<string, unknown>) => void) => (f: Fixture) => change(f.opt.paramGroups[g] as Record<string, unknown>);
add('step', [
  ['lr = -1 in a live group', breakGroup(0, (g) => (g.lr = -1)), (f) => f.opt.step(), RangeError, 'Adam.step', 'paramGroups[0].lr', '-1'],
  ['lr = NaN in a live group', breakGroup(1, (g) => (g.lr = NaN)), (f) => f.opt.step(), RangeError, 'Adam.step', 'paramGroups[1].lr', 'NaN'],
  ['lr a string in a live group', breakGroup(0, (g) => (g.lr = '0.1')), (f) => f.opt.step(), TypeError, 'Adam.step', 'paramGroups[0].lr', '"0.1"'],
  ['lr deleted from a live group', breakGroup(0, (g) => delete g.lr), (f) => f.opt.step(), TypeError, 'Adam.step', 'paramGroups[0].lr', 'undefined'],
  ['eps = Infinity', breakGroup(0, (g) => (g.eps = Infinity)), (f) => f.opt.step(), RangeError, 'Adam.step', 'paramGroups[0].eps', 'Infinity'],
  ['weightDecay = -0.1', breakGroup(1, (g) => (g.weightDecay = -0.1)), (f) => f.opt.step(), RangeError, 'Adam.step', 'paramGroups[1].weightDecay', '-0.1'],
  ['betas[1] = 1 in place', breakGroup(0, (g) => ((g.betas as number[])[1] = 1)), (f) => f.opt.step(), RangeError, 'Adam.step', 'paramGroups[0].betas[1]', '1'],
  ['betas replaced by 3 values', breakGroup(0, (g) => (g.betas = [0.9, 0.9, 0.9])), (f) => f.opt.step(), RangeError, 'Adam.step', 'paramGroups[0].betas.length', '3'],
  ['betas a string', breakGroup(0, (g) => (g.betas = '0.9')), (f) => f.opt.step(), TypeError, 'Adam.step', 'paramGroups[0].betas', '"0.9"'],
  ['amsgrad = 1', breakGroup(1, (g) => (g.amsgrad = 1)), (f) => f.opt.step(), TypeError, 'Adam.step', 'paramGroups[1].amsgrad', '1'],
  ['maximize = "no"', breakGroup(0, (g) => (g.maximize = 'no')), (f) => f.opt.step(), TypeError, 'Adam.step', 'paramGroups[0].maximize', '"no"'],
  ['closure not a function', null, (f) => f.opt.step(5 as never), TypeError, 'Adam.step', 'closure', '5'],
  ['a disposed parameter', (f) => f.c.dispose(), (f) => f.opt.step(), TypeError, 'Adam.step', 'parameter 2', 'Parameter "c"'],
  ['after dispose', (f) => f.opt.dispose(), (f) => f.opt.step(), TypeError, 'Adam.step', 'optimizer used after dispose()', ''],
  ['params reassigned', null, (f) => ((f.opt.paramGroups[0] as { params: unknown }).params = []), TypeError, "Cannot assign to read only property 'params' of a param group", "'params'", ''],
  ['zeroGrad("yes")', null, (f) => f.opt.zeroGrad('yes' as never), TypeError, 'Adam.zeroGrad', 'setToNone', '"yes"'],
  ['zeroGrad(0)', null, (f) => f.opt.zeroGrad(0 as never), TypeError, 'Adam.zeroGrad', 'setToNone', '0'],
  ['skipNonFinite = "yes"', null, (f) => ((f.opt as { skipNonFinite: unknown }).skipNonFinite = 'yes'), TypeError, 'Adam.skipNonFinite', 'skipNonFinite', '"yes"'],
  ['onNonFinite = 5', null, (f) => ((f.opt as { onNonFinite: unknown }).onNonFinite = 5), TypeError, 'Adam.onNonFinite', 'onNonFinite', '5'],
]);

// ---------------------------------------------------------------------------------------------
// Parameter construction and its data/grad setters.
const newParam = (init: unknown, options?: unknown) => () => new Parameter(init as never, options as never);
let detached: Float32Array;
add('Parameter', [
  ['empty array', null, newParam([]), RangeError, 'Parameter', 'init.length', '0'],
  ['empty Float32Array', null, newParam(new Float32Array(0)), RangeError, 'Parameter', 'init.length', '0'],
  ['length 0', null, newParam(0), RangeError, 'Parameter', 'length', '0'],
  ['length -1', null, newParam(-1), RangeError, 'Parameter', 'length', '-1'],
  ['length 1.5', null, newParam(1.5), RangeError, 'Parameter', 'length', '1.5'],
  ['length NaN', null, newParam(NaN), RangeError, 'Parameter', 'length', 'NaN'],
  ['length Infinity', null, newParam(Infinity), RangeError, 'Parameter', 'length', 'Infinity'],
  ['length 2^32 + 3 (would wrap to 3 in a u32)', null, newParam(2 ** 32 + 3), RangeError, 'Parameter', 'length', '4294967299'],
  ['length 6e8 (2.4 GB, more than one wasm32 buffer)', null, newParam(6e8), RangeError, 'Parameter', 'length', '600000000'],
  ['a string', null, newParam('1,2,3'), TypeError, 'Parameter', 'init', '"1,2,3"'],
  ['null', null, newParam(null), TypeError, 'Parameter', 'init', 'null'],
  ['undefined', null, newParam(undefined), TypeError, 'Parameter', 'init', 'undefined'],
  ['true', null, newParam(true), TypeError, 'Parameter', 'init', 'true'],
  ['an object without length', null, newParam({ 0: 1 }), TypeError, 'Parameter', 'init', 'an object (Object)'],
  ['a non-numeric element', null, newParam([1, 'a', 3]), TypeError, 'Parameter', 'init[1]', '"a"'],
  ['a null element', null, newParam([1, null]), TypeError, 'Parameter', 'init[1]', 'null'],
  ['a hole', null, newParam([1, , 3]), TypeError, 'Parameter', 'init[1]', 'undefined'], // eslint-disable-line no-sparse-arrays
  ['a bigint element', null, newParam([1n]), TypeError, 'Parameter', 'init[0]', '1n'],
  ['a BigInt64Array', null, newParam(new BigInt64Array(2)), TypeError, 'Parameter', 'init', 'a BigInt64Array of length 2'],
  ['a DataView', null, newParam(new DataView(new ArrayBuffer(8))), TypeError, 'Parameter', 'init', 'a DataView'],
  ['another Parameter (array-like: it has a length)', null, (f) => new Parameter(f.b as never), TypeError, 'Parameter', 'init', 'a Parameter'],
  ['options null', null, newParam(2, null), TypeError, 'Parameter', 'options', 'null'],
  ['options a string', null, newParam(2, 'w'), TypeError, 'Parameter', 'options', '"w"'],
  ['options.name a number', null, newParam(2, { name: 5 }), TypeError, 'Parameter', 'options.name', '5'],
  ['options.shape of the wrong size', null, newParam(3, { shape: [2, 2] }), RangeError, 'Parameter', 'options.shape', '[2, 2]'],
  ['options.shape negative', null, newParam(3, { shape: [-1, -3] }), RangeError, 'Parameter', 'options.shape[0]', '-1'],
  ['options.shape fractional', null, newParam(3, { shape: [1.5, 2] }), RangeError, 'Parameter', 'options.shape[0]', '1.5'],
  ['options.shape a number', null, newParam(3, { shape: 3 }), TypeError, 'Parameter', 'options.shape', '3'],
  ['options.shape with a string', null, newParam(3, { shape: ['3'] }), TypeError, 'Parameter', 'options.shape[0]', '"3"'],
  ['options with an unknown key', null, newParam(3, { nmae: 'w' }), TypeError, 'Parameter', 'options.nmae', '"w"'],
  ['options with dtype', null, newParam(3, { dtype: 'float64' }), TypeError, 'Parameter', 'options.dtype', '"float64"'],
  [
    'a view detached by memory growth',
    () => {
      detached = new Parameter(4).data;
      growMemory(); // detaches every view taken before
    },
    () => new Parameter(detached),
    TypeError,
    'Parameter',
    'init',
    'a detached Float32Array',
  ],
]);

const setData = (p: 'a' | 'b' | 'c', values: unknown) => (f: Fixture) => ((f[p] as { data: unknown }).data = values);
const setGrad = (p: 'a' | 'b' | 'c', values: unknown) => (f: Fixture) => ((f[p] as { grad: unknown }).grad = values);
add('Parameter data/grad', [
  ['data too short', null, setData('a', [1, 2, 3]), RangeError, 'Parameter "a"', 'data.length', '3'],
  ['data too long (Float32Array)', null, setData('a', new Float32Array(5)), RangeError, 'Parameter "a"', 'data.length', '5'],
  ['data a string', null, setData('a', 'abcd'), TypeError, 'Parameter "a"', 'data', '"abcd"'],
  ['data null', null, setData('a', null), TypeError, 'Parameter "a"', 'data', 'null'],
  ['data undefined', null, setData('a', undefined), TypeError, 'Parameter "a"', 'data', 'undefined'],
  ['data with a string element', null, setData('a', [1, 2, 3, '4']), TypeError, 'Parameter "a"', 'data[3]', '"4"'],
  ['data a BigUint64Array', null, setData('a', new BigUint64Array(4)), TypeError, 'Parameter "a"', 'data', 'a BigUint64Array of length 4'],
  ['data a number', null, setData('b', 1), TypeError, 'Parameter "b"', 'data', '1'],
  ['data another Parameter', null, (f) => ((f.b as { data: unknown }).data = f.spare), TypeError, 'Parameter "b"', 'data', 'a Parameter'],
  ['grad another Parameter', null, (f) => ((f.b as { grad: unknown }).grad = f.spare), TypeError, 'Parameter "b"', 'grad', 'a Parameter'],
  ['grad undefined', null, setGrad('a', undefined), TypeError, 'Parameter "a"', 'grad', 'undefined'],
  ['grad too short', null, setGrad('a', [1]), RangeError, 'Parameter "a"', 'grad.length', '1'],
  ['grad too long, on a parameter without one', null, setGrad('c', [1, 2, 3, 4]), RangeError, 'Parameter "c"', 'grad.length', '4'],
  ['grad an object', null, setGrad('b', {}), TypeError, 'Parameter "b"', 'grad', 'an object (Object)'],
  ['grad a number', null, setGrad('b', 0), TypeError, 'Parameter "b"', 'grad', '0'],
  ['grad with a boolean element', null, setGrad('b', [1, false]), TypeError, 'Parameter "b"', 'grad[1]', 'false'],
  ['grad with a numeric string', null, setGrad('c', ['1', 2, 3]), TypeError, 'Parameter "c"', 'grad[0]', '"1"'],
  ['zeroGrad("no")', null, (f) => f.a.zeroGrad('no' as never), TypeError, 'Parameter "a".zeroGrad', 'setToNone', '"no"'],
  [
    'grad a detached view',
    (f) => {
      detached = f.b.data;
      growMemory();
    },
    (f) => ((f.b as { grad: unknown }).grad = detached),
    TypeError,
    'Parameter "b"',
    'grad',
    'a detached Float32Array',
  ],
  ['data after dispose', (f) => f.a.dispose(), (f) => f.a.data, TypeError, 'Parameter "a"', 'data used after dispose()', ''],
  ['grad after dispose', (f) => f.b.dispose(), setGrad('b', [1, 2]), TypeError, 'Parameter "b"', 'grad used after dispose()', ''],
]);

// ---------------------------------------------------------------------------------------------
// loadStateDict with malformed input: a valid state dict from the fixture, broken one way.
const load = (breakIt: (sd: Record<string, any>) => unknown) => (f: Fixture) => {
  const sd = f.opt.stateDict() as unknown as Record<string, any>;
  const replaced = breakIt(sd);
  f.opt.loadStateDict((replaced === undefined ? sd : replaced) as StateDict);
};
const L = 'Adam.loadStateDict';
add('loadStateDict', [
  ['null', null, load(() => null), TypeError, L, 'stateDict', 'null'],
  ['a string', null, load(() => '{"state":{}}'), TypeError, L, 'stateDict', '"{\\"state\\":{}}"'],
  ['missing state', null, load((sd) => void delete sd.state), TypeError, L, 'stateDict.state', 'undefined'],
  ['missing paramGroups', null, load((sd) => void delete sd.paramGroups), TypeError, L, 'stateDict.paramGroups', 'undefined'],
  ['an extra top-level key', null, load((sd) => void (sd.version = 2)), TypeError, L, 'stateDict.version', '2'],
  ['state an array', null, load((sd) => void (sd.state = [])), TypeError, L, 'stateDict.state', '[]'],
  ['state a Map', null, load((sd) => void (sd.state = new Map())), TypeError, L, 'stateDict.state', 'a Map'],
  ['paramGroups an object', null, load((sd) => void (sd.paramGroups = { 0: sd.paramGroups[0] })), TypeError, L, 'stateDict.paramGroups', 'an object (Object)'],
  ['an extra group', null, load((sd) => void sd.paramGroups.push({ ...sd.paramGroups[1], params: [3] })), RangeError, L, 'stateDict.paramGroups.length', '3'],
  ['a group missing', null, load((sd) => void sd.paramGroups.pop()), RangeError, L, 'stateDict.paramGroups.length', '1'],
  ['a group too small', null, load((sd) => void sd.paramGroups[0].params.pop()), RangeError, L, 'stateDict.paramGroups[0].params.length', '1'],
  ['a group too big', null, load((sd) => void sd.paramGroups[1].params.push(9)), RangeError, L, 'stateDict.paramGroups[1].params.length', '2'],
  ['a group null', null, load((sd) => void (sd.paramGroups[1] = null)), TypeError, L, 'stateDict.paramGroups[1]', 'null'],
  ['group params not an array', null, load((sd) => void (sd.paramGroups[0].params = '0,1')), TypeError, L, 'stateDict.paramGroups[0].params', '"0,1"'],
  ['a repeated parameter id', null, load((sd) => void (sd.paramGroups[0].params = [0, 0])), RangeError, L, 'stateDict.paramGroups[0].params[1]', '0'],
  ['a negative parameter id', null, load((sd) => void (sd.paramGroups[0].params = [-1, 1])), RangeError, L, 'stateDict.paramGroups[0].params[0]', '-1'],
  ['a fractional parameter id', null, load((sd) => void (sd.paramGroups[0].params = [0.5, 1])), RangeError, L, 'stateDict.paramGroups[0].params[0]', '0.5'],
  ['a string parameter id', null, load((sd) => void (sd.paramGroups[0].params = ['0', 1])), TypeError, L, 'stateDict.paramGroups[0].params[0]', '"0"'],
  ['a group without lr', null, load((sd) => void delete sd.paramGroups[0].lr), TypeError, L, 'stateDict.paramGroups[0].lr', 'undefined'],
  ['a group without amsgrad', null, load((sd) => void delete sd.paramGroups[1].amsgrad), TypeError, L, 'stateDict.paramGroups[1].amsgrad', 'undefined'],
  ['a group with lr -1', null, load((sd) => void (sd.paramGroups[0].lr = -1)), RangeError, L, 'stateDict.paramGroups[0].lr', '-1'],
  ['a group with eps NaN', null, load((sd) => void (sd.paramGroups[1].eps = NaN)), RangeError, L, 'stateDict.paramGroups[1].eps', 'NaN'],
  ['a group with betas of length 1', null, load((sd) => void (sd.paramGroups[0].betas = [0.9])), RangeError, L, 'stateDict.paramGroups[0].betas.length', '1'],
  ['a group with betas[0] = 1', null, load((sd) => void (sd.paramGroups[0].betas = [1, 0.999])), RangeError, L, 'stateDict.paramGroups[0].betas[0]', '1'],
  ['a group with amsgrad "yes"', null, load((sd) => void (sd.paramGroups[1].amsgrad = 'yes')), TypeError, L, 'stateDict.paramGroups[1].amsgrad', '"yes"'],
  ['a group with weight_decay (PyTorch spelling)', null, load((sd) => void (sd.paramGroups[0].weight_decay = 0)), TypeError, L, 'stateDict.paramGroups[0].weight_decay', '0'],
  ['a group with an optimizer option', null, load((sd) => void (sd.paramGroups[0].skipNonFinite = true)), TypeError, L, 'stateDict.paramGroups[0].skipNonFinite', 'true'],
  ['state for an unknown parameter id', null, load((sd) => void (sd.state[7] = sd.state[0])), RangeError, L, 'stateDict.state key "7"', '"7"'],
  ['state under a non-numeric key', null, load((sd) => void (sd.state.w = sd.state[0])), RangeError, L, 'stateDict.state key "w"', '"w"'],
  ['a state entry null', null, load((sd) => void (sd.state[0] = null)), TypeError, L, 'stateDict.state[0]', 'null'],
  ['a state entry with an extra key', null, load((sd) => void (sd.state[0].momentumBuffer = new Float32Array(4))), TypeError, L, 'stateDict.state[0].momentumBuffer', 'a Float32Array of length 4'],
  ['step negative', null, load((sd) => void (sd.state[0].step = -1)), RangeError, L, 'stateDict.state[0].step', '-1'],
  ['step fractional', null, load((sd) => void (sd.state[0].step = 1.5)), RangeError, L, 'stateDict.state[0].step', '1.5'],
  ['step NaN', null, load((sd) => void (sd.state[1].step = NaN)), RangeError, L, 'stateDict.state[1].step', 'NaN'],
  ['step Infinity', null, load((sd) => void (sd.state[1].step = Infinity)), RangeError, L, 'stateDict.state[1].step', 'Infinity'],
  ['step 2^53 (not exact)', null, load((sd) => void (sd.state[1].step = 2 ** 53)), RangeError, L, 'stateDict.state[1].step', '9007199254740992'],
  ['step a string', null, load((sd) => void (sd.state[0].step = '1')), TypeError, L, 'stateDict.state[0].step', '"1"'],
  ['step missing', null, load((sd) => void delete sd.state[0].step), TypeError, L, 'stateDict.state[0].step', 'undefined'],
  ['expAvg missing', null, load((sd) => void delete sd.state[0].expAvg), TypeError, L, 'stateDict.state[0].expAvg', 'undefined'],
  ['expAvgSq null', null, load((sd) => void (sd.state[0].expAvgSq = null)), TypeError, L, 'stateDict.state[0].expAvgSq', 'null'],
  ['expAvg too short', null, load((sd) => void (sd.state[0].expAvg = new Float32Array(3))), RangeError, L, 'stateDict.state[0].expAvg.length', '3'],
  ['expAvgSq too long', null, load((sd) => void (sd.state[1].expAvgSq = new Float32Array(3))), RangeError, L, 'stateDict.state[1].expAvgSq.length', '3'],
  ['expAvg a Float64Array', null, load((sd) => void (sd.state[0].expAvg = new Float64Array(4))), TypeError, L, 'stateDict.state[0].expAvg', 'a Float64Array of length 4'],
  ['expAvg an Int32Array', null, load((sd) => void (sd.state[0].expAvg = new Int32Array(4))), TypeError, L, 'stateDict.state[0].expAvg', 'an Int32Array of length 4'],
  ['expAvg a plain array of the wrong length', null, load((sd) => void (sd.state[0].expAvg = [1, 2])), RangeError, L, 'stateDict.state[0].expAvg.length', '2'],
  ['expAvg a plain array with a string', null, load((sd) => void (sd.state[0].expAvg = [1, 2, 'x', 4])), TypeError, L, 'stateDict.state[0].expAvg[2]', '"x"'],
  ['expAvgSq a plain array with null (JSON of NaN)', null, load((sd) => void (sd.state[1].expAvgSq = [1, null])), TypeError, L, 'stateDict.state[1].expAvgSq[1]', 'null'],
  ['expAvg an object', null, load((sd) => void (sd.state[0].expAvg = { length: 4 })), TypeError, L, 'stateDict.state[0].expAvg', 'an object (Object)'],
  ['maxExpAvgSq missing while amsgrad is on', null, load((sd) => void delete sd.state[2].maxExpAvgSq), TypeError, L, 'stateDict.state[2].maxExpAvgSq', 'undefined'],
  ['maxExpAvgSq missing while the saved group turns amsgrad on', null, load((sd) => void (sd.paramGroups[0].amsgrad = true)), TypeError, L, 'stateDict.state[0].maxExpAvgSq', 'undefined'],
  ['maxExpAvgSq too short', null, load((sd) => void (sd.state[2].maxExpAvgSq = new Float32Array(2))), RangeError, L, 'stateDict.state[2].maxExpAvgSq.length', '2'],
  ['maxExpAvgSq a Float64Array', null, load((sd) => void (sd.state[2].maxExpAvgSq = new Float64Array(3))), TypeError, L, 'stateDict.state[2].maxExpAvgSq', 'a Float64Array of length 3'],
  ['a disposed parameter', (f) => f.b.dispose(), load(() => undefined), TypeError, L, 'parameter 1', 'Parameter "b"'],
  ['after dispose', (f) => f.opt.dispose(), (f) => f.opt.loadStateDict({ state: {}, paramGroups: [] }), TypeError, L, 'optimizer used after dispose()', ''],
]);

add('reserve', [
  ['negative', null, () => reserve(-1), RangeError, 'reserve', 'bytes', '-1'],
  ['fractional', null, () => reserve(1.5), RangeError, 'reserve', 'bytes', '1.5'],
  ['NaN', null, () => reserve(NaN), RangeError, 'reserve', 'bytes', 'NaN'],
  ['beyond 4 GiB', null, () => reserve(2 ** 33), RangeError, 'reserve', 'bytes', '8589934592'],
  ['a string', null, () => reserve('1024' as never), TypeError, 'reserve', 'bytes', '"1024"'],
]);

// ---------------------------------------------------------------------------------------------

describe('every bad input is refused by name and value, and changes nothing', () => {
  test.each(cases)('%s', (_name, prepare, act, errorClass, where, field, value) => {
    const f = setup();
    prepare?.(f);
    const before = observe(f.params, [f.opt]);
    let thrown: unknown;
    try {
      act(f);
    } catch (error) {
      thrown = error;
    }
    expect(thrown, 'throws').toBeInstanceOf(errorClass);
    const message = (thrown as Error).message;
    // `where` is the method the message starts with (`Adam.step: ...`), or, where JavaScript itself
    // words the error (a read-only property), the sentence's start.
    expect(message.startsWith(where.includes(' ') ? where : `${where}: `), message).toBe(true);
    expect(message, 'names the field').toContain(field);
    if (value !== '') expect(message, 'shows the value').toContain(message.includes(' got ') ? `got ${value}` : value);
    expect(observe(f.params, [f.opt])).toEqual(before);
  });

  test('the matrix is as big as it claims', () => {
    // The number the reliability report quotes; update both together.
    expect(cases.length).toBeGreaterThanOrEqual(287);
  });
});

describe('accepted inputs the matrix does not refuse (the boundaries)', () => {
  test('lr, eps and weightDecay of 0, -0 and betas of 0 are valid, as in PyTorch', () => {
    const p = new Parameter([1, 2]);
    const opt = new Adam([p], { lr: 0, eps: 0, weightDecay: -0, betas: [0, 0] });
    p.grad = [1, 1];
    opt.step();
    expect(Array.from(p.data)).toEqual([1, 2]); // lr 0: no change
  });

  test('state dict buffers may be Float32Array or number[] (JSON); both load the same bits', () => {
    const f = setup();
    const sd = f.opt.stateDict();
    const json = JSON.parse(JSON.stringify(sd, (_k, v) => (v instanceof Float32Array ? Array.from(v) : v)));
    const g = setup();
    g.opt.loadStateDict(json);
    expect(structuredClone(g.opt.stateDict())).toEqual(structuredClone(sd));
  });

  test('stateDict() right after AMSGrad is switched on loads back (maxExpAvgSq saved as the zeros the next step starts from)', () => {
    const f = setup();
    f.opt.paramGroups[0].amsgrad = true; // a and b have state without maxExpAvgSq
    const sd = f.opt.stateDict();
    expect(Array.from(sd.state[0].maxExpAvgSq!)).toEqual([0, 0, 0, 0]);
    const g = setup();
    g.opt.loadStateDict(sd);
    expect(structuredClone(g.opt.stateDict())).toEqual(structuredClone(sd));
    // And both step the same from there.
    for (const x of [f, g]) {
      x.a.grad = [1, 2, 3, 4];
      x.opt.step();
    }
    expect(Array.from(g.a.data)).toEqual(Array.from(f.a.data));
    expect(structuredClone(g.opt.stateDict())).toEqual(structuredClone(f.opt.stateDict()));
  });

  test('group extra keys that are not near-misses of an option are kept (as PyTorch keeps initial_lr)', () => {
    const f = setup();
    f.opt.addParamGroup({ params: [f.spare], initialLr: 0.1, tag: 'head' });
    expect(f.opt.paramGroups[2]).toMatchObject({ initialLr: 0.1, tag: 'head' });
    expect(f.opt.stateDict().paramGroups[2]).toMatchObject({ initialLr: 0.1, tag: 'head' });
  });

  test('init and grad accept other numeric typed arrays and array-likes, converted as Float32Array.set converts', () => {
    const p = new Parameter(new Float64Array([0.1, 2]));
    expect(Array.from(p.data)).toEqual([Math.fround(0.1), 2]);
    p.grad = new Int8Array([-1, 1]);
    expect(Array.from(p.grad!)).toEqual([-1, 1]);
    p.data = { length: 2, 0: 5, 1: 6 } as ArrayLike<number>;
    expect(Array.from(p.data)).toEqual([5, 6]);
  });
});
