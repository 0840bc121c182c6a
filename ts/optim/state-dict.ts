// The optimizer's state dict in lucid-optim's own shape (`opt.stateDict()`), for any algorithm: the
// spec (spec.ts) says which hyperparameters a saved group has, whether a state counts steps, and
// which buffers it holds under which names. PyTorch's shape is ../torch/state-dict.ts.

import { describe, rangeError, typeError, unknownKeyError } from '../runtime/errors.js';
import { checkInteger } from '../runtime/validate.js';
import { BufferUse, buffersRequired, wasmLimits } from '../runtime/wasm.js';
import { resolveGroup, type GroupRules } from './param-groups.js';
import { bufferLength, writeRow, type AlgorithmSpec, type FieldSpec } from './spec.js';

/** A saved group: its hyperparameters `H`, extra keys, and the indices of its parameters. */
export type SavedParamGroup<H extends object = Record<string, unknown>> = H & {
  /** The indices of the group's parameters, across groups (as torch numbers them). */
  params: number[];
  [key: string]: unknown;
};

/**
 * What `stateDict()` returns and `loadStateDict()` takes, shaped like PyTorch's
 * `optimizer.state_dict()`: each parameter's state `S` by its position across groups, and the
 * saved groups. Buffers are copies, never views into WebAssembly memory.
 *
 * It survives JSON: `JSON.stringify` writes each buffer as an array of numbers, with `"-0"`,
 * `"NaN"`, `"Infinity"` and `"-Infinity"` for the values JSON has no number for, and
 * `loadStateDict` takes those arrays back, bit for bit (NaN payloads aside). It also takes plain
 * number arrays, but no other typed arrays: a Float64Array would silently lose precision, so it is
 * refused rather than guessed at.
 */
export interface StateDict<H extends object = object, S extends object = object> {
  /** Per parameter index (across groups, as torch numbers them), its state; none for a parameter without. */
  state: Record<number, S>;
  /** Each group's hyperparameters and extra keys, with `params`: its parameters' indices. */
  paramGroups: SavedParamGroup<H>[];
}

/** A buffer as JSON holds it: numbers, and strings for the values JSON has none for. */
export type JsonBuffer = (number | '-0' | 'NaN' | 'Infinity' | '-Infinity')[];

/** `JSON.stringify`'s view of a saved buffer (its `toJSON`): every value, exactly. */
function bufferToJSON(this: Float32Array): JsonBuffer {
  const out: JsonBuffer = new Array(this.length);
  for (let i = 0; i < this.length; i++) {
    const x = this[i];
    out[i] = Number.isFinite(x) ? (Object.is(x, -0) ? '-0' : x) : x !== x ? 'NaN' : x > 0 ? 'Infinity' : '-Infinity';
  }
  return out;
}

/** `values` as a saved buffer: a Float32Array that JSON writes exactly (see {@link StateDict}). */
export function savedBuffer(values: Float32Array): Float32Array {
  Object.defineProperty(values, 'toJSON', { value: bufferToJSON, enumerable: false, configurable: true });
  return values;
}

const JSON_SPECIALS: Readonly<Record<string, number>> = Object.freeze({ '-0': -0, NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity });

/** A state entry after validation, ready to copy in: its step, the spec's scalars, and each of its buffers (or none). */
export interface CheckedState {
  index: number;
  step: number;
  scalars: number[];
  buffers: (ArrayLike<number> | undefined)[];
}

/** A validated state dict, mapped onto the current parameters. */
export interface CheckedStateDict {
  groups: Record<string, unknown>[];
  states: CheckedState[];
}

/**
 * A saved group's hyperparameters, checked as a group given to the constructor is. `optional` says
 * which options the dict may leave out (they take their default): in torch's shape every flag, as
 * the classes' `__setstate__` fill them in (`amsgrad`, `maximize`, `decoupled_weight_decay`,
 * `nesterov`, ...); in lucid's, the options a class gained after its dicts were first saved
 * (`GroupRules.optionalOnLoad`). A fixed flag takes its value whatever was saved (torch's
 * `AdamW.__setstate__` sets `decoupled_weight_decay`). `shownName` spells each option as the dict
 * does (lucid's camelCase or torch's snake_case).
 */
export function loadGroup(
  rules: GroupRules,
  where: string,
  prefix: string,
  saved: Record<string, unknown>,
  present: (name: string) => boolean,
  shownName: (name: string) => string,
  optional: (f: FieldSpec) => boolean,
): Record<string, unknown> {
  const { spec } = rules;
  const defaults: Record<string, unknown> = {};
  for (const f of spec.options) {
    if (optional(f)) defaults[f.name] = f.default;
    else if (!present(f.name)) throw typeError(where, `${prefix}${shownName(f.name)}`, 'present', undefined);
  }
  const group = resolveGroup(rules, where, prefix, saved, { defaults, allowExtra: true, fixed: 'load', spell: shownName });
  for (const f of spec.options) if (f.fixed) group[f.name] = f.default;
  return group;
}

/**
 * Checks `stateDict` against the current groups (their sizes and parameter lengths) without
 * changing anything. Saved parameter ids map onto current parameters by position, as torch's
 * `load_state_dict` maps them. `label` writes a state key in messages (an adapter keyed by name
 * passes one that names the parameter).
 */
export function checkStateDict(
  rules: GroupRules,
  where: string,
  stateDict: unknown,
  groupSizes: number[],
  shapes: readonly (readonly number[])[],
  label: (key: string) => string = (key) => key,
): CheckedStateDict {
  const { spec } = rules;
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
    if (!('params' in saved)) throw typeError(where, `${prefix}params`, 'present', undefined);
    const group = loadGroup(rules, where, prefix, saved as Record<string, unknown>, (name) => name in saved, (name) => name, (f) => rules.optionalOnLoad.includes(f.name));
    mapParamIds(where, prefix, (saved as Record<string, unknown>).params, groupSizes[g], idToIndex);
    return group;
  });
  // A plain object: a Map or an array would otherwise read as "no state at all" and wipe it.
  const proto = state === null || typeof state !== 'object' ? undefined : Object.getPrototypeOf(state);
  if (proto !== Object.prototype && proto !== null) {
    throw typeError(where, 'stateDict.state', 'a plain object keyed by parameter index', state);
  }
  const keys = stateKeys(spec);
  const required = requiredBuffers(spec, groups, groupSizes, shapes);
  const states = Object.entries(state as Record<string, unknown>).map(([key, entry]): CheckedState => {
    const field = `stateDict.state[${label(key)}]`;
    const index = idToIndex.get(Number(key));
    if (!/^(0|[1-9][0-9]*)$/.test(key) || index === undefined) {
      throw rangeError(where, `stateDict.state key ${describe(key)}`, 'the index of a parameter in paramGroups', key);
    }
    if (entry === null || typeof entry !== 'object') throw typeError(where, field, 'an object', entry);
    const e = entry as Record<string, unknown>;
    for (const k of Object.keys(e)) {
      if (!keys.includes(k)) throw typeError(where, `${field}.${k}`, `absent (a state has only ${keys.join(', ')})`, e[k]);
    }
    const buffers = spec.buffers.map((b, i) => {
      const value = e[b.name];
      const why = required[index] & (1 << i) ? requiredWhy(spec, i, (f) => f.name, 'true') : null;
      if (value === undefined && why !== null && why !== '') throw typeError(where, `${field}.${b.name}`, `a buffer (${why})`, undefined);
      const of = b.ofParamShape ? "the parameter's length" : `its length for the parameter's shape [${shapes[index].join(', ')}]`;
      return value === undefined && why === null ? undefined : checkBuffer(where, `${field}.${b.name}`, value, bufferLength(spec, i, shapes[index]), of);
    });
    const scalars = spec.scalars.map((k) => checkScalar(where, `${field}.${k.name}`, e[k.name]));
    return { index, step: spec.countsSteps ? checkStep(where, `${field}.step`, e.step) : 0, scalars, buffers };
  });
  return { groups, states };
}

/** The keys a saved state may have: `step` if the algorithm counts steps, its scalars, then its buffers. */
function stateKeys(spec: AlgorithmSpec): string[] {
  return [...(spec.countsSteps ? ['step'] : []), ...spec.scalars.map((k) => k.name), ...spec.buffers.map((b) => b.name)];
}

/**
 * A saved state scalar (NAdam's `muProduct`, ASGD's `eta` and `mu`): a number, which the state
 * keeps as a float32, as torch's 0-d tensor does. torch raises a KeyError for a missing one.
 */
export function checkScalar(where: string, field: string, value: unknown): number {
  if (typeof value !== 'number') throw typeError(where, field, 'a number (a float32 state value)', value);
  return value;
}

/**
 * Per parameter (groups of `groupSizes`, parameters of `shapes`), the buffers a loaded state must
 * have: Rust's rule, for its group's row and its number of dimensions.
 */
export function requiredBuffers(spec: AlgorithmSpec, groups: readonly Record<string, unknown>[], groupSizes: readonly number[], shapes: readonly (readonly number[])[]): number[] {
  const row = new Float64Array(spec.rowLen);
  let index = 0;
  return groups.flatMap((group, g) => {
    writeRow(spec, group, row);
    return Array.from({ length: groupSizes[g] }, () => buffersRequired(spec.algorithm, row, shapes[index++].length));
  });
}

/**
 * Why buffer `b` is required, for its error: `its group has amsgrad: true` (`spell` names the field,
 * `on` is how the dict writes true), or '' for a buffer every state has (its error is then the
 * buffer's type error).
 */
export function requiredWhy(spec: AlgorithmSpec, b: number, spell: (f: FieldSpec) => string, on: string): string {
  const buffer = spec.buffers[b];
  const field = spec.options.find((f) => f.slot === buffer.useSlot && f.kind !== 'tuple');
  if (buffer.use === BufferUse.Always || field === undefined) return '';
  return `its group has ${spell(field)}: ${field.kind === 'flag' ? on : 'not 0'}`;
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
 * onto the current parameters by position, as torch's `load_state_dict` maps them. Both shapes of
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

/** A step count: an integer in [0, maxStep], Rust's limit (optim-core `MAX_STEP`). */
export function checkStep(where: string, field: string, value: unknown): number {
  const step = checkInteger(where, field, value, 0);
  const { maxStep } = wasmLimits(where);
  if (step > maxStep) throw rangeError(where, field, `at most ${maxStep} (2^53 - 1, the most steps a state can count)`, step);
  return step;
}

/** A saved buffer: a Float32Array, or an array of numbers (and JSON's strings for the others) of `length` (`of` says whose). */
export function checkBuffer(where: string, field: string, value: unknown, length: number, of = "the parameter's length"): ArrayLike<number> {
  if (value instanceof Float32Array || Array.isArray(value)) {
    if (value.length !== length) throw rangeError(where, `${field}.length`, `${length} (${of})`, value.length);
    if (!Array.isArray(value)) return value;
    let converted: number[] | undefined;
    for (let i = 0; i < length; i++) {
      const x: unknown = value[i];
      if (typeof x === 'number') continue;
      const special = typeof x === 'string' ? JSON_SPECIALS[x] : undefined;
      if (special === undefined) throw typeError(where, `${field}[${i}]`, 'a number (or "-0", "NaN", "Infinity", "-Infinity")', x);
      converted ??= value.slice();
      converted[i] = special;
    }
    return converted ?? (value as number[]);
  }
  throw typeError(where, field, 'a Float32Array (or an array of numbers)', value);
}
