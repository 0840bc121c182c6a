import type { Parameter } from '../nn/parameter.js';
import { Optimizer, type OptimizerOptions, type RowWriter } from './optimizer.js';
import type { ParamGroupInput } from './param-groups.js';
import type { StateDict } from './state-dict.js';

/** Adafactor's options for a group (torch's names in camelCase, torch 2.15's defaults). All optional. */
export interface AdafactorGroupOptions {
  /** Learning rate, `>= 0`: the cap of the relative step size `min(lr, 1 / sqrt(step))`. Default `1e-2`. */
  lr?: number;
  /** The second moment's decay exponent, `<= 0`: its weight at step t is `t ** beta2Decay`. Default `-0.8`. */
  beta2Decay?: number;
  /**
   * `[eps1, eps2]`: the smallest variance estimate (squared), `null` for float32's machine epsilon
   * (torch's None); the smallest parameter scale. Default `[null, 1e-3]`.
   */
  eps?: readonly [number | null, number];
  /** The update clipping threshold, `>= 1`. Default `1`. */
  d?: number;
  /** Decoupled weight decay, `>= 0`: the parameter is first multiplied by `1 - lr * weightDecay`. Default `0`. */
  weightDecay?: number;
  /** Maximize the objective instead of minimizing it. Default `false`. */
  maximize?: boolean;
}

/** The hyperparameters of an Adafactor group, resolved. */
export type AdafactorHyperparameters = Required<AdafactorGroupOptions>;

/** Adafactor's options: defaults for every group, and the optimizer's own options. */
export type AdafactorOptions = AdafactorGroupOptions & OptimizerOptions;

/**
 * One parameter's saved Adafactor state: torch's `state[p]` with camelCase keys. A parameter of 2
 * or more dimensions has `rowVar` and `colVar` (its shape with the last, or the second-to-last,
 * dimension 1, row-major); any other has `variance`.
 */
export interface AdafactorParamState {
  /** Steps taken (torch's `step`). */
  step: number;
  /** The factored second moment's row means: the shape with its last dimension 1 (torch's `row_var`). */
  rowVar?: Float32Array;
  /** Its column means: the shape with its second-to-last dimension 1 (torch's `col_var`). */
  colVar?: Float32Array;
  /** The full second moment, for fewer than 2 dimensions (torch's `variance`). */
  variance?: Float32Array;
}

/** What {@link Adafactor.stateDict} returns. */
export type AdafactorStateDict = StateDict<AdafactorHyperparameters, AdafactorParamState>;

/**
 * Adafactor, as `torch.optim.Adafactor` computes it (single-tensor path): the second moment of a
 * parameter of 2 or more dimensions is factored into the means of its rows and of its columns
 * (over the last two dimensions), with a relative step size and update clipping:
 *
 * ```text
 * rho = min(lr, 1 / sqrt(step));  alpha = max(eps2, rms(p)) * rho;  w = step ** beta2Decay
 * p = p * (1 - lr * weightDecay)
 * matrix: rowVar = lerp(rowVar, mean(g², cols), w);  colVar = lerp(colVar, mean(g², rows), w)
 *         v = rowVar ⊗ colVar / max(mean(rowVar), eps1)
 * other:  variance = lerp(variance, g², w);  v = variance
 * u = g / sqrt(max(v, eps1²));  p = p - alpha / max(1, rms(u) / d) * u
 * ```
 *
 * Give each Parameter its shape (`new Parameter(values, { shape })`): a 1-D parameter keeps a full
 * `variance`. The element-wise operations are torch's; the norms and means are sums, which
 * lucid-optim adds in float64 and torch in float32, so the parameters are within a measured bound
 * of torch's rather than its bits (`docs/fidelity.md`).
 *
 * Owns WebAssembly memory (the optimizer state): call {@link Optimizer.dispose} when done.
 *
 * @example
 * ```ts
 * await init();
 * const w = new Parameter(new Float32Array(6).fill(0.5), { shape: [2, 3] });
 * const opt = new Adafactor([w], { lr: 1e-2 });
 * w.grad = [0.5, -0.5, 0.25, 1, 0, -1];
 * opt.step();
 * ```
 */
export class Adafactor extends Optimizer<AdafactorHyperparameters, AdafactorParamState, AdafactorGroupOptions> {
  /** @internal torch's name of the class: the algorithm it runs (its spec's name). */
  static override readonly torchName: string = 'Adafactor';

  /** @internal */
  static override readonly writeRow: RowWriter<AdafactorHyperparameters> = (group, row, at, s) => {
    const { lr, beta2Decay, eps, d, weightDecay, maximize } = group;
    if (!Array.isArray(eps) || eps.length !== 2) return false;
    const eps1 = eps[0];
    const eps2 = eps[1];
    if (
      typeof lr !== 'number' ||
      typeof beta2Decay !== 'number' ||
      // null is torch's None, which the row holds as NaN; a NaN number would pass for it.
      !(eps1 === null || (typeof eps1 === 'number' && eps1 === eps1)) ||
      typeof eps2 !== 'number' ||
      typeof d !== 'number' ||
      typeof weightDecay !== 'number' ||
      typeof maximize !== 'boolean'
    ) {
      return false;
    }
    row[at + s.lr] = lr;
    row[at + s.beta2Decay] = beta2Decay;
    row[at + s.eps] = eps1 === null ? NaN : eps1;
    row[at + s.eps + 1] = eps2;
    row[at + s.d] = d;
    row[at + s.weightDecay] = weightDecay;
    row[at + s.maximize] = maximize ? 1 : 0;
    return true;
  };

  /**
   * @param params the parameters (one group), or a list of groups `{ params, ...options }`
   * @param options defaults for every group (torch's defaults otherwise), and the optimizer's own options
   */
  constructor(params: Iterable<Parameter> | Iterable<ParamGroupInput<AdafactorGroupOptions>>, options: AdafactorOptions = {}) {
    super(params, options);
  }
}
