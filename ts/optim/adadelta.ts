import type { Parameter } from '../nn/parameter.js';
import { Optimizer, type OptimizerOptions, type RowWriter } from './optimizer.js';
import type { ParamGroupInput } from './param-groups.js';
import type { StateDict } from './state-dict.js';

/** Adadelta's options for a group (torch's names in camelCase, torch 2.15's defaults). All optional. */
export interface AdadeltaGroupOptions {
  /** Scales the delta before it is applied, `>= 0`. Default `1`. */
  lr?: number;
  /** Decay of the running averages, in `[0, 1]`. Default `0.9`. */
  rho?: number;
  /** Added inside both roots, `>= 0`. Default `1e-6`. */
  eps?: number;
  /** L2 penalty added to the gradient (`g + weightDecay * p`), `>= 0`. Default `0`. */
  weightDecay?: number;
  /** Maximize the objective instead of minimizing it. Default `false`. */
  maximize?: boolean;
}

/** The hyperparameters of a Adadelta group, resolved. */
export type AdadeltaHyperparameters = Required<AdadeltaGroupOptions>;

/** Adadelta's options: defaults for every group, and the optimizer's own options. */
export type AdadeltaOptions = AdadeltaGroupOptions & OptimizerOptions;

/** One parameter's saved Adadelta state: torch's `state[p]` with camelCase keys. */
export interface AdadeltaParamState {
  /** Steps this parameter has taken. */
  step: number;
  /** Running average of the squared gradient. */
  squareAvg: Float32Array;
  /** Running average of the squared updates. */
  accDelta: Float32Array;
}

/** What {@link Adadelta.stateDict} returns. */
export type AdadeltaStateDict = StateDict<AdadeltaHyperparameters, AdadeltaParamState>;

/**
 * Adadelta, as `torch.optim.Adadelta` computes it (single-tensor path), stepping every parameter of
 * every group in one WebAssembly call, operation by operation, bit for bit:
 *
 * ```text
 * g = maximize ? -grad : grad
 * if weightDecay != 0: g = g + weightDecay * p
 * squareAvg = rho * squareAvg + (1 - rho) * g * g
 * delta = sqrt(accDelta + eps) / sqrt(squareAvg + eps) * g
 * accDelta = rho * accDelta + (1 - rho) * delta * delta
 * p = p - lr * delta
 * ```
 *
 * Owns WebAssembly memory (the optimizer state): call {@link Optimizer.dispose} when done.
 *
 * @example
 * ```ts
 * await init();
 * const w = new Parameter([1, 2, 3]);
 * const opt = new Adadelta([w], { rho: 0.95 });
 * w.grad = [0.5, -0.5, 0];
 * opt.step();
 * ```
 */
export class Adadelta extends Optimizer<AdadeltaHyperparameters, AdadeltaParamState, AdadeltaGroupOptions> {
  /** @internal torch's name of the class: the algorithm it runs (its spec's name). */
  static override readonly torchName: string = 'Adadelta';

  /** @internal */
  static override readonly writeRow: RowWriter<AdadeltaHyperparameters> = (group, row, at, s) => {
    const { lr, rho, eps, weightDecay, maximize } = group;
    if (
      typeof lr !== 'number' ||
      typeof rho !== 'number' ||
      typeof eps !== 'number' ||
      typeof weightDecay !== 'number' ||
      typeof maximize !== 'boolean'
    ) {
      return false;
    }
    row[at + s.lr] = lr;
    row[at + s.rho] = rho;
    row[at + s.eps] = eps;
    row[at + s.weightDecay] = weightDecay;
    row[at + s.maximize] = maximize ? 1 : 0;
    return true;
  };

  /**
   * @param params the parameters (one group), or a list of groups `{ params, ...options }`
   * @param options defaults for every group (torch's defaults otherwise), and the optimizer's own options
   */
  constructor(params: Iterable<Parameter> | Iterable<ParamGroupInput<AdadeltaGroupOptions>>, options: AdadeltaOptions = {}) {
    super(params, options);
  }
}
