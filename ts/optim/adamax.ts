import type { Parameter } from '../nn/parameter.js';
import { Optimizer, type OptimizerOptions, type RowWriter } from './optimizer.js';
import type { ParamGroupInput } from './param-groups.js';
import type { StateDict } from './state-dict.js';

/** Adamax's options for a group (torch's names in camelCase, torch 2.15's defaults). All optional. */
export interface AdamaxGroupOptions {
  /** Learning rate, `>= 0`. Default `2e-3`. */
  lr?: number;
  /** Decay of the first moment and of the infinity norm, each in `[0, 1)`. Default `[0.9, 0.999]`. `OneCycleLR` cycles `betas[0]`. */
  betas?: readonly [number, number];
  /** Added to `|g|` before the maximum, `>= 0`. Default `1e-8`. */
  eps?: number;
  /** L2 penalty added to the gradient (`g + weightDecay * p`), `>= 0`. Default `0`. */
  weightDecay?: number;
  /** Maximize the objective instead of minimizing it. Default `false`. */
  maximize?: boolean;
}

/** The hyperparameters of a Adamax group, resolved. */
export type AdamaxHyperparameters = Required<AdamaxGroupOptions> & {
  /** The running averages' coefficients `[beta1, beta2]`, as a pair. */
  betas: [number, number];
};

/** Adamax's options: defaults for every group, and the optimizer's own options. */
export type AdamaxOptions = AdamaxGroupOptions & OptimizerOptions;

/** One parameter's saved Adamax state: torch's `state[p]` with camelCase keys. */
export interface AdamaxParamState {
  /** Steps this parameter has taken. */
  step: number;
  /** First moment estimate. */
  expAvg: Float32Array;
  /** Exponentially weighted infinity norm. */
  expInf: Float32Array;
}

/** What {@link Adamax.stateDict} returns. */
export type AdamaxStateDict = StateDict<AdamaxHyperparameters, AdamaxParamState>;

/**
 * Adamax, as `torch.optim.Adamax` computes it (single-tensor path), stepping every parameter of
 * every group in one WebAssembly call, operation by operation, bit for bit:
 *
 * ```text
 * g = maximize ? -grad : grad
 * if weightDecay != 0: g = g + weightDecay * p
 * expAvg = lerp(expAvg, g, 1 - beta1)
 * expInf = max(beta2 * expInf, |g| + eps)
 * p = p - lr / (1 - beta1^step) * expAvg / expInf
 * ```
 *
 * Owns WebAssembly memory (the optimizer state): call {@link Optimizer.dispose} when done.
 *
 * @example
 * ```ts
 * await init();
 * const w = new Parameter([1, 2, 3]);
 * const opt = new Adamax([w], { lr: 2e-3, betas: [0.9, 0.999] });
 * w.grad = [0.5, -0.5, 0];
 * opt.step();
 * ```
 */
export class Adamax extends Optimizer<AdamaxHyperparameters, AdamaxParamState, AdamaxGroupOptions> {
  /** @internal torch's name of the class: the algorithm it runs (its spec's name). */
  static override readonly torchName: string = 'Adamax';

  /** @internal */
  static override readonly writeRow: RowWriter<AdamaxHyperparameters> = (group, row, at, s) => {
    const { lr, betas, eps, weightDecay, maximize } = group;
    if (!Array.isArray(betas) || betas.length !== 2) return false;
    const beta1 = betas[0];
    const beta2 = betas[1];
    if (
      typeof lr !== 'number' ||
      typeof beta1 !== 'number' ||
      typeof beta2 !== 'number' ||
      typeof eps !== 'number' ||
      typeof weightDecay !== 'number' ||
      typeof maximize !== 'boolean'
    ) {
      return false;
    }
    row[at + s.lr] = lr;
    row[at + s.betas] = beta1;
    row[at + s.betas + 1] = beta2;
    row[at + s.eps] = eps;
    row[at + s.weightDecay] = weightDecay;
    row[at + s.maximize] = maximize ? 1 : 0;
    return true;
  };

  /**
   * @param params the parameters (one group), or a list of groups `{ params, ...options }`
   * @param options defaults for every group (torch's defaults otherwise), and the optimizer's own options
   */
  constructor(params: Iterable<Parameter> | Iterable<ParamGroupInput<AdamaxGroupOptions>>, options: AdamaxOptions = {}) {
    super(params, options);
  }
}
