// torch.optim.lr_scheduler.LinearLR (torch 2.x): get_lr() and _get_closed_form_lr().

import { rangeError } from '../runtime/errors.js';
import { checkInteger } from '../runtime/validate.js';
import { LRScheduler, checkOptimizer, type LRSchedulerState, type SchedulableOptimizer } from './lr-scheduler.js';
import { checkFinite, given, readOptions } from './options.js';

/** Options of {@link LinearLR}, as torch's (camelCase). */
export interface LinearLROptions {
  /** The factor at epoch 0, in (0, 1]. Default `1/3`. */
  startFactor?: number;
  /** The factor from `totalIters` on, in [0, 1]. Default `1`. */
  endFactor?: number;
  /** The number of epochs over which the factor moves linearly from start to end. Default `5`. */
  totalIters?: number;
}

/** {@link LinearLR.stateDict}. */
export interface LinearLRState extends LRSchedulerState {
  /** The factor of the first step (torch's `start_factor`). */
  startFactor: number;
  /** The factor from `totalIters` on (torch's `end_factor`). */
  endFactor: number;
  /** Steps of the ramp (torch's `total_iters`). */
  totalIters: number;
}

const KEYS = ['startFactor', 'endFactor', 'totalIters'] as const;

const checkStart = (where: string, field: string, value: unknown) => checkFinite(where, field, value, 'in (0, 1]', (v) => v > 0 && v <= 1);
const checkEnd = (where: string, field: string, value: unknown) => checkFinite(where, field, value, 'in [0, 1]', (v) => v >= 0 && v <= 1);
// 0 is allowed, as in torch (the factor then stays startFactor); only the closed form divides by it.
const checkTotal = (where: string, field: string, value: unknown) => checkInteger(where, field, value, 0);

/**
 * Multiplies each group's learning rate by a factor that moves linearly from `startFactor` (epoch
 * 0) to `endFactor` (epoch `totalIters` and after): the usual linear warm-up.
 *
 * @example
 * ```ts
 * // Warm up over 10 epochs from lr/100, then cosine: see SequentialLR.
 * const warmup = new LinearLR(opt, { startFactor: 0.01, totalIters: 10 });
 * ```
 */
export class LinearLR extends LRScheduler {
  #startFactor: number;
  #endFactor: number;
  #totalIters: number;

  constructor(optimizer: SchedulableOptimizer, options: LinearLROptions = {}) {
    const where = 'LinearLR';
    checkOptimizer(where, optimizer);
    const o = readOptions(where, 'options', options, KEYS);
    const startFactor = checkStart(where, 'startFactor', given(o.startFactor, 1 / 3));
    const endFactor = checkEnd(where, 'endFactor', given(o.endFactor, 1));
    const totalIters = checkTotal(where, 'totalIters', given(o.totalIters, 5));
    super(where, optimizer);
    this.#startFactor = startFactor;
    this.#endFactor = endFactor;
    this.#totalIters = totalIters;
    this.initialize();
  }

  protected computeLr(_where: string, out: Float64Array): void {
    const groups = this.optimizer.paramGroups;
    const epoch = this._lastEpoch;
    const start = this.#startFactor;
    const end = this.#endFactor;
    const total = this.#totalIters;
    for (let g = 0; g < out.length; g++) {
      const lr = groups[g].lr;
      if (epoch === 0) {
        out[g] = lr * start; // `group["lr"] * self.start_factor`
      } else if (this._isInitial || epoch > total) {
        out[g] = lr;
      } else {
        // `group["lr"] * (1.0 + (self.end_factor - self.start_factor)
        //   / (self.total_iters * self.start_factor + (self.last_epoch - 1) * (self.end_factor - self.start_factor)))`
        out[g] = lr * (1.0 + (end - start) / (total * start + (epoch - 1) * (end - start)));
      }
    }
  }

  protected override closedFormLr(where: string, out: Float64Array): boolean {
    // Python raises ZeroDivisionError here for totalIters 0 (only reachable as SequentialLR's milestone).
    if (this.#totalIters === 0) throw rangeError(where, 'totalIters', 'at least 1 where SequentialLR restarts this scheduler (torch divides by it)', 0);
    // `base_lr * (self.start_factor + (self.end_factor - self.start_factor) * min(self.total_iters, self.last_epoch) / self.total_iters)`
    const start = this.#startFactor;
    const total = this.#totalIters;
    const factor = start + ((this.#endFactor - start) * Math.min(total, this._lastEpoch)) / total;
    for (let g = 0; g < out.length; g++) out[g] = this._baseLrs[g] * factor;
    return true;
  }

  override stateDict(): LinearLRState {
    return super.stateDict() as LinearLRState;
  }

  override loadStateDict(stateDict: LinearLRState): void {
    super.loadStateDict(stateDict);
  }

  protected ownState(): Record<string, unknown> {
    return { startFactor: this.#startFactor, endFactor: this.#endFactor, totalIters: this.#totalIters };
  }

  protected ownStateKeys(): readonly string[] {
    return KEYS;
  }

  protected checkOwnState(where: string, field: string, o: Record<string, unknown>): () => void {
    const startFactor = checkStart(where, `${field}.startFactor`, o.startFactor);
    const endFactor = checkEnd(where, `${field}.endFactor`, o.endFactor);
    const totalIters = checkTotal(where, `${field}.totalIters`, o.totalIters);
    return () => {
      this.#startFactor = startFactor;
      this.#endFactor = endFactor;
      this.#totalIters = totalIters;
    };
  }
}
