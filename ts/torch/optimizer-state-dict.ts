// The optimizer's state dict in PyTorch's own shape (`opt.stateDict({ format: 'torch' })` and
// `opt.loadStateDict(loadTorch(bytes))`), for any algorithm: what torch 2.15's
// `optimizer.state_dict()` contains, as loadTorch gives it back and saveTorch takes it. The
// algorithm's spec (../optim/spec.ts) gives the keys, their order and their types:
//
//   Map {
//     'state' => Map { 0 => Map { 'step' => 0-d float32 tensor (algorithms that count steps),
//                                 <each buffer in use, by torch's name> => tensor }, ... },
//     'param_groups' => [ Map { <every field, by torch's name, in torch's order>,
//                               ...extra keys, 'params' => [0, 1, ...] }, ... ],
//   }
//
// The group keys come in the order torch gives a group built from its defaults (the class's
// `__init__` `defaults` dict, then `params` last, as Optimizer.state_dict's `pack_group` puts it).

import { describe, rangeError, typeError, unknownKeyError } from '../runtime/errors.js';
import { OPTIMIZER_KEYS, type GroupRules } from '../optim/param-groups.js';
import { bufferShape, camelCase } from '../optim/spec.js';
import { checkScalar, checkStep, loadGroup, mapParamIds, requiredBuffers, requiredWhy, type CheckedState, type CheckedStateDict, type StateDict } from '../optim/state-dict.js';
import { checkBoolean } from '../runtime/validate.js';
import { Extent } from '../runtime/wasm.js';
import { isTorchTensor, type TorchTensor } from './tensor.js';

/**
 * An optimizer's state dict in PyTorch's shape, as `optimizer.state_dict()` holds it and
 * {@link loadTorch} returns it: a Map with `'state'` (a Map from parameter index to a Map of the
 * algorithm's state tensors: `step`, `exp_avg`, ... for Adam, `momentum_buffer` for SGD) and
 * `'param_groups'` (an array of Maps with torch's snake_case keys and `params`, the parameter
 * indices).
 */
export type TorchStateDict = Map<string, unknown>;

/** Options of `stateDict()`. */
export interface StateDictOptions {
  /**
   * `'lucid'` (default): the plain-object {@link StateDict} with camelCase keys, JSON-friendly.
   * `'torch'`: PyTorch's own shape ({@link TorchStateDict}), for {@link saveTorch}.
   */
  format?: 'lucid' | 'torch';
}

/** `initialLr` -> `initial_lr` (a camelCase key; any other key is left alone). */
export function snakeCase(key: string): string {
  return /^[a-z][a-zA-Z0-9]*$/.test(key) ? key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`) : key;
}

/** `initial_lr` -> `initialLr` (a snake_case key; any other key is left alone). */
export function camelCaseKey(key: string): string {
  return /^[a-z][a-z0-9]*(_[a-z0-9]+)+$/.test(key) ? camelCase(key) : key;
}

/**
 * The torch-shaped copy of a lucid state dict (whose buffers are fresh copies: they become the
 * tensors' data, not copied again). `shapes[i]` is parameter i's shape. Extra group keys go over in
 * snake_case (`initialLr` -> `initial_lr`, which torch's LR schedulers read). torch's execution
 * flags are written with the values a default-constructed torch optimizer saves: lucid-optim
 * computes what those defaults select on CPU, the single-tensor path.
 */
export function toTorchStateDict(rules: GroupRules, where: string, plain: StateDict, shapes: readonly (readonly number[])[]): TorchStateDict {
  const { spec } = rules;
  const tensor = (data: Float32Array, shape: readonly number[]): TorchTensor => ({ dtype: 'float32', shape: [...shape], data });
  const state = new Map<number, Map<string, TorchTensor | number>>();
  for (const [key, s] of Object.entries(plain.state) as [string, Record<string, unknown>][]) {
    const i = Number(key);
    const entry = new Map<string, TorchTensor | number>();
    // torch keeps `step` as a 0-d float32 tensor (exact up to 2^24 steps, as in torch).
    // (SparseAdam's is a Python int.)
    if (spec.countsSteps) entry.set('step', spec.intStep ? (s.step as number) : tensor(Float32Array.of(s.step as number), []));
    // Its scalars (NAdam's `mu_product`, ...): float32 0-d tensors too.
    for (const k of spec.scalars) entry.set(k.torchName, tensor(Float32Array.of(s[k.name] as number), []));
    for (const [k, b] of spec.buffers.entries()) {
      const data = s[b.name];
      if (data !== undefined) entry.set(b.torchName, tensor(data as Float32Array, bufferShape(spec, k, shapes[i])));
    }
    state.set(i, entry);
  }
  const paramGroups = plain.paramGroups.map((saved, g) => {
    const group = new Map<string, unknown>();
    for (const f of spec.fields) {
      const value = f.kind === 'torch' ? f.default : saved[f.name];
      group.set(f.torchName, Array.isArray(value) ? [...value] : value);
    }
    const known = new Set(spec.optionNames);
    for (const [key, value] of Object.entries(saved)) {
      if (known.has(key) || key === 'params') continue;
      const name = snakeCase(key);
      if (group.has(name)) {
        throw typeError(where, `paramGroups[${g}].${key}`, `absent or named otherwise (in torch's shape it would be ${name}, which the group already has)`, value);
      }
      group.set(name, value);
    }
    group.set('params', saved.params);
    return group;
  });
  return new Map<string, unknown>([
    ['state', state],
    ['param_groups', paramGroups],
  ]);
}

/**
 * Checks a torch-shaped state dict against the current groups (their sizes and parameter shapes)
 * without changing anything, with the same rules as lucid's shape in torch's words: errors name
 * torch's fields (`stateDict.param_groups[0].weight_decay`, `stateDict.state[2].exp_avg`). As the
 * classes' `__setstate__` do, a group without one of the flags takes its default. Extra group keys
 * are kept in camelCase (`initial_lr` -> `initialLr`); torch's execution flags (foreach,
 * capturable, differentiable, fused) are type-checked and dropped.
 */
export function checkTorchStateDict(rules: GroupRules, where: string, stateDict: Map<unknown, unknown>, groupSizes: number[], shapes: readonly (readonly number[])[]): CheckedStateDict {
  const { spec } = rules;
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
    const group = checkTorchGroup(rules, where, prefix, saved);
    mapParamIds(where, prefix, saved.get('params'), groupSizes[g], idToIndex);
    return group;
  });
  const state = stateDict.get('state');
  if (!(state instanceof Map)) throw typeError(where, "stateDict.get('state')", 'a Map keyed by parameter index', state);
  const keys = [...(spec.countsSteps ? ['step'] : []), ...spec.scalars.map((k) => k.torchName), ...spec.buffers.map((b) => b.torchName)];
  const required = requiredBuffers(spec, groups, groupSizes, shapes);
  const states = [...state.entries()].map(([key, entry]): CheckedState => {
    const index = typeof key === 'number' ? idToIndex.get(key) : undefined;
    if (index === undefined) throw rangeError(where, `stateDict.state key ${describe(key)}`, 'the index of a parameter in param_groups', key);
    const field = `stateDict.state[${key as number}]`;
    if (!(entry instanceof Map)) throw typeError(where, field, 'a Map (a dict, as loadTorch returns it)', entry);
    for (const k of entry.keys()) {
      if (!keys.includes(k as string)) {
        throw typeError(where, `${field} key ${describe(k)}`, `absent (${spec.name}'s state has only ${keys.join(', ')})`, entry.get(k));
      }
    }
    const buffers = spec.buffers.map((b, i) => {
      const value = entry.get(b.torchName);
      const why = required[index] & (1 << i) ? requiredWhy(spec, i, (f) => f.torchName, 'True') : null;
      if (value === undefined && why !== null && why !== '') throw typeError(where, `${field}.${b.torchName}`, `a tensor (${why})`, undefined);
      const of = b.extent === Extent.Param ? "the parameter's shape" : `its shape for the parameter's, [${shapes[index].join(', ')}]`;
      return value === undefined && why === null ? undefined : checkMoment(where, `${field}.${b.torchName}`, value, bufferShape(spec, i, shapes[index]), of);
    });
    const scalars = spec.scalars.map((k) => checkTorchScalar(where, `${field}.${k.torchName}`, entry.get(k.torchName)));
    return { index, step: spec.countsSteps ? checkTorchStep(where, `${field}.step`, entry.get('step')) : 0, scalars, buffers };
  });
  return { groups, states };
}

/** A torch group's hyperparameters (and extra keys, in camelCase), checked by the rules of lucid's shape. */
function checkTorchGroup(rules: GroupRules, where: string, prefix: string, saved: Map<unknown, unknown>): Record<string, unknown> {
  const { spec } = rules;
  const torchKeys = [...spec.fields.map((f) => f.torchName), 'params'];
  const lucid: Record<string, unknown> = {};
  for (const [key, value] of saved.entries()) {
    if (typeof key !== 'string') throw typeError(where, `${prefix.slice(0, -1)} key ${describe(key)}`, 'a string', key);
    const field = spec.fields.find((f) => f.torchName === key);
    if (field !== undefined) {
      if (field.kind === 'torch') {
        // What torch accepts there: a flag saved as None may be None, True or False; one saved as False, True or False.
        if (typeof value !== 'boolean' && !(field.default === null && value === null)) {
          throw typeError(where, `${prefix}${key}`, field.default === null ? 'True, False or None' : 'True or False', value);
        }
      } else {
        lucid[field.name] = field.kind === 'flag' ? checkBoolean(where, `${prefix}${key}`, value) : value;
      }
      continue;
    }
    if (key === 'params') continue;
    const name = camelCaseKey(key);
    // torch's keys misspelt (`weightDecay`), lucid's own option names, and optimizer-wide options.
    const flat = (k: string) => k.replace(/_/g, '').toLowerCase();
    const near = [...torchKeys, ...OPTIMIZER_KEYS].some((k) => flat(k) === flat(key));
    if (near || spec.optionNames.includes(name)) throw unknownKeyError(where, `${prefix}${key}`, torchKeys, value);
    if (Object.hasOwn(lucid, name)) throw typeError(where, `${prefix}${key}`, `absent (the group also has a key that reads ${name} in camelCase)`, value);
    lucid[name] = value;
  }
  if (!saved.has('params')) throw typeError(where, `${prefix}params`, 'present', undefined);
  const torchName = (name: string) => spec.options.find((f) => f.name === name)?.torchName ?? name;
  return loadGroup(rules, where, prefix, lucid, (name) => saved.has(torchName(name)), torchName, (f) => f.kind === 'flag');
}

/**
 * A buffer: a float32 tensor of exactly `shape`, the parameter's or (Adafactor's `row_var`,
 * `col_var`) the one torch makes for it, which `of` says (torch's in-place step would refuse
 * another shape; a float64 one torch would round to float32 on loading, lucid refuses, as it
 * refuses Float64Arrays in its own shape, rather than round silently).
 */
function checkMoment(where: string, field: string, value: unknown, shape: readonly number[], of: string): Float32Array {
  if (!isTorchTensor(value)) throw typeError(where, field, 'a float32 tensor', value);
  if (value.dtype !== 'float32') throw typeError(where, field, 'a float32 tensor (the dtype of the parameters lucid-optim steps)', value);
  const same = value.shape.length === shape.length && value.shape.every((d, i) => d === shape[i]);
  if (!same) {
    const hint = shape.length === 1 ? '; give the Parameter its torch shape: new Parameter(data, { shape })' : '';
    throw rangeError(where, `${field}.shape`, `[${shape.join(', ')}] (${of}${hint})`, value.shape);
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
  return checkStep(where, field, zeroDimValue(where, field, value));
}

/** A state scalar (NAdam's `mu_product`, ASGD's `eta` and `mu`): a 0-d float32 tensor in torch's state, or a number. */
function checkTorchScalar(where: string, field: string, value: unknown): number {
  return checkScalar(where, field, zeroDimValue(where, field, value));
}

/** The value of a 0-d float32 (or float64) tensor, or `value` itself if it is not a tensor (then a number, or refused). */
function zeroDimValue(where: string, field: string, value: unknown): unknown {
  if (isTorchTensor(value)) {
    if (value.dtype !== 'float32' && value.dtype !== 'float64') throw typeError(where, field, 'a float32 (or float64) 0-d tensor', value);
    if (value.shape.length !== 0 || value.data.length !== 1) throw rangeError(where, `${field}.shape`, '[] (a 0-d tensor)', value.shape);
    return value.data[0];
  }
  if (typeof value !== 'number') throw typeError(where, field, 'a float32 0-d tensor (or a number)', value);
  return value;
}
