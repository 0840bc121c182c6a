// torch.optim.lr_scheduler.MultiStepLR (torch 2.x): get_lr() and _get_closed_form_lr().

import { rangeError } from '../runtime/errors.js';
import { checkInteger } from '../runtime/validate.js';
import { LRScheduler, checkOptimizer, type LRSchedulerState, type SchedulableOptimizer } from './lr-scheduler.js';
import { checkArray, checkRate, given, readOptions } from './options.js';
import { PY, PY_X, PY_Y, powInPlace } from './python-math.js';

/** Options of {@link MultiStepLR}, as torch's (camelCase). */
export interface MultiStepLROptions {
  /**
   * Epochs at which to decay, increasing. Required. A repeated epoch decays by `gamma` once per
   * occurrence, as torch counts them (`Counter(milestones)`).
   */
  milestones: readonly number[];
  /** Multiplicative factor of learning-rate decay. Default `0.1`. */
  gamma?: number;
}

/** {@link MultiStepLR.stateDict}. */
export interface MultiStepLRState extends LRSchedulerState {
  /** The steps at which the lr decays, ascending (torch's `milestones`, a Counter there). */
  milestones: number[];
  /** The factor of each decay (torch's `gamma`). */
  gamma: number;
}

const KEYS = ['milestones', 'gamma'] as const;

function checkMilestones(where: string, field: string, value: unknown): Int32Array {
  const milestones = checkArray(where, field, value, undefined, (f, m) => checkInteger(where, f, m, 0, 2 ** 31 - 1));
  milestones.forEach((m, i) => {
    if (i > 0 && m < milestones[i - 1]) {
      throw rangeError(where, `${field}[${i}]`, `at least ${field}[${i - 1}] (${milestones[i - 1]}): milestones must be increasing`, m);
    }
  });
  return Int32Array.from(milestones);
}

/**
 * Multiplies each group's learning rate by `gamma` once the epoch reaches each milestone.
 *
 * @example
 * ```ts
 * const sched = new MultiStepLR(opt, { milestones: [30, 80], gamma: 0.1 }); // 0.05, then 0.005 at 30, 0.0005 at 80
 * ```
 */
export class MultiStepLR extends LRScheduler {
  #milestones: Int32Array;
  #gamma: number;

  constructor(optimizer: SchedulableOptimizer, options: MultiStepLROptions) {
    const where = 'MultiStepLR';
    checkOptimizer(where, optimizer);
    const o = readOptions(where, 'options', options, KEYS);
    const milestones = checkMilestones(where, 'milestones', o.milestones);
    const gamma = checkRate(where, 'gamma', given(o.gamma, 0.1));
    super(where, optimizer);
    this.#milestones = milestones;
    this.#gamma = gamma;
    this.initialize();
  }

  protected computeLr(where: string, out: Float64Array): void {
    const groups = this.optimizer.paramGroups;
    // `self.milestones[self.last_epoch]`: how many times the epoch is a milestone.
    let count = 0;
    for (const m of this.#milestones) if (m === this._lastEpoch) count++;
    // `if self.last_epoch not in self.milestones: return [group["lr"] ...]`
    if (count === 0) {
      for (let g = 0; g < out.length; g++) out[g] = groups[g].lr;
      return;
    }
    // `group["lr"] * self.gamma ** self.milestones[self.last_epoch]`
    const factor = this.#power(where, count);
    for (let g = 0; g < out.length; g++) out[g] = groups[g].lr * factor;
  }

  protected override closedFormLr(where: string, out: Float64Array): boolean {
    // `base_lr * self.gamma ** bisect_right(milestones, self.last_epoch)`
    let passed = 0;
    for (const m of this.#milestones) if (m <= this._lastEpoch) passed++;
    const factor = this.#power(where, passed);
    for (let g = 0; g < out.length; g++) out[g] = this._baseLrs[g] * factor;
    return true;
  }

  /** `gamma ** n`; Python raises OverflowError where it is infinite. */
  #power(where: string, n: number): number {
    PY[PY_X] = this.#gamma;
    PY[PY_Y] = n;
    powInPlace(); // through registers: no double crosses a call (python-math.ts)
    const factor = PY[PY_X];
    if (factor === Infinity) throw rangeError(where, `gamma ** ${n}`, 'finite (Python raises OverflowError)', factor);
    return factor;
  }

  override stateDict(): MultiStepLRState {
    return super.stateDict() as MultiStepLRState;
  }

  override loadStateDict(stateDict: MultiStepLRState): void {
    super.loadStateDict(stateDict);
  }

  protected ownState(): Record<string, unknown> {
    return { milestones: Array.from(this.#milestones), gamma: this.#gamma };
  }

  protected ownStateKeys(): readonly string[] {
    return KEYS;
  }

  protected checkOwnState(where: string, field: string, o: Record<string, unknown>): () => void {
    const milestones = checkMilestones(where, `${field}.milestones`, o.milestones);
    const gamma = checkRate(where, `${field}.gamma`, o.gamma);
    return () => {
      this.#milestones = milestones;
      this.#gamma = gamma;
    };
  }
}
