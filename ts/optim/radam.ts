import type { Parameter } from '../nn/parameter.js';
import { Optimizer, type OptimizerOptions, type RowWriter } from './optimizer.js';
import type { ParamGroupInput } from './param-groups.js';
import type { StateDict } from './state-dict.js';

/** RAdam's options for a group (torch's names in camelCase, torch 2.15's defaults). All optional. */
export interface RAdamGroupOptions {
  /** Learning rate, `>= 0`. Default `1e-3`. */
  lr?: number;
  /** Decay of the first and second moments, each in `[0, 1)`. Default `[0.9, 0.999]`. `OneCycleLR` cycles `betas[0]`. */
  betas?: readonly [number, number];
  /** Added to the root of the second moment before dividing, `>= 0`. Default `1e-8`. */
  eps?: number;
  /** Weight decay, `>= 0`: an L2 penalty added to the gradient, or with `decoupledWeightDecay` a decay of the parameter (`p * (1 - lr * weightDecay)`). Default `0`. */
  weightDecay?: number;
  /** Maximize the objective instead of minimizing it. Default `false`. */
  maximize?: boolean;
  /** Decouple the weight decay, as AdamW does. Default `false`. */
  decoupledWeightDecay?: boolean;
}

/** The hyperparameters of a RAdam group, resolved. */
export type RAdamHyperparameters = Required<RAdamGroupOptions> & {
  /** The running averages' coefficients `[beta1, beta2]`, as a pair. */
  betas: [number, number];
};

/** RAdam's options: defaults for every group, and the optimizer's own options. */
export type RAdamOptions = RAdamGroupOptions & OptimizerOptions;

/** One parameter's saved RAdam state: torch's `state[p]` with camelCase keys. */
export interface RAdamParamState {
  /** Steps this parameter has taken. */
  step: number;
  /** First moment estimate. */
  expAvg: Float32Array;
  /** Second moment estimate. */
  expAvgSq: Float32Array;
}

/** What {@link RAdam.stateDict} returns. */
export type RAdamStateDict = StateDict<RAdamHyperparameters, RAdamParamState>;

/**
 * RAdam, as `torch.optim.RAdam` computes it (single-tensor path), stepping every parameter of
 * every group in one WebAssembly call, operation by operation, bit for bit:
 *
 * ```text
 * expAvg = lerp(expAvg, g, 1 - beta1);  expAvgSq = beta2 * expAvgSq + (1 - beta2) * g * g
 * rho_inf = 2 / (1 - beta2) - 1;  rho_t = rho_inf - 2 t beta2^t / (1 - beta2^t)
 * rho_t > 5 ? p = p - expAvg / (1 - beta1^t) * lr * sqrt(1 - beta2^t) / (sqrt(expAvgSq) + eps) * rect_t
 *           : p = p - expAvg / (1 - beta1^t) * lr
 * ```
 *
 * With the default `beta2` the first five steps are unrectified (plain momentum SGD), as in torch.
 *
 * Owns WebAssembly memory (the optimizer state): call {@link Optimizer.dispose} when done.
 *
 * @example
 * ```ts
 * await init();
 * const w = new Parameter([1, 2, 3]);
 * const opt = new RAdam([w], { lr: 1e-3 });
 * w.grad = [0.5, -0.5, 0];
 * opt.step();
 * ```
 */
export class RAdam extends Optimizer<RAdamHyperparameters, RAdamParamState, RAdamGroupOptions> {
  /** @internal torch's name of the class: the algorithm it runs (its spec's name). */
  static override readonly torchName: string = 'RAdam';

  /** @internal */
  static override readonly writeRow: RowWriter<RAdamHyperparameters> = (group, row, at, s) => {
    const { lr, betas, eps, weightDecay, maximize, decoupledWeightDecay } = group;
    if (!Array.isArray(betas) || betas.length !== 2) return false;
    const beta1 = betas[0];
    const beta2 = betas[1];
    if (
      typeof lr !== 'number' ||
      typeof beta1 !== 'number' ||
      typeof beta2 !== 'number' ||
      typeof eps !== 'number' ||
      typeof weightDecay !== 'number' ||
      typeof maximize !== 'boolean' ||
      typeof decoupledWeightDecay !== 'boolean'
    ) {
      return false;
    }
    row[at + s.lr] = lr;
    row[at + s.betas] = beta1;
    row[at + s.betas + 1] = beta2;
    row[at + s.eps] = eps;
    row[at + s.weightDecay] = weightDecay;
    row[at + s.maximize] = maximize ? 1 : 0;
    row[at + s.decoupledWeightDecay] = decoupledWeightDecay ? 1 : 0;
    return true;
  };

  /**
   * @param params the parameters (one group), or a list of groups `{ params, ...options }`
   * @param options defaults for every group (torch's defaults otherwise), and the optimizer's own options
   */
  constructor(params: Iterable<Parameter> | Iterable<ParamGroupInput<RAdamGroupOptions>>, options: RAdamOptions = {}) {
    super(params, options);
  }
}
