import type { Parameter } from '../nn/parameter.js';
import { Optimizer, type OptimizerOptions, type RowWriter } from './optimizer.js';
import type { ParamGroupInput } from './param-groups.js';
import type { StateDict } from './state-dict.js';

/** ASGD's options for a group (torch's names in camelCase, torch 2.15's defaults). All optional. */
export interface ASGDGroupOptions {
  /** Learning rate, `>= 0`. Default `1e-2`. */
  lr?: number;
  /** Decay term, `>= 0`. Default `1e-4`. */
  lambd?: number;
  /** Power of the learning rate's decay, `>= 0`. Default `0.75`. */
  alpha?: number;
  /** The step after which parameters are averaged (into `ax`). Default `1e6`. */
  t0?: number;
  /** L2 penalty added to the gradient (`g + weightDecay * p`), `>= 0`. Default `0`. */
  weightDecay?: number;
  /** Maximize the objective instead of minimizing it. Default `false`. */
  maximize?: boolean;
}

/** The hyperparameters of a ASGD group, resolved. */
export type ASGDHyperparameters = Required<ASGDGroupOptions>;

/** ASGD's options: defaults for every group, and the optimizer's own options. */
export type ASGDOptions = ASGDGroupOptions & OptimizerOptions;

/** One parameter's saved ASGD state: torch's `state[p]` with camelCase keys. */
export interface ASGDParamState {
  /** Steps this parameter has taken. */
  step: number;
  /** This step's learning rate (a float32, as torch keeps it; the group's `lr` at first). */
  eta: number;
  /** This step's averaging weight (a float32; 1 until step `t0`). */
  mu: number;
  /** The averaged parameter. */
  ax: Float32Array;
}

/** What {@link ASGD.stateDict} returns. */
export type ASGDStateDict = StateDict<ASGDHyperparameters, ASGDParamState>;

/**
 * ASGD, as `torch.optim.ASGD` computes it (single-tensor path), stepping every parameter of
 * every group in one WebAssembly call, operation by operation, bit for bit:
 *
 * ```text
 * g = maximize ? -grad : grad
 * if weightDecay != 0: g = g + weightDecay * p
 * p = p * (1 - lambd * eta) - eta * g
 * ax = mu != 1 ? ax + (p - ax) * mu : p
 * eta = lr / (1 + lambd * lr * step)^alpha;  mu = 1 / max(1, step - t0)
 * ```
 *
 * The averaged parameters are in the state (`stateDict().state[i].ax`), as in torch.
 *
 * Owns WebAssembly memory (the optimizer state): call {@link Optimizer.dispose} when done.
 *
 * @example
 * ```ts
 * await init();
 * const w = new Parameter([1, 2, 3]);
 * const opt = new ASGD([w], { lr: 1e-2, t0: 100 });
 * w.grad = [0.5, -0.5, 0];
 * opt.step();
 * ```
 */
export class ASGD extends Optimizer<ASGDHyperparameters, ASGDParamState, ASGDGroupOptions> {
  /** @internal torch's name of the class: the algorithm it runs (its spec's name). */
  static override readonly torchName: string = 'ASGD';

  /** @internal */
  static override readonly writeRow: RowWriter<ASGDHyperparameters> = (group, row, at, s) => {
    const { lr, lambd, alpha, t0, weightDecay, maximize } = group;
    if (
      typeof lr !== 'number' ||
      typeof lambd !== 'number' ||
      typeof alpha !== 'number' ||
      typeof t0 !== 'number' ||
      typeof weightDecay !== 'number' ||
      typeof maximize !== 'boolean'
    ) {
      return false;
    }
    row[at + s.lr] = lr;
    row[at + s.lambd] = lambd;
    row[at + s.alpha] = alpha;
    row[at + s.t0] = t0;
    row[at + s.weightDecay] = weightDecay;
    row[at + s.maximize] = maximize ? 1 : 0;
    return true;
  };

  /**
   * @param params the parameters (one group), or a list of groups `{ params, ...options }`
   * @param options defaults for every group (torch's defaults otherwise), and the optimizer's own options
   */
  constructor(params: Iterable<Parameter> | Iterable<ParamGroupInput<ASGDGroupOptions>>, options: ASGDOptions = {}) {
    super(params, options);
  }
}
