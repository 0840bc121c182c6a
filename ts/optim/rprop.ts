import type { Parameter } from '../nn/parameter.js';
import { Optimizer, type OptimizerOptions, type RowWriter } from './optimizer.js';
import type { ParamGroupInput } from './param-groups.js';
import type { StateDict } from './state-dict.js';

/** Rprop's options for a group (torch's names in camelCase, torch 2.15's defaults). All optional. */
export interface RpropGroupOptions {
  /** Every element's first step size, `>= 0`. Default `1e-2` (used when a state is created). */
  lr?: number;
  /** `[etaminus, etaplus]`: how a step size shrinks when the gradient's sign flips and grows when it holds; `0 < etaminus < 1 < etaplus`. Default `[0.5, 1.2]`. */
  etas?: readonly [number, number];
  /** `[min, max]`: the bounds of the step sizes. Default `[1e-6, 50]`. */
  stepSizes?: readonly [number, number];
  /** Maximize the objective instead of minimizing it. Default `false`. */
  maximize?: boolean;
}

/** The hyperparameters of a Rprop group, resolved. */
export type RpropHyperparameters = Required<RpropGroupOptions> & {
  /** `[etaminus, etaplus]`, as a pair. */
  etas: [number, number];
  /** `[min, max]` step sizes, as a pair. */
  stepSizes: [number, number];
};

/** Rprop's options: defaults for every group, and the optimizer's own options. */
export type RpropOptions = RpropGroupOptions & OptimizerOptions;

/** One parameter's saved Rprop state: torch's `state[p]` with camelCase keys. */
export interface RpropParamState {
  /** Steps this parameter has taken. */
  step: number;
  /** The gradient of the previous step (0 where its sign flipped). */
  prev: Float32Array;
  /** Each element's step size. */
  stepSize: Float32Array;
}

/** What {@link Rprop.stateDict} returns. */
export type RpropStateDict = StateDict<RpropHyperparameters, RpropParamState>;

/**
 * Rprop, as `torch.optim.Rprop` computes it (single-tensor path), stepping every parameter of
 * every group in one WebAssembly call, operation by operation, bit for bit:
 *
 * ```text
 * s = sign(g * prev)
 * stepSize = clamp(stepSize * (s > 0 ? etaplus : s < 0 ? etaminus : 1), min, max)
 * where s < 0: g = 0
 * p = p - sign(g) * stepSize;  prev = g
 * ```
 *
 * Meant for full-batch training, as torch says. A NaN gradient leaves its element where it is
 * (`sign(NaN)` is 0 in torch).
 *
 * Owns WebAssembly memory (the optimizer state): call {@link Optimizer.dispose} when done.
 *
 * @example
 * ```ts
 * await init();
 * const w = new Parameter([1, 2, 3]);
 * const opt = new Rprop([w], { lr: 1e-2 });
 * w.grad = [0.5, -0.5, 0];
 * opt.step();
 * ```
 */
export class Rprop extends Optimizer<RpropHyperparameters, RpropParamState, RpropGroupOptions> {
  /** @internal torch's name of the class: the algorithm it runs (its spec's name). */
  static override readonly torchName: string = 'Rprop';

  /** @internal */
  static override readonly writeRow: RowWriter<RpropHyperparameters> = (group, row, at, s) => {
    const { lr, etas, stepSizes, maximize } = group;
    if (!Array.isArray(etas) || etas.length !== 2) return false;
    if (!Array.isArray(stepSizes) || stepSizes.length !== 2) return false;
    const etaminus = etas[0];
    const etaplus = etas[1];
    const stepSizeMin = stepSizes[0];
    const stepSizeMax = stepSizes[1];
    if (
      typeof lr !== 'number' ||
      typeof etaminus !== 'number' ||
      typeof etaplus !== 'number' ||
      typeof stepSizeMin !== 'number' ||
      typeof stepSizeMax !== 'number' ||
      typeof maximize !== 'boolean'
    ) {
      return false;
    }
    row[at + s.lr] = lr;
    row[at + s.etas] = etaminus;
    row[at + s.etas + 1] = etaplus;
    row[at + s.stepSizes] = stepSizeMin;
    row[at + s.stepSizes + 1] = stepSizeMax;
    row[at + s.maximize] = maximize ? 1 : 0;
    return true;
  };

  /**
   * @param params the parameters (one group), or a list of groups `{ params, ...options }`
   * @param options defaults for every group (torch's defaults otherwise), and the optimizer's own options
   */
  constructor(params: Iterable<Parameter> | Iterable<ParamGroupInput<RpropGroupOptions>>, options: RpropOptions = {}) {
    super(params, options);
  }
}
