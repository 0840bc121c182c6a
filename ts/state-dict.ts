import { describe, rangeError, typeError, unknownKeyError } from './errors.js';
import { DEFAULTS, resolveHyperparameters, type Hyperparameters } from './param-group.js';
import { checkInteger } from './validate.js';
import { wasmLimits } from './wasm.js';

/** One parameter's saved state: PyTorch's `state[p]` with camelCase keys. */
export interface ParamState {
  /** Steps this parameter has taken. */
  step: number;
  /** First moment estimate. */
  expAvg: Float32Array;
  /** Second moment estimate. */
  expAvgSq: Float32Array;
  /** Running maximum of the raw second moment; present when the group uses AMSGrad. */
  maxExpAvgSq?: Float32Array;
}

/** A saved group: its hyperparameters, extra keys, and the indices of its parameters. */
export interface SavedParamGroup extends Hyperparameters {
  params: number[];
  [key: string]: unknown;
}

/**
 * What {@link Adam.stateDict} returns and {@link Adam.loadStateDict} takes, shaped like
 * PyTorch's `optimizer.state_dict()`. Parameters are numbered by their position across groups.
 * Buffers are copies, never views into WebAssembly memory.
 *
 * `loadStateDict` also accepts plain `number[]` buffers (as JSON gives back), but no other typed
 * arrays: a Float64Array would silently lose precision, so it is refused rather than guessed at.
 */
export interface StateDict {
  state: Record<number, ParamState>;
  paramGroups: SavedParamGroup[];
}

/**
 * The keys every saved group has. Not `decoupledWeightDecay`: dicts saved before it existed load
 * with `false`, as torch's `Adam.__setstate__` defaults `decoupled_weight_decay` to False (and
 * `AdamW` then sets it to true, as torch's `AdamW.__setstate__` does).
 */
const REQUIRED_GROUP_KEYS: readonly string[] = Object.freeze([...Object.keys(DEFAULTS).filter((key) => key !== 'decoupledWeightDecay'), 'params']);

/** A state entry after validation, ready to copy in. */
export interface CheckedState {
  index: number;
  step: number;
  expAvg: ArrayLike<number>;
  expAvgSq: ArrayLike<number>;
  maxExpAvgSq: ArrayLike<number> | undefined;
}

/** A validated state dict, mapped onto the current parameters. */
export interface CheckedStateDict {
  groups: (Hyperparameters & Record<string, unknown>)[];
  states: CheckedState[];
}

/**
 * Checks `stateDict` against the current groups (their sizes and parameter lengths) without
 * changing anything. Saved parameter ids map onto current parameters by position, as PyTorch's
 * `load_state_dict` maps them.
 */
export function checkStateDict(where: string, stateDict: unknown, groupSizes: number[], lengths: number[]): CheckedStateDict {
  if (stateDict === null || typeof stateDict !== 'object') throw typeError(where, 'stateDict', 'an object', stateDict);
  const { state, paramGroups } = stateDict as Record<string, unknown>;
  for (const key of Object.keys(stateDict)) {
    if (key !== 'state' && key !== 'paramGroups') {
      throw typeError(where, `stateDict.${key}`, 'absent (a state dict has only state and paramGroups)', (stateDict as Record<string, unknown>)[key]);
    }
  }
  if (!Array.isArray(paramGroups)) throw typeError(where, 'stateDict.paramGroups', 'an array', paramGroups);
  if (paramGroups.length !== groupSizes.length) {
    throw rangeError(where, 'stateDict.paramGroups.length', `${groupSizes.length} (this optimizer's group count)`, paramGroups.length);
  }
  const idToIndex = new Map<number, number>();
  const groups = paramGroups.map((saved: unknown, g) => {
    const prefix = `stateDict.paramGroups[${g}].`;
    if (saved === null || typeof saved !== 'object') throw typeError(where, prefix.slice(0, -1), 'an object', saved);
    for (const key of REQUIRED_GROUP_KEYS) {
      if (!(key in saved)) throw typeError(where, `${prefix}${key}`, 'present', undefined);
    }
    const group = resolveHyperparameters(where, prefix, saved, DEFAULTS, true);
    mapParamIds(where, prefix, (saved as Record<string, unknown>).params, groupSizes[g], idToIndex);
    return group;
  });
  // A plain object: a Map or an array would otherwise read as "no state at all" and wipe it.
  const proto = state === null || typeof state !== 'object' ? undefined : Object.getPrototypeOf(state);
  if (proto !== Object.prototype && proto !== null) {
    throw typeError(where, 'stateDict.state', 'a plain object keyed by parameter index', state);
  }
  const states = Object.entries(state as Record<string, unknown>).map(([key, entry]): CheckedState => {
    const field = `stateDict.state[${key}]`;
    const index = idToIndex.get(Number(key));
    if (!/^(0|[1-9][0-9]*)$/.test(key) || index === undefined) {
      throw rangeError(where, `stateDict.state key ${describe(key)}`, 'the index of a parameter in paramGroups', key);
    }
    if (entry === null || typeof entry !== 'object') throw typeError(where, field, 'an object', entry);
    const e = entry as Record<string, unknown>;
    for (const k of Object.keys(e)) {
      if (!['step', 'expAvg', 'expAvgSq', 'maxExpAvgSq'].includes(k)) {
        throw typeError(where, `${field}.${k}`, 'absent (a state has only step, expAvg, expAvgSq, maxExpAvgSq)', e[k]);
      }
    }
    const group = groups[groupOf(index, groupSizes)];
    const length = lengths[index];
    const maxExpAvgSq = e.maxExpAvgSq === undefined ? undefined : checkBuffer(where, `${field}.maxExpAvgSq`, e.maxExpAvgSq, length);
    if (group.amsgrad && maxExpAvgSq === undefined) {
      throw typeError(where, `${field}.maxExpAvgSq`, 'a buffer (its group has amsgrad: true)', undefined);
    }
    return {
      index,
      step: checkStep(where, `${field}.step`, e.step),
      expAvg: checkBuffer(where, `${field}.expAvg`, e.expAvg, length),
      expAvgSq: checkBuffer(where, `${field}.expAvgSq`, e.expAvgSq, length),
      maxExpAvgSq,
    };
  });
  return { groups, states };
}

/** The format `stateDict(options)` asks for: `'lucid'` (the default) or `'torch'`. */
export function checkStateDictOptions(where: string, options: unknown): 'lucid' | 'torch' {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) throw typeError(where, 'options', 'an object { format }', options);
  for (const key of Object.keys(options)) {
    if (key !== 'format') throw unknownKeyError(where, `options.${key}`, ['format'], (options as Record<string, unknown>)[key]);
  }
  const { format = 'lucid' } = options as { format?: unknown };
  if (format !== 'lucid' && format !== 'torch') throw typeError(where, 'options.format', "'lucid' or 'torch'", format);
  return format;
}

/**
 * Checks a saved group's `params` (the ids of its `size` parameters) and maps each id onto the
 * position of its parameter across groups, in `idToIndex`: ids are unique across groups, and map
 * onto the current parameters by position, as PyTorch's `load_state_dict` maps them. Both shapes of
 * state dict (lucid's and torch's) number their parameters this way.
 */
export function mapParamIds(where: string, prefix: string, ids: unknown, size: number, idToIndex: Map<number, number>): void {
  if (!Array.isArray(ids)) throw typeError(where, `${prefix}params`, 'an array of parameter indices', ids);
  if (ids.length !== size) throw rangeError(where, `${prefix}params.length`, `${size} (this group's size)`, ids.length);
  ids.forEach((id: unknown, i) => {
    checkInteger(where, `${prefix}params[${i}]`, id, 0);
    if (idToIndex.has(id as number)) throw rangeError(where, `${prefix}params[${i}]`, 'unique', id);
    idToIndex.set(id as number, idToIndex.size);
  });
}

/** A step count: an integer in [0, maxStep], Rust's limit (adam-core `MAX_STEP`). */
export function checkStep(where: string, field: string, value: unknown): number {
  const step = checkInteger(where, field, value, 0);
  const { maxStep } = wasmLimits(where);
  if (step > maxStep) throw rangeError(where, field, `at most ${maxStep} (2^53 - 1, the most steps a state can count)`, step);
  return step;
}

function groupOf(index: number, groupSizes: number[]): number {
  let end = 0;
  for (let g = 0; g < groupSizes.length; g++) {
    end += groupSizes[g];
    if (index < end) return g;
  }
  throw new Error('unreachable: index beyond the last group');
}

function checkBuffer(where: string, field: string, value: unknown, length: number): ArrayLike<number> {
  if (value instanceof Float32Array || Array.isArray(value)) {
    if (value.length !== length) throw rangeError(where, `${field}.length`, `${length} (the parameter's length)`, value.length);
    if (Array.isArray(value)) {
      for (let i = 0; i < length; i++) {
        if (typeof value[i] !== 'number') throw typeError(where, `${field}[${i}]`, 'a number', value[i]);
      }
    }
    return value;
  }
  throw typeError(where, field, 'a Float32Array (or an array of numbers)', value);
}
