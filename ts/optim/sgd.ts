import type { Parameter } from '../nn/parameter.js';
import { Optimizer, type OptimizerOptions, type RowWriter } from './optimizer.js';
import type { ParamGroupInput } from './param-groups.js';
import type { StateDict } from './state-dict.js';

/** SGD's options for a group (torch's names in camelCase, torch 2.15's defaults). All optional. */
export interface SGDGroupOptions {
  /** Learning rate, `>= 0`. Default `1e-3`. */
  lr?: number;
  /** Momentum factor, `>= 0`. Default `0`: plain SGD, and no state at all (as in torch). */
  momentum?: number;
  /** Dampening of the gradient's share in the momentum buffer: `buf = momentum * buf + (1 - dampening) * g`. Default `0`. */
  dampening?: number;
  /** L2 penalty added to the gradient (`g + weightDecay * p`), `>= 0`. Default `0`. */
  weightDecay?: number;
  /** Nesterov momentum: the step is `g + momentum * buf`. Needs `momentum > 0` and `dampening` 0. Default `false`. */
  nesterov?: boolean;
  /** Maximize the objective instead of minimizing it. Default `false`. */
  maximize?: boolean;
}

/** The hyperparameters of an SGD group, resolved. */
export type SGDHyperparameters = Required<SGDGroupOptions>;

/** SGD's options: defaults for every group, and the optimizer's own options. */
export type SGDOptions = SGDGroupOptions & OptimizerOptions;

/** One parameter's saved SGD state: torch's `state[p]` with camelCase keys (none while momentum is 0). */
export interface SGDParamState {
  /** The momentum buffer (torch's `momentum_buffer`); absent, its next step starts it from the gradient. */
  momentumBuffer?: Float32Array;
}

/** What {@link SGD.stateDict} returns. */
export type SGDStateDict = StateDict<SGDHyperparameters, SGDParamState>;

/**
 * Stochastic gradient descent, optionally with momentum, as `torch.optim.SGD` computes it
 * (single-tensor path), stepping every parameter of every group in one WebAssembly call, bit for
 * bit:
 *
 * ```text
 * g = maximize ? -grad : grad
 * if weightDecay != 0: g = g + weightDecay * p
 * if momentum != 0:
 *   buf = (first step with momentum) ? g : momentum * buf + (1 - dampening) * g
 *   g = nesterov ? g + momentum * buf : buf
 * p = p - lr * g
 * ```
 *
 * As torch's, it keeps no state while `momentum` is 0, and the state is only `momentumBuffer`:
 * its `stateDict()` has no `step`. `OneCycleLR` cycles its `momentum`, as torch's does.
 *
 * Owns WebAssembly memory (the optimizer state): call {@link Optimizer.dispose} when done.
 *
 * @example
 * ```ts
 * await init();
 * const w = new Parameter([1, 2, 3]);
 * const opt = new SGD([w], { lr: 0.1, momentum: 0.9, nesterov: true });
 * w.grad = [0.5, -0.5, 0];
 * opt.step();
 * ```
 */
export class SGD extends Optimizer<SGDHyperparameters, SGDParamState, SGDGroupOptions> {
  /** @internal torch's name of the class: the algorithm it runs (its spec's name). */
  static override readonly torchName: string = 'SGD';

  /** @internal */
  static override readonly writeRow: RowWriter<SGDHyperparameters> = (group, row, at, s) => {
    const { lr, momentum, dampening, weightDecay, nesterov, maximize } = group;
    if (
      typeof lr !== 'number' ||
      typeof momentum !== 'number' ||
      typeof dampening !== 'number' ||
      typeof weightDecay !== 'number' ||
      typeof nesterov !== 'boolean' ||
      typeof maximize !== 'boolean'
    ) {
      return false;
    }
    row[at + s.lr] = lr;
    row[at + s.momentum] = momentum;
    row[at + s.dampening] = dampening;
    row[at + s.weightDecay] = weightDecay;
    row[at + s.nesterov] = nesterov ? 1 : 0;
    row[at + s.maximize] = maximize ? 1 : 0;
    return true;
  };

  /**
   * @param params the parameters (one group), or a list of groups `{ params, ...options }`
   * @param options defaults for every group (torch's defaults otherwise), and the optimizer's own options
   */
  constructor(params: Iterable<Parameter> | Iterable<ParamGroupInput<SGDGroupOptions>>, options: SGDOptions = {}) {
    super(params, options);
  }
}
