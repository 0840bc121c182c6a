// The optimizer's state dict in PyTorch's own shape (`opt.stateDict({ format: 'torch' })` and
// `opt.loadStateDict(loadTorch(bytes))`): what torch 2.15's `torch.optim.Adam.state_dict()` and
// `torch.optim.AdamW.state_dict()` contain, as loadTorch gives it back and saveTorch takes it.
//
//   Map {
//     'state' => Map { 0 => Map { 'step' => 0-d float32 tensor, 'exp_avg' => tensor, 'exp_avg_sq' => tensor,
//                                 'max_exp_avg_sq' => tensor (AMSGrad) }, ... },
//     'param_groups' => [ Map { 'lr', 'betas', 'eps', 'weight_decay', 'amsgrad', 'maximize', 'foreach',
//                               'capturable', 'differentiable', 'fused', 'decoupled_weight_decay',
//                               ...extra keys, 'params' => [0, 1, ...] }, ... ],
//   }
//
// The group keys come in the order torch gives a group built from its defaults (Adam.__init__'s
// `defaults` dict, then `params` last as Optimizer.state_dict's `pack_group` puts it).

import { describe, rangeError, ruleText, typeError, unknownKeyError } from '../errors.js';
import { OPTIMIZER_KEYS, OPTION_KEYS, type Hyperparameters } from '../param-group.js';
import { checkStep, mapParamIds, type CheckedState, type CheckedStateDict, type StateDict } from '../state-dict.js';
import { checkBoolean, checkNumber } from '../validate.js';
import { HyperField, brokenRule } from '../wasm.js';
import { isTorchTensor, type TorchTensor } from './tensor.js';

/**
 * An optimizer's state dict in PyTorch's shape, as `torch.optim.Adam.state_dict()` holds it and
 * {@link loadTorch} returns it: a Map with `'state'` (a Map from parameter index to a Map of
 * `step`, `exp_avg`, `exp_avg_sq` and, with AMSGrad, `max_exp_avg_sq` tensors) and `'param_groups'`
 * (an array of Maps with torch's snake_case keys and `params`, the parameter indices).
 */
export type TorchStateDict = Map<string, unknown>;

/** Options of {@link Adam.stateDict}. */
export interface StateDictOptions {
  /**
   * `'lucid'` (default): the plain-object {@link StateDict} with camelCase keys, JSON-friendly.
   * `'torch'`: PyTorch's own shape ({@link TorchStateDict}), for {@link saveTorch}.
   */
  format?: 'lucid' | 'torch';
}

/** Torch's spelling of each lucid hyperparameter, in torch's order (Adam.__init__'s `defaults`). */
const TORCH_NAMES: readonly (readonly [keyof Hyperparameters, string])[] = [
  ['lr', 'lr'],
  ['betas', 'betas'],
  ['eps', 'eps'],
  ['weightDecay', 'weight_decay'],
  ['amsgrad', 'amsgrad'],
  ['maximize', 'maximize'],
];

/**
 * torch's execution-strategy flags, with the value a default-constructed `torch.optim.Adam` saves
 * (and `__setstate__` fills in). They choose how torch runs the same Adam (for-loop, multi-tensor,
 * fused kernel, CUDA graphs, autograd through the step), not what it computes: lucid-optim always
 * computes the single-tensor path, which is what these defaults select on CPU. Written with those
 * defaults; when loading, checked to hold a value torch allows and then dropped (lucid refuses them
 * as group options, so keeping them would make the group refuse its own `stateDict()`).
 */
const TORCH_FLAGS: readonly (readonly [string, boolean | null, boolean])[] = [
  // [key, value written, may be None]
  ['foreach', null, true],
  ['capturable', false, false],
  ['differentiable', false, false],
  ['fused', null, true],
];

/** Every key torch's Adam group has (and `params`). */
const TORCH_GROUP_KEYS: readonly string[] = [
  ...TORCH_NAMES.map(([, t]) => t),
  ...TORCH_FLAGS.map(([k]) => k),
  'decoupled_weight_decay',
  'params',
];

/** `initialLr` -> `initial_lr` (a camelCase key; any other key is left alone). */
function snakeCase(key: string): string {
  return /^[a-z][a-zA-Z0-9]*$/.test(key) ? key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`) : key;
}

/** `initial_lr` -> `initialLr` (a snake_case key; any other key is left alone). */
function camelCase(key: string): string {
  return /^[a-z][a-z0-9]*(_[a-z0-9]+)+$/.test(key) ? key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()) : key;
}

/**
 * The torch-shaped copy of a lucid state dict (whose buffers are fresh copies: they become the
 * tensors' data, not copied again). `shapes[i]` is parameter i's shape. Extra group keys go over in
 * snake_case (`initialLr` -> `initial_lr`, which torch's LR schedulers read).
 */
export function toTorchStateDict(where: string, plain: StateDict, shapes: readonly (readonly number[])[]): TorchStateDict {
  const tensor = (data: Float32Array, shape: readonly number[]): TorchTensor => ({ dtype: 'float32', shape: [...shape], data });
  const state = new Map<number, Map<string, TorchTensor>>();
  for (const [key, s] of Object.entries(plain.state)) {
    const i = Number(key);
    const entry = new Map<string, TorchTensor>([
      // torch keeps `step` as a 0-d float32 tensor (exact up to 2^24 steps, as in torch).
      ['step', tensor(Float32Array.of(s.step), [])],
      ['exp_avg', tensor(s.expAvg, shapes[i])],
      ['exp_avg_sq', tensor(s.expAvgSq, shapes[i])],
    ]);
    if (s.maxExpAvgSq !== undefined) entry.set('max_exp_avg_sq', tensor(s.maxExpAvgSq, shapes[i]));
    state.set(i, entry);
  }
  const paramGroups = plain.paramGroups.map((saved, g) => {
    const { lr, betas, eps, weightDecay, amsgrad, maximize, decoupledWeightDecay, params, ...extra } = saved;
    const group = new Map<string, unknown>([
      ['lr', lr],
      ['betas', [betas[0], betas[1]]],
      ['eps', eps],
      ['weight_decay', weightDecay],
      ['amsgrad', amsgrad],
      ['maximize', maximize],
      ...TORCH_FLAGS.map(([key, value]): [string, unknown] => [key, value]),
      ['decoupled_weight_decay', decoupledWeightDecay],
    ]);
    for (const [key, value] of Object.entries(extra)) {
      const name = snakeCase(key);
      if (group.has(name)) {
        throw typeError(where, `paramGroups[${g}].${key}`, `absent or named otherwise (in torch's shape it would be ${name}, which the group already has)`, value);
      }
      group.set(name, value);
    }
    group.set('params', params);
    return group;
  });
  return new Map<string, unknown>([
    ['state', state],
    ['param_groups', paramGroups],
  ]);
}

/**
 * Checks a torch-shaped state dict against the current groups (their sizes and parameter shapes)
 * without changing anything, with the same rules as the lucid shape (checkStateDict) in torch's
 * words: errors name torch's fields (`stateDict.param_groups[0].weight_decay`,
 * `stateDict.state[2].exp_avg`). As torch's `Adam.__setstate__` does, a group without `amsgrad`,
 * `maximize` or `decoupled_weight_decay` takes `false`. Extra group keys are kept in camelCase
 * (`initial_lr` -> `initialLr`); torch's flags (foreach, capturable, differentiable, fused) are
 * checked and dropped.
 */
export function checkTorchStateDict(where: string, stateDict: Map<unknown, unknown>, groupSizes: number[], shapes: readonly (readonly number[])[]): CheckedStateDict {
  for (const key of stateDict.keys()) {
    if (key !== 'state' && key !== 'param_groups') {
      throw typeError(where, `stateDict key ${describe(key)}`, "absent (torch's state dict has only 'state' and 'param_groups')", stateDict.get(key));
    }
  }
  const paramGroups = stateDict.get('param_groups');
  if (!Array.isArray(paramGroups)) throw typeError(where, "stateDict.get('param_groups')", 'an array', paramGroups);
  if (paramGroups.length !== groupSizes.length) {
    throw rangeError(where, 'stateDict.param_groups.length', `${groupSizes.length} (this optimizer's group count)`, paramGroups.length);
  }
  const idToIndex = new Map<number, number>();
  const groups = paramGroups.map((saved: unknown, g) => {
    const prefix = `stateDict.param_groups[${g}].`;
    if (!(saved instanceof Map)) throw typeError(where, prefix.slice(0, -1), 'a Map (a dict, as loadTorch returns it)', saved);
    const group = checkTorchGroup(where, prefix, saved);
    mapParamIds(where, prefix, saved.get('params'), groupSizes[g], idToIndex);
    return group;
  });
  const state = stateDict.get('state');
  if (!(state instanceof Map)) throw typeError(where, "stateDict.get('state')", 'a Map keyed by parameter index', state);
  const groupOf: number[] = groupSizes.flatMap((size, g) => Array<number>(size).fill(g));
  const states = [...state.entries()].map(([key, entry]): CheckedState => {
    const index = typeof key === 'number' ? idToIndex.get(key) : undefined;
    if (index === undefined) throw rangeError(where, `stateDict.state key ${describe(key)}`, 'the index of a parameter in param_groups', key);
    const field = `stateDict.state[${key as number}]`;
    if (!(entry instanceof Map)) throw typeError(where, field, 'a Map (a dict, as loadTorch returns it)', entry);
    for (const k of entry.keys()) {
      if (!['step', 'exp_avg', 'exp_avg_sq', 'max_exp_avg_sq'].includes(k as string)) {
        throw typeError(where, `${field} key ${describe(k)}`, "absent (Adam's state has only step, exp_avg, exp_avg_sq, max_exp_avg_sq)", entry.get(k));
      }
    }
    const shape = shapes[index];
    const group = groups[groupOf[index]];
    const max = entry.get('max_exp_avg_sq');
    const maxExpAvgSq = max === undefined ? undefined : checkMoment(where, `${field}.max_exp_avg_sq`, max, shape);
    if (group.amsgrad && maxExpAvgSq === undefined) {
      throw typeError(where, `${field}.max_exp_avg_sq`, 'a tensor (its group has amsgrad: True)', undefined);
    }
    return {
      index,
      step: checkTorchStep(where, `${field}.step`, entry.get('step')),
      expAvg: checkMoment(where, `${field}.exp_avg`, entry.get('exp_avg'), shape),
      expAvgSq: checkMoment(where, `${field}.exp_avg_sq`, entry.get('exp_avg_sq'), shape),
      maxExpAvgSq,
    };
  });
  return { groups, states };
}

/** A torch group's hyperparameters (and extra keys, in camelCase), checked; Rust's rules for the ranges. */
function checkTorchGroup(where: string, prefix: string, saved: Map<unknown, unknown>): Hyperparameters & Record<string, unknown> {
  const extra: Record<string, unknown> = {};
  for (const [key, value] of saved.entries()) {
    if (typeof key !== 'string') throw typeError(where, `${prefix.slice(0, -1)} key ${describe(key)}`, 'a string', key);
    if (TORCH_GROUP_KEYS.includes(key)) continue;
    const name = camelCase(key);
    // torch's keys misspelt (`weightDecay`), lucid's own option names, and optimizer-wide options.
    const near = [...TORCH_GROUP_KEYS, ...OPTIMIZER_KEYS].some((k) => k.replace(/_/g, '').toLowerCase() === key.replace(/_/g, '').toLowerCase());
    if (near || OPTION_KEYS.includes(name)) throw unknownKeyError(where, `${prefix}${key}`, TORCH_GROUP_KEYS, value);
    if (Object.hasOwn(extra, name)) throw typeError(where, `${prefix}${key}`, `absent (the group also has a key that reads ${name} in camelCase)`, value);
    extra[name] = value;
  }
  for (const [key, , nullable] of TORCH_FLAGS) {
    const value = saved.get(key);
    if (value !== undefined && typeof value !== 'boolean' && !(nullable && value === null)) {
      throw typeError(where, `${prefix}${key}`, nullable ? 'True, False or None' : 'True or False', value);
    }
  }
  const number = (name: string, value: unknown, field: HyperField): number => {
    checkNumber(where, `${prefix}${name}`, value);
    const rule = brokenRule(field, value as number);
    if (rule !== undefined) throw rangeError(where, `${prefix}${name}`, ruleText(rule), value);
    return value as number;
  };
  for (const key of ['lr', 'betas', 'eps', 'weight_decay', 'params']) {
    if (!saved.has(key)) throw typeError(where, `${prefix}${key}`, 'present', undefined);
  }
  const betas = saved.get('betas');
  if (!Array.isArray(betas)) throw typeError(where, `${prefix}betas`, 'an array [beta1, beta2]', betas);
  if (betas.length !== 2) throw rangeError(where, `${prefix}betas.length`, '2', betas.length);
  // As torch's Adam.__setstate__: amsgrad, maximize and decoupled_weight_decay default to False.
  const flag = (key: string) => (saved.has(key) ? checkBoolean(where, `${prefix}${key}`, saved.get(key)) : false);
  return {
    ...extra,
    lr: number('lr', saved.get('lr'), HyperField.Lr),
    betas: [number('betas[0]', betas[0], HyperField.Beta1), number('betas[1]', betas[1], HyperField.Beta2)],
    eps: number('eps', saved.get('eps'), HyperField.Eps),
    weightDecay: number('weight_decay', saved.get('weight_decay'), HyperField.WeightDecay),
    amsgrad: flag('amsgrad'),
    maximize: flag('maximize'),
    decoupledWeightDecay: flag('decoupled_weight_decay'),
  };
}

/**
 * A moment: a float32 tensor of exactly the parameter's shape (torch's in-place step would refuse
 * another shape; a float64 one torch would round to float32 on loading, lucid refuses, as it
 * refuses Float64Arrays in its own shape, rather than round silently).
 */
function checkMoment(where: string, field: string, value: unknown, shape: readonly number[]): Float32Array {
  if (!isTorchTensor(value)) throw typeError(where, field, 'a float32 tensor', value);
  if (value.dtype !== 'float32') throw typeError(where, field, 'a float32 tensor (the dtype of the parameters lucid-optim steps)', value);
  const same = value.shape.length === shape.length && value.shape.every((d, i) => d === shape[i]);
  if (!same) {
    const hint = shape.length === 1 ? '; give the Parameter its torch shape: new Parameter(data, { shape })' : '';
    throw rangeError(where, `${field}.shape`, `[${shape.join(', ')}] (the parameter's shape${hint})`, value.shape);
  }
  const n = shape.reduce((a, b) => a * b, 1);
  if (!(value.data instanceof Float32Array) || value.data.length !== n) {
    throw rangeError(where, `${field}.data`, `a Float32Array of ${n} elements (the parameter's length)`, value.data);
  }
  return value.data;
}

/**
 * torch 2.x saves `step` as a 0-d float32 tensor (float64 when torch's default dtype is float64;
 * a number before torch 1.12, which torch's `__setstate__` still accepts): any of them, holding an
 * integer in [0, 2^53 - 1].
 */
function checkTorchStep(where: string, field: string, value: unknown): number {
  if (isTorchTensor(value)) {
    if (value.dtype !== 'float32' && value.dtype !== 'float64') throw typeError(where, field, 'a float32 (or float64) 0-d tensor', value);
    if (value.shape.length !== 0 || value.data.length !== 1) throw rangeError(where, `${field}.shape`, '[] (a 0-d tensor)', value.shape);
    return checkStep(where, field, value.data[0]);
  }
  if (typeof value !== 'number') throw typeError(where, field, 'a float32 0-d tensor (or a number)', value);
  return checkStep(where, field, value);
}
