import { checkBoolean, checkNonNegative, checkUnitInterval, typeError, rangeError } from './errors.js';
import { Parameter } from './parameter.js';

/** Adam's options, as `torch.optim.Adam` names them (camelCase). All optional. */
export interface AdamOptions {
  /** Learning rate. Default `1e-3`. */
  lr?: number;
  /** Decay rates of the first and second moment estimates. Default `[0.9, 0.999]`. */
  betas?: readonly [number, number];
  /** Added to the bias-corrected `sqrt(v)`. Default `1e-8` (note: TensorFlow.js defaults to 1e-7). */
  eps?: number;
  /** L2 penalty added to the gradient (PyTorch `Adam`, not AdamW's decoupled decay). Default `0`. */
  weightDecay?: number;
  /** Use the running maximum of the second moment (AMSGrad). Default `false`. */
  amsgrad?: boolean;
  /** Maximize the objective instead of minimizing it. Default `false`. */
  maximize?: boolean;
}

/** The resolved hyperparameters of a group. */
export interface Hyperparameters {
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
  maximize: boolean;
}

/** A parameter group as passed to the constructor or {@link Adam.addParamGroup}. */
export interface ParamGroupInput extends AdamOptions {
  params: Iterable<Parameter>;
}

/**
 * A live parameter group (`opt.paramGroups[i]`). Change its hyperparameters between steps, as
 * schedulers do with `group.lr`; they are validated at the next `step()`. Extra keys you add
 * (e.g. `initialLr`) are kept, and saved by `stateDict()`.
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
});

const OPTION_KEYS = new Set(['lr', 'betas', 'eps', 'weightDecay', 'amsgrad', 'maximize']);

/**
 * Validates `options` field by field (prefix names the place, e.g. `paramGroups[1].`) and fills
 * missing ones from `defaults`. `allowExtra` lets param groups carry extra keys.
 */
export function resolveHyperparameters(
  where: string,
  prefix: string,
  options: unknown,
  defaults: Readonly<Hyperparameters>,
  allowExtra: boolean,
): Hyperparameters & Record<string, unknown> {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw typeError(where, prefix === '' ? 'options' : prefix.slice(0, -1), 'an object', options);
  }
  const o = options as Record<string, unknown>;
  const extra: Record<string, unknown> = {};
  for (const key of Object.keys(o)) {
    if (OPTION_KEYS.has(key) || key === 'params') continue;
    if (!allowExtra) throw typeError(where, `${prefix}${key}`, `one of ${[...OPTION_KEYS].join(', ')}`, key);
    extra[key] = o[key];
  }
  const pick = (key: string) => (o[key] === undefined ? defaults[key as keyof Hyperparameters] : o[key]);
  const betas = pick('betas');
  if (!Array.isArray(betas)) throw typeError(where, `${prefix}betas`, 'an array [beta1, beta2]', betas);
  if (betas.length !== 2) throw rangeError(where, `${prefix}betas.length`, '2', betas.length);
  return {
    ...extra,
    lr: checkNonNegative(where, `${prefix}lr`, pick('lr')),
    betas: [checkUnitInterval(where, `${prefix}betas[0]`, betas[0]), checkUnitInterval(where, `${prefix}betas[1]`, betas[1])],
    eps: checkNonNegative(where, `${prefix}eps`, pick('eps')),
    weightDecay: checkNonNegative(where, `${prefix}weightDecay`, pick('weightDecay')),
    amsgrad: checkBoolean(where, `${prefix}amsgrad`, pick('amsgrad')),
    maximize: checkBoolean(where, `${prefix}maximize`, pick('maximize')),
  };
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
