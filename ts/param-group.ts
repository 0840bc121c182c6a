import { describe, normalize, rangeError, ruleText, typeError, unknownKeyError } from './errors.js';
import { Parameter } from './parameter.js';
import { checkBoolean, checkNumber } from './validate.js';
import { HyperField, brokenRule } from './wasm.js';

/** A group's hyperparameters, as `torch.optim.Adam` names them (camelCase). All optional. */
export interface GroupOptions {
  /** Learning rate. Default `1e-3`. */
  lr?: number;
  /** Decay rates of the first and second moment estimates. Default `[0.9, 0.999]`. */
  betas?: readonly [number, number];
  /** Added to the bias-corrected `sqrt(v)`. Default `1e-8` (note: TensorFlow.js defaults to 1e-7). */
  eps?: number;
  /**
   * Weight decay: an L2 penalty added to the gradient (`g + weightDecay * p`, PyTorch `Adam`), or
   * with {@link GroupOptions.decoupledWeightDecay} AdamW's decay of the parameter. Default `0`
   * (`1e-2` in {@link AdamW}).
   */
  weightDecay?: number;
  /** Use the running maximum of the second moment (AMSGrad). Default `false`. */
  amsgrad?: boolean;
  /** Maximize the objective instead of minimizing it. Default `false`. */
  maximize?: boolean;
  /**
   * Decouple the weight decay from the gradient, as AdamW does (torch 2.x
   * `Adam(decoupled_weight_decay=True)`, which is `torch.optim.AdamW`): each step first multiplies
   * the parameter by `1 - lr * weightDecay`, and the decay never enters the gradient or the moments.
   * Default `false` (always `true` in {@link AdamW}).
   */
  decoupledWeightDecay?: boolean;
}

/** The resolved hyperparameters of a group. */
export interface Hyperparameters {
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
  maximize: boolean;
  decoupledWeightDecay: boolean;
}

/** A parameter group as passed to the constructor or {@link Adam.addParamGroup}. */
export interface ParamGroupInput extends GroupOptions {
  params: Iterable<Parameter>;
  [key: string]: unknown;
}

/**
 * A live parameter group (`opt.paramGroups[i]`). Change its hyperparameters between steps, as
 * schedulers do with `group.lr`; they are validated at the next `step()`. Extra keys you add
 * (e.g. `initialLr`) are kept, and saved by `stateDict()`. `params` is read-only (a frozen array,
 * possibly empty): add parameters to a group with `Adam.addParams`, which replaces it.
 */
export interface ParamGroup extends Hyperparameters {
  readonly params: readonly Parameter[];
  [key: string]: unknown;
}

export const DEFAULTS: Readonly<Hyperparameters> = Object.freeze({
  lr: 1e-3,
  betas: Object.freeze([0.9, 0.999]) as [number, number],
  eps: 1e-8,
  weightDecay: 0,
  amsgrad: false,
  maximize: false,
  decoupledWeightDecay: false,
});

/** `torch.optim.AdamW`'s defaults: Adam's, with `weight_decay=1e-2`, decoupled. */
export const ADAMW_DEFAULTS: Readonly<Hyperparameters> = Object.freeze({ ...DEFAULTS, weightDecay: 1e-2, decoupledWeightDecay: true });

export const OPTION_KEYS: readonly string[] = Object.freeze(['lr', 'betas', 'eps', 'weightDecay', 'amsgrad', 'maximize', 'decoupledWeightDecay']);
/** Options of the optimizer as a whole (`AdamOptions` in adam.ts): refused inside a group, where they would do nothing. */
export const OPTIMIZER_KEYS: readonly string[] = Object.freeze(['skipNonFinite', 'onNonFinite']);
/** PyTorch `Adam` arguments lucid-optim does not have; refused rather than silently ignored. */
const UNSUPPORTED_KEYS: readonly string[] = Object.freeze(['foreach', 'fused', 'capturable', 'differentiable']);

/**
 * Validates `options` field by field (prefix names the place, e.g. `paramGroups[1].`) and fills
 * missing ones from `defaults` (`null`: every field is required, e.g. in a live group).
 * `allowExtra` lets param groups carry extra keys, except misspellings of the options
 * (`weight_decay`), optimizer-wide options and PyTorch options lucid-optim does not have.
 */
export function resolveHyperparameters(
  where: string,
  prefix: string,
  options: unknown,
  defaults: Readonly<Hyperparameters> | null,
  allowExtra: boolean,
): Hyperparameters & Record<string, unknown> {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw typeError(where, prefix === '' ? 'options' : prefix.slice(0, -1), 'an object', options);
  }
  const o = options as Record<string, unknown>;
  const extra: Record<string, unknown> = {};
  for (const key of Object.keys(o)) {
    if (OPTION_KEYS.includes(key) || key === 'params') continue;
    if (allowExtra && OPTIMIZER_KEYS.includes(key)) {
      throw new TypeError(
        `${where}: ${prefix}${key} is an option of the optimizer, not of a group; pass it to new ${where.split('.')[0]}(params, { ${key} }), got ${describe(o[key])}`,
      );
    }
    const misspelt = OPTION_KEYS.some((k) => normalize(k) === normalize(key));
    if (!allowExtra || misspelt || UNSUPPORTED_KEYS.includes(key)) {
      throw unknownKeyError(where, `${prefix}${key}`, allowExtra ? OPTION_KEYS : [...OPTION_KEYS, ...OPTIMIZER_KEYS], o[key]);
    }
    extra[key] = o[key];
  }
  const pick = (key: keyof Hyperparameters) => (o[key] === undefined && defaults !== null ? defaults[key] : o[key]);
  const betas = pick('betas');
  if (!Array.isArray(betas)) throw typeError(where, `${prefix}betas`, 'an array [beta1, beta2]', betas);
  if (betas.length !== 2) throw rangeError(where, `${prefix}betas.length`, '2', betas.length);
  return {
    ...extra,
    lr: checkHyperparameter(where, prefix, HyperField.Lr, pick('lr')),
    betas: [checkHyperparameter(where, prefix, HyperField.Beta1, betas[0]), checkHyperparameter(where, prefix, HyperField.Beta2, betas[1])],
    eps: checkHyperparameter(where, prefix, HyperField.Eps, pick('eps')),
    weightDecay: checkHyperparameter(where, prefix, HyperField.WeightDecay, pick('weightDecay')),
    amsgrad: checkBoolean(where, `${prefix}amsgrad`, pick('amsgrad')),
    maximize: checkBoolean(where, `${prefix}maximize`, pick('maximize')),
    decoupledWeightDecay: checkBoolean(where, `${prefix}decoupledWeightDecay`, pick('decoupledWeightDecay')),
  };
}

/** How each row field is spelt in a group (`paramGroups[g].betas[1]`). */
export const FIELD_NAMES: Readonly<Record<HyperField, string>> = Object.freeze({
  [HyperField.Lr]: 'lr',
  [HyperField.Beta1]: 'betas[0]',
  [HyperField.Beta2]: 'betas[1]',
  [HyperField.Eps]: 'eps',
  [HyperField.WeightDecay]: 'weightDecay',
  [HyperField.Amsgrad]: 'amsgrad',
  [HyperField.Maximize]: 'maximize',
  [HyperField.DecoupledWeightDecay]: 'decoupledWeightDecay',
});

/** The error for a hyperparameter Rust found outside its rule. */
export function hyperparameterError(where: string, prefix: string, field: HyperField, rule: number, value: unknown): RangeError {
  return rangeError(where, `${prefix}${FIELD_NAMES[field]}`, ruleText(rule), value);
}

/** A number that follows its field's range rule, which is Rust's (adam-core `Rule`): asked, not retyped. */
function checkHyperparameter(where: string, prefix: string, field: HyperField, value: unknown): number {
  checkNumber(where, `${prefix}${FIELD_NAMES[field]}`, value);
  const rule = brokenRule(field, value as number);
  if (rule !== undefined) throw hyperparameterError(where, prefix, field, rule, value);
  return value as number;
}

/** The parameters of a group input, checked to be live, distinct Parameters not in `taken`. */
export function collectParams(where: string, field: string, params: unknown, taken: ReadonlySet<Parameter>): Parameter[] {
  if (params === null || typeof params !== 'object' || typeof (params as Iterable<unknown>)[Symbol.iterator] !== 'function') {
    throw typeError(where, field, 'an iterable of Parameters', params);
  }
  const list = [...(params as Iterable<unknown>)];
  const seen = new Set<Parameter>();
  list.forEach((p, i) => {
    if (!(p instanceof Parameter)) throw typeError(where, `${field}[${i}]`, 'a Parameter', p);
    if (p.disposed) throw new TypeError(`${where}: ${field}[${i}] (${p.label}) was disposed`);
    if (seen.has(p) || taken.has(p)) {
      throw new TypeError(`${where}: ${field}[${i}] (${p.label}) appears more than once; a parameter can be in only one group`);
    }
    seen.add(p);
  });
  return list as Parameter[];
}
