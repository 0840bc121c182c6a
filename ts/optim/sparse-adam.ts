import type { Parameter } from '../nn/parameter.js';
import { rangeError } from '../runtime/errors.js';
import { Optimizer, type OptimizerOptions, type RowWriter } from './optimizer.js';
import type { ParamGroupInput } from './param-groups.js';
import type { StateDict } from './state-dict.js';

/** SparseAdam's options for a group (torch's names in camelCase, torch 2.15's defaults). All optional. */
export interface SparseAdamGroupOptions {
  /** Learning rate, `> 0`. Default `1e-3`. */
  lr?: number;
  /** Coefficients of the running averages of the gradient and its square, each in `[0, 1)`. Default `[0.9, 0.999]`. */
  betas?: readonly [number, number];
  /** Added to `sqrt(v)` before dividing, `> 0`. Default `1e-8`. */
  eps?: number;
  /** Maximize the objective instead of minimizing it. Default `false`. */
  maximize?: boolean;
}

/** The hyperparameters of a SparseAdam group, resolved. */
export type SparseAdamHyperparameters = Required<SparseAdamGroupOptions> & {
  /** The running averages' coefficients `[beta1, beta2]`, as a pair. */
  betas: [number, number];
};

/** SparseAdam's options: defaults for every group, and the optimizer's own options. */
export type SparseAdamOptions = SparseAdamGroupOptions & OptimizerOptions;

/** One parameter's saved SparseAdam state: torch's `state[p]` with camelCase keys. */
export interface SparseAdamParamState {
  /** Steps taken (torch's `step`, a Python int). */
  step: number;
  /** The running average of the gradient, over the whole parameter (torch's `exp_avg`). */
  expAvg: Float32Array;
  /** The running average of its square (torch's `exp_avg_sq`). */
  expAvgSq: Float32Array;
}

/** What {@link SparseAdam.stateDict} returns. */
export type SparseAdamStateDict = StateDict<SparseAdamHyperparameters, SparseAdamParamState>;

/**
 * SparseAdam, as `torch.optim.SparseAdam` computes it, bit for bit: Adam on the rows of the
 * first dimension that a sparse gradient touches (an embedding's looked-up rows), the other rows
 * and their moments left as they are:
 *
 * ```text
 * g = sum of the values given for a row (torch's coalesce), negated with maximize
 * m[row] += (g - m[row]) * (1 - beta1);  v[row] += (g² - v[row]) * (1 - beta2)
 * p[row] += -(lr * sqrt(1 - beta2^step) / (1 - beta1^step)) * m[row] / (sqrt(v[row]) + eps)
 * ```
 *
 * It takes only sparse gradients, `p.grad = { indices, values }` ({@link SparseGrad}), and refuses
 * a dense one, as torch does; every other optimizer refuses a sparse one. Its state's `step` is a
 * Python int in torch's state dict, and counts steps whose gradient had no rows, as torch's does.
 *
 * Owns WebAssembly memory (the optimizer state): call {@link Optimizer.dispose} when done.
 *
 * @example
 * ```ts
 * await init();
 * const embedding = new Parameter(new Float32Array(1000 * 16), { shape: [1000, 16] });
 * const opt = new SparseAdam([embedding], { lr: 1e-2 });
 * embedding.grad = { indices: [3, 17], values: new Float32Array(2 * 16).fill(0.5) };
 * opt.step();
 * ```
 */
export class SparseAdam extends Optimizer<SparseAdamHyperparameters, SparseAdamParamState, SparseAdamGroupOptions> {
  /** @internal torch's name of the class: the algorithm it runs (its spec's name). */
  static override readonly torchName: string = 'SparseAdam';

  /** @internal */
  static override readonly writeRow: RowWriter<SparseAdamHyperparameters> = (group, row, at, s) => {
    const { lr, betas, eps, maximize } = group;
    if (!Array.isArray(betas) || betas.length !== 2) return false;
    const beta1 = betas[0];
    const beta2 = betas[1];
    if (typeof lr !== 'number' || typeof beta1 !== 'number' || typeof beta2 !== 'number' || typeof eps !== 'number' || typeof maximize !== 'boolean') {
      return false;
    }
    row[at + s.lr] = lr;
    row[at + s.betas] = beta1;
    row[at + s.betas + 1] = beta2;
    row[at + s.eps] = eps;
    row[at + s.maximize] = maximize ? 1 : 0;
    return true;
  };

  /**
   * @param params the parameters (one group), or a list of groups `{ params, ...options }`
   * @param options defaults for every group (torch's defaults otherwise), and the optimizer's own options
   */
  constructor(params: Iterable<Parameter> | Iterable<ParamGroupInput<SparseAdamGroupOptions>>, options: SparseAdamOptions = {}) {
    // torch's constructor refuses its own lr of 0 ("Invalid learning rate: 0.0") but no group's:
    // every group, and a scheduler, may set 0 (the spec's rule, lr >= 0, covers the rest).
    if ((options as { lr?: unknown } | null)?.lr === 0) {
      throw rangeError('SparseAdam', 'lr', 'a finite number > 0 in the constructor\'s options (torch: "Invalid learning rate: 0.0"; a group\'s lr may be 0)', 0);
    }
    super(params, options);
  }
}
