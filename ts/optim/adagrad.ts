import type { Parameter } from '../nn/parameter.js';
import { Optimizer, type OptimizerOptions, type RowWriter } from './optimizer.js';
import type { ParamGroupInput } from './param-groups.js';
import type { StateDict } from './state-dict.js';

/** Adagrad's options for a group (torch's names in camelCase, torch 2.15's defaults). All optional. */
export interface AdagradGroupOptions {
  /** Learning rate, `>= 0`. Default `1e-2`. */
  lr?: number;
  /** Learning-rate decay, `>= 0`: step `t` uses `lr / (1 + (t - 1) * lrDecay)`. Default `0`. */
  lrDecay?: number;
  /** Added to the root of the accumulated squares before dividing, `>= 0`. Default `1e-10`. */
  eps?: number;
  /** L2 penalty added to the gradient (`g + weightDecay * p`), `>= 0`. Default `0`. */
  weightDecay?: number;
  /** What `sum` starts at, `>= 0`. Default `0`. As in torch, every state starts from the constructor's value (the optimizer's `defaults`), whatever a group says. */
  initialAccumulatorValue?: number;
  /** Maximize the objective instead of minimizing it. Default `false`. */
  maximize?: boolean;
}

/** The hyperparameters of a Adagrad group, resolved. */
export type AdagradHyperparameters = Required<AdagradGroupOptions>;

/** Adagrad's options: defaults for every group, and the optimizer's own options. */
export type AdagradOptions = AdagradGroupOptions & OptimizerOptions;

/** One parameter's saved Adagrad state: torch's `state[p]` with camelCase keys. */
export interface AdagradParamState {
  /** Steps this parameter has taken (0 from the constructor on). */
  step: number;
  /** The accumulated squared gradients. */
  sum: Float32Array;
}

/** What {@link Adagrad.stateDict} returns. */
export type AdagradStateDict = StateDict<AdagradHyperparameters, AdagradParamState>;

/**
 * Adagrad, as `torch.optim.Adagrad` computes it (single-tensor path), stepping every parameter of
 * every group in one WebAssembly call, operation by operation, bit for bit:
 *
 * ```text
 * g = maximize ? -grad : grad
 * if weightDecay != 0: g = g + weightDecay * p
 * clr = lr / (1 + (step - 1) * lrDecay)
 * sum = sum + g * g
 * p = p - clr * g / (sqrt(sum) + eps)
 * ```
 *
 * As torch's, the constructor creates every parameter's state (`step` 0, `sum` filled with
 * `initialAccumulatorValue`): `stateDict()` lists every parameter from the start. A parameter
 * added later (`addParamGroup`, `addParams`) gets its state at its first step.
 *
 * Owns WebAssembly memory (the optimizer state): call {@link Optimizer.dispose} when done.
 *
 * @example
 * ```ts
 * await init();
 * const w = new Parameter([1, 2, 3]);
 * const opt = new Adagrad([w], { lr: 0.1, initialAccumulatorValue: 0.1 });
 * w.grad = [0.5, -0.5, 0];
 * opt.step();
 * ```
 */
export class Adagrad extends Optimizer<AdagradHyperparameters, AdagradParamState, AdagradGroupOptions> {
  /** @internal torch's name of the class: the algorithm it runs (its spec's name). */
  static override readonly torchName: string = 'Adagrad';

  /** @internal */
  static override readonly writeRow: RowWriter<AdagradHyperparameters> = (group, row, at, s) => {
    const { lr, lrDecay, eps, weightDecay, initialAccumulatorValue, maximize } = group;
    if (
      typeof lr !== 'number' ||
      typeof lrDecay !== 'number' ||
      typeof eps !== 'number' ||
      typeof weightDecay !== 'number' ||
      typeof initialAccumulatorValue !== 'number' ||
      typeof maximize !== 'boolean'
    ) {
      return false;
    }
    row[at + s.lr] = lr;
    row[at + s.lrDecay] = lrDecay;
    row[at + s.eps] = eps;
    row[at + s.weightDecay] = weightDecay;
    row[at + s.initialAccumulatorValue] = initialAccumulatorValue;
    row[at + s.maximize] = maximize ? 1 : 0;
    return true;
  };

  /**
   * @param params the parameters (one group), or a list of groups `{ params, ...options }`
   * @param options defaults for every group (torch's defaults otherwise), and the optimizer's own options
   */
  constructor(params: Iterable<Parameter> | Iterable<ParamGroupInput<AdagradGroupOptions>>, options: AdagradOptions = {}) {
    super(params, options);
  }
}
