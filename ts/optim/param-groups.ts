// Param groups for any algorithm: the options given to a constructor, a group given to it or to
// `addParamGroup`, and a saved group being loaded are all checked here against the algorithm's spec
// (spec.ts): JavaScript types first, then the row goes to Rust, which owns every range rule and
// every rule across fields (`checkRow`), and this file writes the sentence.

import { describe, normalize, rangeError, typeError, unknownKeyError } from '../runtime/errors.js';
import { CrossRule, checkRow, ruleText, rustError, type RustError } from '../runtime/wasm.js';
import { Parameter } from '../nn/parameter.js';
import { disposedError } from '../runtime/errors.js';
import { checkBoolean, checkNumber } from '../runtime/validate.js';
import { nullable, type AlgorithmSpec, type FieldSpec } from './spec.js';

/** A parameter group as passed to a constructor or `addParamGroup`: its parameters and any of the algorithm's options `O`. */
export type ParamGroupInput<O extends object = Record<string, unknown>> = O & {
  /** The group's parameters. */
  params: Iterable<Parameter>;
  [key: string]: unknown;
};

/**
 * A live parameter group (`opt.paramGroups[i]`): the algorithm's hyperparameters `H`, extra keys
 * you add (e.g. `initialLr`, kept and saved by `stateDict()`), and `params`. Change its
 * hyperparameters between steps, as schedulers do with `group.lr`; they are checked at the next
 * `step()`. `params` is read-only (a frozen array, possibly empty): add parameters to a group with
 * `addParams`, which replaces it.
 */
export type ParamGroup<H extends object = Record<string, unknown>> = H & {
  /** Every algorithm has a learning rate (what schedulers set). */
  lr: number;
  /** The group's parameters (read-only: add with `addParams`). */
  readonly params: readonly Parameter[];
  [key: string]: unknown;
};

/** Options of the optimizer as a whole (`OptimizerOptions`): refused inside a group, where they would do nothing. */
export const OPTIMIZER_KEYS: readonly string[] = Object.freeze(['skipNonFinite', 'onNonFinite']);

/** Where a group's checks start: the class, its spec, and why its fixed fields are fixed. */
export interface GroupRules {
  readonly spec: AlgorithmSpec;
  /** The class name errors start with. */
  readonly name: string;
  /** Why a fixed field (AdamW's `decoupledWeightDecay`) is fixed, for its error. */
  readonly fixedHint: string;
  /** Options a saved group of lucid's shape may leave out: the class gained them after such dicts were first saved. */
  readonly optionalOnLoad: readonly string[];
}

/** How a rule across fields reads: the field it names and what it needs. */
const CROSS_RULES: Readonly<Record<CrossRule, { field: string; rule: string; shown: readonly string[] }>> = {
  [CrossRule.NesterovNeedsMomentum]: {
    field: 'nesterov',
    rule: 'false unless momentum > 0 and dampening is 0 (torch: "Nesterov momentum requires a momentum and zero dampening")',
    shown: ['momentum', 'dampening'],
  },
};

/** How {@link resolveGroup} treats a group. */
export interface ResolveOptions {
  /** Where missing options come from (`null`: every option is required, as in a live group). */
  readonly defaults: Readonly<Record<string, unknown>> | null;
  /**
   * Param groups may carry extra keys, except misspellings of the options (`weight_decay`),
   * optimizer-wide options and torch's execution flags (`foreach`, `fused`, ...), which
   * lucid-optim does not have. Constructor options may not.
   */
  readonly allowExtra: boolean;
  /**
   * A fixed field (AdamW's `decoupledWeightDecay`): `'refuse'` it as an option, `'check'` that a
   * group gives its value if it gives one, or take whatever a `'load'`ed group says (the caller
   * then sets it, as torch's `AdamW.__setstate__` does).
   */
  readonly fixed: 'refuse' | 'check' | 'load';
  /** How messages spell an option: torch's name in torch's shape. */
  readonly spell?: (name: string) => string;
}

/**
 * Checks `options` field by field (`prefix` names the place, e.g. `paramGroups[1].`) and fills
 * missing ones as `how` says. Returns the options in the spec's order, then extra keys: every
 * group built here has one V8 shape.
 */
export function resolveGroup(rules: GroupRules, where: string, prefix: string, options: unknown, how: ResolveOptions): Record<string, unknown> {
  const { defaults, allowExtra, fixed } = how;
  const spell = how.spell ?? ((name: string) => name);
  const { spec } = rules;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw typeError(where, prefix === '' ? 'options' : prefix.slice(0, -1), 'an object', options);
  }
  const o = options as Record<string, unknown>;
  const names = spec.optionNames;
  const extra: Record<string, unknown> = {};
  for (const key of Object.keys(o)) {
    if (names.includes(key) || key === 'params') continue;
    if (allowExtra && OPTIMIZER_KEYS.includes(key)) {
      throw new TypeError(
        `${where}: ${prefix}${key} is an option of the optimizer, not of a group; pass it to new ${where.split('.')[0]}(params, { ${key} }), got ${describe(o[key])}`,
      );
    }
    const misspelt = names.some((k) => normalize(k) === normalize(key));
    const torchOnly = spec.fields.some((f) => f.kind === 'torch' && f.name === key);
    if (!allowExtra || misspelt || torchOnly) {
      throw unknownKeyError(where, `${prefix}${key}`, allowExtra ? names : [...names, ...OPTIMIZER_KEYS], o[key]);
    }
    extra[key] = o[key];
  }
  const row = new Float64Array(spec.rowLen);
  const group: Record<string, unknown> = {};
  for (const f of spec.options) {
    const given = o[f.name];
    if (f.fixed && given !== undefined && fixed !== 'load' && (fixed === 'refuse' || given !== f.default)) {
      const rule = fixed === 'refuse' ? 'absent' : String(f.default);
      throw typeError(where, `${prefix}${f.name}`, `${rule} (${rules.fixedHint})`, given);
    }
    const value = given === undefined && defaults !== null ? defaults[f.name] : given;
    group[f.name] = checkType(f, where, `${prefix}${spell(f.name)}`, value, row);
  }
  const error = checkRow(spec.algorithm, row);
  if (error !== undefined) throw rowError(rules, where, prefix, rustError(error), group, spell);
  return Object.assign(group, extra);
}

/** A field's value (`field` names it in messages), type-checked (its range is Rust's), written into `row`. */
function checkType(f: FieldSpec, where: string, field: string, value: unknown, row: Float64Array): unknown {
  switch (f.kind) {
    case 'tuple': {
      if (!Array.isArray(value)) throw typeError(where, field, `an array of ${f.width} numbers`, value);
      if (value.length !== f.width) throw rangeError(where, `${field}.length`, String(f.width), value.length);
      for (let e = 0; e < f.width; e++) {
        const element: unknown = value[e];
        if (nullable(f.rules[e])) {
          // null is torch's None, which the row holds as NaN: a NaN given as a number is refused here.
          if (element === null) {
            row[f.slot + e] = NaN;
            continue;
          }
          if (typeof element !== 'number') throw typeError(where, `${field}[${e}]`, 'a number or null', element);
          if (Number.isNaN(element)) throw rangeError(where, `${field}[${e}]`, ruleText(f.rules[e]), element);
        }
        row[f.slot + e] = checkNumber(where, `${field}[${e}]`, element);
      }
      return value.slice(0, f.width);
    }
    case 'choice': {
      const index = f.choices.indexOf(value as string | null);
      if (index < 0) {
        const choices = f.choices.map((c) => describe(c)).join(', ');
        const fail = typeof value === 'string' ? rangeError : typeError;
        throw fail(where, field, `one of ${choices}`, value);
      }
      row[f.slot] = index;
      return value;
    }
    case 'flag':
      row[f.slot] = checkBoolean(where, field, value) ? 1 : 0;
      return value;
    default:
      row[f.slot] = checkNumber(where, field, value);
      return value;
  }
}

/**
 * The error for a row Rust refused (`checkRow`, or a step): the field and value of a broken rule
 * (`paramGroups[1].betas[1] must be in [0, 1), got 1`), or the fields of a rule across fields.
 * `group` holds the values as the user gave them (for the message).
 */
export function rowError(
  rules: GroupRules,
  where: string,
  prefix: string,
  error: RustError,
  group: Readonly<Record<string, unknown>>,
  spell: (name: string) => string = (name) => name,
): RangeError {
  if (error.cross !== undefined) {
    const { field, rule, shown } = CROSS_RULES[error.cross];
    const values = [field, ...shown].map((k) => `${spell(k)}: ${describe(group[k])}`).join(', ');
    return new RangeError(`${where}: ${prefix}${spell(field)} must be ${rule}, got ${values}`);
  }
  const path = rules.spec.slotPaths[error.slot!];
  const bracket = path.indexOf('[');
  const spelt = bracket < 0 ? spell(path) : `${spell(path.slice(0, bracket))}${path.slice(bracket)}`;
  return rangeError(where, `${prefix}${spelt}`, ruleText(error.rule!), error.value);
}

/**
 * The parameters of a group input, checked to be live, distinct Parameters not in `taken`, and
 * matrices where the algorithm takes only matrices (`spec.matricesOnly`: torch's Muon).
 */
export function collectParams(where: string, field: string, params: unknown, taken: ReadonlySet<Parameter>, spec: AlgorithmSpec): Parameter[] {
  if (params === null || typeof params !== 'object' || typeof (params as Iterable<unknown>)[Symbol.iterator] !== 'function') {
    throw typeError(where, field, 'an iterable of Parameters', params);
  }
  const list = [...(params as Iterable<unknown>)];
  const seen = new Set<Parameter>();
  list.forEach((p, i) => {
    if (!(p instanceof Parameter)) throw typeError(where, `${field}[${i}]`, 'a Parameter', p);
    if (p.disposed) throw disposedError(where, `${field}[${i}] (${p.label})`);
    if (seen.has(p) || taken.has(p)) {
      throw new TypeError(`${where}: ${field}[${i}] (${p.label}) appears more than once; a parameter can be in only one group`);
    }
    if (spec.matricesOnly && p.shape.length !== 2) throw notAMatrix(where, `${field}[${i}] (${p.label})`, p.shape, spec.name);
    seen.add(p);
  });
  return list as Parameter[];
}

/** The error for a parameter that is not a matrix, given to an algorithm that takes only matrices (torch's Muon). */
export function notAMatrix(where: string, subject: string, shape: readonly number[], algorithm: string): TypeError {
  return new TypeError(
    `${where}: ${subject} has shape [${shape.join(', ')}], but ${algorithm} takes only 2-D parameters (torch: "${algorithm} only supports 2D parameters"); ` +
      'give the parameter a 2-D shape (new Parameter(values, { shape: [rows, cols] })) or optimize it with another optimizer, such as AdamW',
  );
}
