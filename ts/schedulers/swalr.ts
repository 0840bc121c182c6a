// torch.optim.swa_utils.SWALR (torch 2.x): __init__, _cosine_anneal, _linear_anneal,
// _get_initial_lr, get_lr(), state_dict() and load_state_dict().

import { typeError } from '../runtime/errors.js';
import { checkInteger } from '../runtime/validate.js';
import { LRScheduler, checkOptimizer, type LRSchedulerState, type SchedulableOptimizer } from './lr-scheduler.js';
import { checkChoice, checkRate, given, perGroup, readOptions } from './options.js';
import { PY, PY_X, cosInPlace } from './python-math.js';

/** How SWALR moves from the optimizer's lr to `swaLr`. */
export type SWAAnnealStrategy = 'cos' | 'linear';

/** Options of {@link SWALR}, as torch's (camelCase). */
export interface SWALROptions {
  /** The learning rate to anneal to: one for all groups or one per group. Required. */
  swaLr: number | readonly number[];
  /** Epochs of the anneal (0: `swaLr` from the first step). Default `10`. */
  annealEpochs?: number;
  /** `'cos'` (default) or `'linear'`. */
  annealStrategy?: SWAAnnealStrategy;
}

/** {@link SWALR.stateDict} (torch's `anneal_epochs`, `_anneal_strategy`, and the base scheduler's). */
export interface SWALRState extends LRSchedulerState {
  /** Steps of the anneal to the SWA lr (torch's `anneal_epochs`). */
  annealEpochs: number;
  /** `'cos'` or `'linear'` (torch's `anneal_func`). */
  annealStrategy: SWAAnnealStrategy;
}

const KEYS = ['swaLr', 'annealEpochs', 'annealStrategy'] as const;
const STATE_KEYS = ['annealEpochs', 'annealStrategy'] as const;
const STRATEGIES: readonly SWAAnnealStrategy[] = ['cos', 'linear'];

/**
 * The learning rate of stochastic weight averaging, as torch's `SWALR`: anneals each group's
 * learning rate to `swaLr` over `annealEpochs` steps (along a half cosine, or linearly), then keeps
 * it there. Creating it writes `swaLr` into each group (torch's `swa_lr`). Use it with an
 * averaged copy of the weights, updated after each step of the SWA phase.
 *
 * @example
 * ```ts
 * const swa = new SWALR(opt, { swaLr: 0.05, annealEpochs: 5 });
 * for (let epoch = 0; epoch < 20; epoch++) { trainEpoch(); swa.step(); }
 * ```
 */
export class SWALR extends LRScheduler {
  #annealEpochs: number;
  #annealStrategy: SWAAnnealStrategy;

  constructor(optimizer: SchedulableOptimizer, options: SWALROptions) {
    const where = 'SWALR';
    checkOptimizer(where, optimizer);
    const o = readOptions(where, 'options', options, KEYS);
    const groups = optimizer.paramGroups;
    const swaLrs = perGroup(where, 'swaLr', o.swaLr, groups.length, (f, v) => checkRate(where, f, v));
    // torch: "anneal_strategy must be one of 'cos' or 'linear', instead got {anneal_strategy}" (ValueError)
    const annealStrategy = checkChoice(where, 'annealStrategy', given(o.annealStrategy, 'cos'), STRATEGIES);
    // torch: "anneal_epochs must be equal or greater than 0, got {anneal_epochs}" (ValueError)
    const annealEpochs = checkInteger(where, 'annealEpochs', given(o.annealEpochs, 10), 0);
    super(where, optimizer);
    this.#annealEpochs = annealEpochs;
    this.#annealStrategy = annealStrategy;
    this.initialize(() => groups.forEach((group, g) => (group.swaLr = swaLrs[g])));
  }

  protected computeLr(where: string, out: Float64Array): void {
    const groups = this.optimizer.paramGroups;
    const annealEpochs = this.#annealEpochs;
    let step = this._stepCount - 1;
    if (annealEpochs === 0) step = Math.max(1, step);
    const span = Math.max(1, annealEpochs);
    // torch's `anneal_func` of the previous and of this step's t: `_linear_anneal` (t) or
    // `_cosine_anneal` (`(1 - math.cos(math.pi * t)) / 2`; the cosine through python-math's
    // registers, so that a step allocates nothing).
    let prevAlpha = Math.max(0, Math.min(1, (step - 1) / span));
    let alpha = Math.max(0, Math.min(1, step / span));
    if (this.#annealStrategy === 'cos') {
      PY[PY_X] = Math.PI * prevAlpha;
      cosInPlace();
      prevAlpha = (1 - PY[PY_X]) / 2;
      PY[PY_X] = Math.PI * alpha;
      cosInPlace();
      alpha = (1 - PY[PY_X]) / 2;
    }
    for (let g = 0; g < out.length; g++) {
      const swaLr = groups[g].swaLr;
      if (typeof swaLr !== 'number') throw typeError(where, `optimizer.paramGroups[${g}].swaLr`, 'a number', swaLr);
      // _get_initial_lr: the lr before annealing, from this one and the previous step's alpha
      const lr = prevAlpha === 1 ? swaLr : (groups[g].lr - prevAlpha * swaLr) / (1 - prevAlpha);
      out[g] = swaLr * alpha + lr * (1 - alpha);
    }
  }

  override stateDict(): SWALRState {
    return super.stateDict() as SWALRState;
  }

  override loadStateDict(stateDict: SWALRState): void {
    super.loadStateDict(stateDict);
  }

  protected ownState(): Record<string, unknown> {
    return { annealEpochs: this.#annealEpochs, annealStrategy: this.#annealStrategy };
  }

  protected ownStateKeys(): readonly string[] {
    return STATE_KEYS;
  }

  protected checkOwnState(where: string, field: string, o: Record<string, unknown>): () => void {
    const annealEpochs = checkInteger(where, `${field}.annealEpochs`, o.annealEpochs, 0);
    const annealStrategy = checkChoice(where, `${field}.annealStrategy`, o.annealStrategy, STRATEGIES);
    return () => {
      this.#annealEpochs = annealEpochs;
      this.#annealStrategy = annealStrategy;
    };
  }
}
