// torch.optim.lr_scheduler.ConstantLR (torch 2.x): get_lr() and _get_closed_form_lr().

import { checkInteger } from '../runtime/validate.js';
import { LRScheduler, checkOptimizer, type LRSchedulerState, type SchedulableOptimizer } from './lr-scheduler.js';
import { checkFinite, given, readOptions } from './options.js';

/** Options of {@link ConstantLR}, as torch's (camelCase). */
export interface ConstantLROptions {
  /** The factor the learning rate is multiplied by until `totalIters`, in (0, 1]. Default `1/3`. */
  factor?: number;
  /** The number of epochs the factor applies for. Default `5`. */
  totalIters?: number;
}

/** {@link ConstantLR.stateDict}. */
export interface ConstantLRState extends LRSchedulerState {
  /** The factor of the first `totalIters` steps (torch's `factor`). */
  factor: number;
  /** Steps the factor holds (torch's `total_iters`). */
  totalIters: number;
}

const KEYS = ['factor', 'totalIters'] as const;

// torch accepts factor 0 and then divides by it at totalIters (ZeroDivisionError): refused here.
const checkFactor = (where: string, field: string, value: unknown) =>
  checkFinite(where, field, value, 'in (0, 1] (the lr is divided by it at totalIters)', (v) => v > 0 && v <= 1);

/**
 * Multiplies each group's learning rate by `factor` for the first `totalIters` epochs, then
 * restores it (by multiplying with `1 / factor`, as torch does).
 *
 * @example
 * ```ts
 * const sched = new ConstantLR(opt, { factor: 0.5, totalIters: 4 }); // 0.025 for epochs 0-3, then 0.05
 * ```
 */
export class ConstantLR extends LRScheduler {
  #factor: number;
  #totalIters: number;

  constructor(optimizer: SchedulableOptimizer, options: ConstantLROptions = {}) {
    const where = 'ConstantLR';
    checkOptimizer(where, optimizer);
    const o = readOptions(where, 'options', options, KEYS);
    const factor = checkFactor(where, 'factor', given(o.factor, 1 / 3));
    const totalIters = checkInteger(where, 'totalIters', given(o.totalIters, 5), 0);
    super(where, optimizer);
    this.#factor = factor;
    this.#totalIters = totalIters;
    this.initialize();
  }

  protected computeLr(_where: string, out: Float64Array): void {
    const groups = this.optimizer.paramGroups;
    const epoch = this._lastEpoch;
    for (let g = 0; g < out.length; g++) {
      const lr = groups[g].lr;
      // `if self.last_epoch == 0: group["lr"] * self.factor`
      // `if self.last_epoch != self.total_iters: group["lr"]`
      // else `group["lr"] * (1.0 / self.factor)`
      out[g] = epoch === 0 ? lr * this.#factor : epoch !== this.#totalIters ? lr : lr * (1.0 / this.#factor);
    }
  }

  protected override closedFormLr(_where: string, out: Float64Array): boolean {
    // `base_lr * (self.factor + (self.last_epoch >= self.total_iters) * (1 - self.factor))`
    const factor = this.#factor + (this._lastEpoch >= this.#totalIters ? 1 - this.#factor : 0);
    for (let g = 0; g < out.length; g++) out[g] = this._baseLrs[g] * factor;
    return true;
  }

  override stateDict(): ConstantLRState {
    return super.stateDict() as ConstantLRState;
  }

  override loadStateDict(stateDict: ConstantLRState): void {
    super.loadStateDict(stateDict);
  }

  protected ownState(): Record<string, unknown> {
    return { factor: this.#factor, totalIters: this.#totalIters };
  }

  protected ownStateKeys(): readonly string[] {
    return KEYS;
  }

  protected checkOwnState(where: string, field: string, o: Record<string, unknown>): () => void {
    const factor = checkFactor(where, `${field}.factor`, o.factor);
    const totalIters = checkInteger(where, `${field}.totalIters`, o.totalIters, 0);
    return () => {
      this.#factor = factor;
      this.#totalIters = totalIters;
    };
  }
}
