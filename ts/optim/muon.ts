import type { Parameter } from '../nn/parameter.js';
import { Optimizer, type OptimizerOptions, type RowWriter } from './optimizer.js';
import type { ParamGroupInput } from './param-groups.js';
import { specOf } from './spec.js';
import type { StateDict } from './state-dict.js';

/** How Muon scales its learning rate by the matrix's shape (torch's `adjust_lr_fn`; `null` is torch's None, which means `'original'`). */
export type MuonAdjustLrFn = null | 'original' | 'match_rms_adamw' | 'spectral_unclamped';

/** Muon's options for a group (torch's names in camelCase, torch 2.15's defaults). All optional. */
export interface MuonGroupOptions {
  /** Learning rate, `>= 0`. Default `1e-3`. */
  lr?: number;
  /** Decoupled weight decay, `>= 0`: each step first multiplies the parameter by `1 - lr * weightDecay`. Default `0.1`. */
  weightDecay?: number;
  /** Momentum factor, `>= 0`. Default `0.95`. */
  momentum?: number;
  /** Nesterov momentum: orthogonalize `grad.lerp(buf, momentum)` instead of the buffer. Default `true`. */
  nesterov?: boolean;
  /** The Newton–Schulz quintic's coefficients `[a, b, c]`. Default `[3.4445, -4.775, 2.0315]`. */
  nsCoefficients?: readonly [number, number, number];
  /** The smallest norm the update is divided by before the iteration. Default `1e-7`. */
  eps?: number;
  /** Newton–Schulz iterations, an integer in `[0, 99]`. Default `5`. */
  nsSteps?: number;
  /**
   * The learning-rate scale by the `[A, B]` shape: `null` or `'original'`: `sqrt(max(1, A / B))`;
   * `'match_rms_adamw'`: `0.2 * sqrt(max(A, B))`; `'spectral_unclamped'`: `sqrt(A / B)`. Default `null`.
   */
  adjustLrFn?: MuonAdjustLrFn;
}

/** The hyperparameters of a Muon group, resolved. */
export type MuonHyperparameters = Required<MuonGroupOptions>;

/** Muon's options: defaults for every group, and the optimizer's own options. */
export type MuonOptions = MuonGroupOptions & OptimizerOptions;

/** One parameter's saved Muon state: torch's `state[p]` with camelCase keys. */
export interface MuonParamState {
  /** The momentum buffer (torch's `momentum_buffer`). */
  momentumBuffer: Float32Array;
}

/** What {@link Muon.stateDict} returns. */
export type MuonStateDict = StateDict<MuonHyperparameters, MuonParamState>;

/** The index of `adjustLrFn` among the choices Rust's spec lists (-1: not one of them). */
let adjustLrFns: readonly (string | null)[] | undefined;
function adjustLrFnIndex(value: unknown): number {
  adjustLrFns ??= specOf('Muon', 'Muon').options.find((f) => f.kind === 'choice')!.choices;
  return adjustLrFns.indexOf(value as string | null);
}

/**
 * Muon, as `torch.optim.Muon` computes it (single-tensor path): momentum, then the update
 * orthogonalized by a quintic Newton–Schulz iteration, for matrices only (2-D Parameters: give
 * them `{ shape: [rows, cols] }`; optimize biases and embeddings with another optimizer, such as
 * AdamW, as torch's documentation says):
 *
 * ```text
 * buf = buf.lerp(grad, 1 - momentum)
 * u = nesterov ? grad.lerp(buf, momentum) : buf
 * X = u / max(||u||, eps), transposed if rows > cols
 * nsSteps times: A = X Xᵀ;  B = b A + c A A;  X = a X + B X
 * p = p * (1 - lr * weightDecay) - adjustedLr * X
 * ```
 *
 * The momentum buffer is torch's bit for bit. torch runs the iteration in bfloat16; lucid-optim
 * runs it in float32 on a blocked SIMD matrix product, so the parameters are close to torch's,
 * not its bits: the measured distance is in `docs/fidelity.md`, and `test/optim/muon.test.ts`
 * bounds it against real-torch fixtures. The state is only `momentumBuffer`: no `step`.
 *
 * Owns WebAssembly memory (the optimizer state, and the iteration's scratch matrices, sized by
 * the largest parameter): call {@link Optimizer.dispose} when done.
 *
 * @example
 * ```ts
 * await init();
 * const w = new Parameter(new Float32Array(6), { shape: [2, 3] });
 * const opt = new Muon([w], { lr: 0.02 });
 * w.grad = [0.5, -0.5, 0.25, 1, 0, -1];
 * opt.step();
 * ```
 */
export class Muon extends Optimizer<MuonHyperparameters, MuonParamState, MuonGroupOptions> {
  /** @internal torch's name of the class: the algorithm it runs (its spec's name). */
  static override readonly torchName: string = 'Muon';

  /** @internal */
  static override readonly writeRow: RowWriter<MuonHyperparameters> = (group, row, at, s) => {
    const { lr, weightDecay, momentum, nesterov, nsCoefficients, eps, nsSteps, adjustLrFn } = group;
    if (!Array.isArray(nsCoefficients) || nsCoefficients.length !== 3) return false;
    const a = nsCoefficients[0];
    const b = nsCoefficients[1];
    const c = nsCoefficients[2];
    const adjust = adjustLrFnIndex(adjustLrFn);
    if (
      typeof lr !== 'number' ||
      typeof weightDecay !== 'number' ||
      typeof momentum !== 'number' ||
      typeof nesterov !== 'boolean' ||
      typeof a !== 'number' ||
      typeof b !== 'number' ||
      typeof c !== 'number' ||
      typeof eps !== 'number' ||
      typeof nsSteps !== 'number' ||
      adjust < 0
    ) {
      return false;
    }
    row[at + s.lr] = lr;
    row[at + s.weightDecay] = weightDecay;
    row[at + s.momentum] = momentum;
    row[at + s.nesterov] = nesterov ? 1 : 0;
    row[at + s.nsCoefficients] = a;
    row[at + s.nsCoefficients + 1] = b;
    row[at + s.nsCoefficients + 2] = c;
    row[at + s.eps] = eps;
    row[at + s.nsSteps] = nsSteps;
    row[at + s.adjustLrFn] = adjust;
    return true;
  };

  /**
   * @param params the parameters (one group), or a list of groups `{ params, ...options }`; every
   *   parameter 2-D
   * @param options defaults for every group (torch's defaults otherwise), and the optimizer's own options
   */
  constructor(params: Iterable<Parameter> | Iterable<ParamGroupInput<MuonGroupOptions>>, options: MuonOptions = {}) {
    super(params, options);
  }
}
