import type { Parameter } from '../nn/parameter.js';
import { Optimizer, type OptimizerOptions, type RowWriter } from './optimizer.js';
import type { ParamGroupInput } from './param-groups.js';
import type { StateDict } from './state-dict.js';

/** RMSprop's options for a group (torch's names in camelCase, torch 2.15's defaults). All optional. */
export interface RMSpropGroupOptions {
  /** Learning rate, `>= 0`. Default `1e-2`. */
  lr?: number;
  /** Momentum factor, `>= 0`. Default `0` (no momentum buffer). `OneCycleLR` cycles it. */
  momentum?: number;
  /** Smoothing constant of the squared-gradient average (`squareAvg = alpha * squareAvg + (1 - alpha) * g²`), `>= 0`. Default `0.99`. */
  alpha?: number;
  /** Added to the root of the average before dividing, `>= 0`. Default `1e-8`. */
  eps?: number;
  /** Normalize by an estimate of the variance (`squareAvg - gradAvg²`) instead of the second moment. Default `false`. */
  centered?: boolean;
  /** L2 penalty added to the gradient (`g + weightDecay * p`), `>= 0`. Default `0`. */
  weightDecay?: number;
  /** Maximize the objective instead of minimizing it. Default `false`. */
  maximize?: boolean;
}

/** The hyperparameters of a RMSprop group, resolved. */
export type RMSpropHyperparameters = Required<RMSpropGroupOptions>;

/** RMSprop's options: defaults for every group, and the optimizer's own options. */
export type RMSpropOptions = RMSpropGroupOptions & OptimizerOptions;

/** One parameter's saved RMSprop state: torch's `state[p]` with camelCase keys. */
export interface RMSpropParamState {
  /** Steps this parameter has taken. */
  step: number;
  /** Running average of the squared gradient. */
  squareAvg: Float32Array;
  /** The momentum buffer; present while the group has `momentum > 0`. */
  momentumBuffer?: Float32Array;
  /** Running average of the gradient; present while the group is `centered`. */
  gradAvg?: Float32Array;
}

/** What {@link RMSprop.stateDict} returns. */
export type RMSpropStateDict = StateDict<RMSpropHyperparameters, RMSpropParamState>;

/**
 * RMSprop, as `torch.optim.RMSprop` computes it (single-tensor path), stepping every parameter of
 * every group in one WebAssembly call, operation by operation, bit for bit:
 *
 * ```text
 * g = maximize ? -grad : grad
 * if weightDecay != 0: g = g + weightDecay * p
 * squareAvg = alpha * squareAvg + (1 - alpha) * g * g
 * avg = centered ? sqrt(squareAvg - gradAvg²) + eps   (gradAvg = lerp(gradAvg, g, 1 - alpha))
 *                : sqrt(squareAvg) + eps
 * momentum > 0 ? (buf = momentum * buf + g / avg;  p = p - lr * buf)
 *              : p = p - lr * g / avg
 * ```
 *
 * A buffer a group starts using after the state exists (momentum or `centered` switched on later)
 * starts at zeros; torch raises a `KeyError` there.
 *
 * Owns WebAssembly memory (the optimizer state): call {@link Optimizer.dispose} when done.
 *
 * @example
 * ```ts
 * await init();
 * const w = new Parameter([1, 2, 3]);
 * const opt = new RMSprop([w], { lr: 1e-2, momentum: 0.9, centered: true });
 * w.grad = [0.5, -0.5, 0];
 * opt.step();
 * ```
 */
export class RMSprop extends Optimizer<RMSpropHyperparameters, RMSpropParamState, RMSpropGroupOptions> {
  /** @internal torch's name of the class: the algorithm it runs (its spec's name). */
  static override readonly torchName: string = 'RMSprop';

  /** @internal */
  static override readonly writeRow: RowWriter<RMSpropHyperparameters> = (group, row, at, s) => {
    const { lr, momentum, alpha, eps, centered, weightDecay, maximize } = group;
    if (
      typeof lr !== 'number' ||
      typeof momentum !== 'number' ||
      typeof alpha !== 'number' ||
      typeof eps !== 'number' ||
      typeof centered !== 'boolean' ||
      typeof weightDecay !== 'number' ||
      typeof maximize !== 'boolean'
    ) {
      return false;
    }
    row[at + s.lr] = lr;
    row[at + s.momentum] = momentum;
    row[at + s.alpha] = alpha;
    row[at + s.eps] = eps;
    row[at + s.centered] = centered ? 1 : 0;
    row[at + s.weightDecay] = weightDecay;
    row[at + s.maximize] = maximize ? 1 : 0;
    return true;
  };

  /**
   * @param params the parameters (one group), or a list of groups `{ params, ...options }`
   * @param options defaults for every group (torch's defaults otherwise), and the optimizer's own options
   */
  constructor(params: Iterable<Parameter> | Iterable<ParamGroupInput<RMSpropGroupOptions>>, options: RMSpropOptions = {}) {
    super(params, options);
  }
}
