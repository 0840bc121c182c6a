import type { Parameter } from '../nn/parameter.js';
import { Adam, type AdamGroupOptions, type AdamOptions } from './adam.js';
import type { ParamGroupInput } from './param-groups.js';

/**
 * AdamW's options: Adam's, without `decoupledWeightDecay` (always `true`), and with AdamW's
 * default `weightDecay: 1e-2`.
 */
export type AdamWOptions = Omit<AdamOptions, 'decoupledWeightDecay'>;

/**
 * AdamW, as `torch.optim.AdamW` computes it: torch 2.x's `Adam` with `decoupled_weight_decay=True`.
 * Each step first multiplies every parameter by `1 - lr * weightDecay` (the scalar computed in
 * float64, as Python computes it, then rounded to float32, as `param.mul_` rounds it), then takes
 * Adam's step on the raw gradient: the weight decay never enters the gradient or the moments.
 * Defaults are torch's: `lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 1e-2, amsgrad: false,
 * maximize: false`.
 *
 * It is {@link Adam} in every other respect (groups, `stateDict`, the non-finite guard, `dispose`),
 * and behaves as `new Adam(params, { decoupledWeightDecay: true, weightDecay: 1e-2 })`: the two
 * step bit for bit alike, and each loads the other's state dicts, as in torch. Its groups
 * carry `decoupledWeightDecay: true`; like torch's `AdamW`, it takes no `decoupledWeightDecay`
 * option, refuses groups with `decoupledWeightDecay: false`, and sets it to `true` on every group it
 * loads. Errors start with `AdamW`.
 *
 * Owns WebAssembly memory (the optimizer state): call {@link Optimizer.dispose} when done.
 *
 * @example
 * ```ts
 * await init();
 * const w = new Parameter([1, 2, 3]);
 * const opt = new AdamW([w], { lr: 1e-3, weightDecay: 1e-2 });
 * w.grad = [0.5, -0.5, 0];
 * opt.step(); // w *= 1 - 1e-3 * 1e-2, then Adam's update
 * ```
 */
export class AdamW extends Adam {
  /** @internal torch's name of the class: the algorithm it runs (its spec's name). */
  static override readonly torchName: string = 'AdamW';
  /** @internal */
  static override readonly fixedHint: string = 'AdamW always decouples weight decay; use Adam for L2 weight decay';

  /**
   * @param params the parameters (one group), or a list of groups `{ params, ...options }`
   * @param options defaults for every group (torch's AdamW defaults otherwise), and the optimizer's own options
   */
  constructor(params: Iterable<Parameter> | Iterable<ParamGroupInput<AdamGroupOptions>>, options: AdamWOptions = {}) {
    super(params, options);
  }
}
