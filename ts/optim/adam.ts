import type { Parameter } from '../nn/parameter.js';
import { Optimizer, type OptimizerOptions, type RowWriter } from './optimizer.js';
import type { ParamGroupInput } from './param-groups.js';
import type { StateDict } from './state-dict.js';

/** Adam's options for a group (torch's names in camelCase, torch 2.15's defaults). All optional. */
export interface AdamGroupOptions {
  /** Learning rate. Default `1e-3`. */
  lr?: number;
  /** Decay rates of the first and second moment estimates, each in `[0, 1)`. Default `[0.9, 0.999]`. */
  betas?: readonly [number, number];
  /** Added to the bias-corrected `sqrt(v)`. Default `1e-8` (note: TensorFlow.js defaults to 1e-7). */
  eps?: number;
  /**
   * Weight decay: an L2 penalty added to the gradient (`g + weightDecay * p`, PyTorch `Adam`), or
   * with {@link AdamGroupOptions.decoupledWeightDecay} AdamW's decay of the parameter. Default `0`
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

/** The hyperparameters of an Adam group, resolved. */
export type AdamHyperparameters = Required<AdamGroupOptions> & {
  /** The running averages' coefficients `[beta1, beta2]`, as a pair. */
  betas: [number, number];
};

/** Adam's options: defaults for every group, and the optimizer's own options. */
export type AdamOptions = AdamGroupOptions & OptimizerOptions;

/** One parameter's saved Adam state: torch's `state[p]` with camelCase keys. */
export interface AdamParamState {
  /** Steps this parameter has taken. */
  step: number;
  /** First moment estimate. */
  expAvg: Float32Array;
  /** Second moment estimate. */
  expAvgSq: Float32Array;
  /** Running maximum of the raw second moment; present when the group uses AMSGrad. */
  maxExpAvgSq?: Float32Array;
}

/** What {@link Adam.stateDict} returns (and `AdamW`'s). */
export type AdamStateDict = StateDict<AdamHyperparameters, AdamParamState>;

/**
 * Adam, as `torch.optim.Adam` computes it (single-tensor path), stepping every parameter of every
 * group in one WebAssembly call: `exp_avg.lerp_(g, 1 - beta1)`,
 * `exp_avg_sq.mul_(beta2).addcmul_(g, g, 1 - beta2)`, then
 * `p.addcdiv_(exp_avg, sqrt(exp_avg_sq) / sqrt(bias_correction2) + eps, -lr / bias_correction1)`,
 * operation by operation, bit for bit.
 *
 * Owns WebAssembly memory (the optimizer state): call {@link Optimizer.dispose} when done (a
 * `FinalizationRegistry` frees it eventually if you forget).
 *
 * @example
 * ```ts
 * await init();
 * const w = new Parameter([1, 2, 3]);
 * const opt = new Adam([w], { lr: 0.1 });
 * w.grad = [0.5, -0.5, 0];
 * opt.step();
 * ```
 */
export class Adam extends Optimizer<AdamHyperparameters, AdamParamState, AdamGroupOptions> {
  /** @internal torch's name of the class: the algorithm it runs (its spec's name). */
  static override readonly torchName: string = 'Adam';

  /**
   * @internal Dicts saved before lucid-optim had `decoupledWeightDecay` load with `false`, as torch's
   * `Adam.__setstate__` defaults `decoupled_weight_decay` to False (and AdamW then sets it).
   */
  static override readonly optionalOnLoad: readonly string[] = ['decoupledWeightDecay'];

  /** @internal */
  static override readonly writeRow: RowWriter<AdamHyperparameters> = (group, row, at, s) => {
    const { lr, betas, eps, weightDecay, amsgrad, maximize, decoupledWeightDecay } = group;
    if (!Array.isArray(betas) || betas.length !== 2) return false;
    // Read into locals straight from the array (not merged with another type), so that V8 keeps
    // them unboxed.
    const beta1 = betas[0];
    const beta2 = betas[1];
    if (
      typeof lr !== 'number' ||
      typeof beta1 !== 'number' ||
      typeof beta2 !== 'number' ||
      typeof eps !== 'number' ||
      typeof weightDecay !== 'number' ||
      typeof amsgrad !== 'boolean' ||
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
    row[at + s.amsgrad] = amsgrad ? 1 : 0;
    row[at + s.maximize] = maximize ? 1 : 0;
    row[at + s.decoupledWeightDecay] = decoupledWeightDecay ? 1 : 0;
    return true;
  };

  /**
   * @param params the parameters (one group), or a list of groups `{ params, ...options }`
   * @param options defaults for every group (torch's defaults otherwise), and the optimizer's own options
   */
  constructor(params: Iterable<Parameter> | Iterable<ParamGroupInput<AdamGroupOptions>>, options: AdamOptions = {}) {
    super(params, options);
  }
}
