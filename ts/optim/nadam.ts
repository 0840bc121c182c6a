import type { Parameter } from '../nn/parameter.js';
import { Optimizer, type OptimizerOptions, type RowWriter } from './optimizer.js';
import type { ParamGroupInput } from './param-groups.js';
import type { StateDict } from './state-dict.js';

/** NAdam's options for a group (torch's names in camelCase, torch 2.15's defaults). All optional. */
export interface NAdamGroupOptions {
  /** Learning rate, `>= 0`. Default `2e-3`. */
  lr?: number;
  /** Decay of the first and second moments, each in `[0, 1)`. Default `[0.9, 0.999]`. `OneCycleLR` cycles `betas[0]`. */
  betas?: readonly [number, number];
  /** Added to the bias-corrected root before dividing, `>= 0`. Default `1e-8`. */
  eps?: number;
  /** Weight decay, `>= 0`: an L2 penalty added to the gradient, or with `decoupledWeightDecay` a decay of the parameter (`p * (1 - lr * weightDecay)`). Default `0`. */
  weightDecay?: number;
  /** Decay of the momentum schedule, `>= 0`. Default `4e-3`. */
  momentumDecay?: number;
  /** Decouple the weight decay, as AdamW does (NAdamW). Default `false`. */
  decoupledWeightDecay?: boolean;
  /** Maximize the objective instead of minimizing it. Default `false`. */
  maximize?: boolean;
}

/** The hyperparameters of a NAdam group, resolved. */
export type NAdamHyperparameters = Required<NAdamGroupOptions> & {
  /** The running averages' coefficients `[beta1, beta2]`, as a pair. */
  betas: [number, number];
};

/** NAdam's options: defaults for every group, and the optimizer's own options. */
export type NAdamOptions = NAdamGroupOptions & OptimizerOptions;

/** One parameter's saved NAdam state: torch's `state[p]` with camelCase keys. */
export interface NAdamParamState {
  /** Steps this parameter has taken. */
  step: number;
  /** The product of the momentum schedule's `mu` so far (a float32, as torch keeps it). */
  muProduct: number;
  /** First moment estimate. */
  expAvg: Float32Array;
  /** Second moment estimate. */
  expAvgSq: Float32Array;
}

/** What {@link NAdam.stateDict} returns. */
export type NAdamStateDict = StateDict<NAdamHyperparameters, NAdamParamState>;

/**
 * NAdam, as `torch.optim.NAdam` computes it (single-tensor path), stepping every parameter of
 * every group in one WebAssembly call, operation by operation, bit for bit:
 *
 * ```text
 * mu_t = beta1 * (1 - 0.5 * 0.96^(t * momentumDecay));  muProduct = muProduct * mu_t
 * expAvg = lerp(expAvg, g, 1 - beta1);  expAvgSq = beta2 * expAvgSq + (1 - beta2) * g * g
 * denom = sqrt(expAvgSq / (1 - beta2^t)) + eps
 * p = p - lr * (1 - mu_t) / (1 - muProduct) * g / denom
 *       - lr * mu_{t+1} / (1 - muProduct * mu_{t+1}) * expAvg / denom
 * ```
 *
 * Owns WebAssembly memory (the optimizer state): call {@link Optimizer.dispose} when done.
 *
 * @example
 * ```ts
 * await init();
 * const w = new Parameter([1, 2, 3]);
 * const opt = new NAdam([w], { lr: 2e-3, weightDecay: 1e-2, decoupledWeightDecay: true });
 * w.grad = [0.5, -0.5, 0];
 * opt.step();
 * ```
 */
export class NAdam extends Optimizer<NAdamHyperparameters, NAdamParamState, NAdamGroupOptions> {
  /** @internal torch's name of the class: the algorithm it runs (its spec's name). */
  static override readonly torchName: string = 'NAdam';

  /** @internal */
  static override readonly writeRow: RowWriter<NAdamHyperparameters> = (group, row, at, s) => {
    const { lr, betas, eps, weightDecay, momentumDecay, decoupledWeightDecay, maximize } = group;
    if (!Array.isArray(betas) || betas.length !== 2) return false;
    const beta1 = betas[0];
    const beta2 = betas[1];
    if (
      typeof lr !== 'number' ||
      typeof beta1 !== 'number' ||
      typeof beta2 !== 'number' ||
      typeof eps !== 'number' ||
      typeof weightDecay !== 'number' ||
      typeof momentumDecay !== 'number' ||
      typeof decoupledWeightDecay !== 'boolean' ||
      typeof maximize !== 'boolean'
    ) {
      return false;
    }
    row[at + s.lr] = lr;
    row[at + s.betas] = beta1;
    row[at + s.betas + 1] = beta2;
    row[at + s.eps] = eps;
    row[at + s.weightDecay] = weightDecay;
    row[at + s.momentumDecay] = momentumDecay;
    row[at + s.decoupledWeightDecay] = decoupledWeightDecay ? 1 : 0;
    row[at + s.maximize] = maximize ? 1 : 0;
    return true;
  };

  /**
   * @param params the parameters (one group), or a list of groups `{ params, ...options }`
   * @param options defaults for every group (torch's defaults otherwise), and the optimizer's own options
   */
  constructor(params: Iterable<Parameter> | Iterable<ParamGroupInput<NAdamGroupOptions>>, options: NAdamOptions = {}) {
    super(params, options);
  }
}
