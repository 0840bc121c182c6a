// torch.optim.lr_scheduler.PolynomialLR (torch 2.x): get_lr() and _get_closed_form_lr().

import { rangeError } from '../runtime/errors.js';
import { checkInteger } from '../runtime/validate.js';
import { LRScheduler, checkOptimizer, type LRSchedulerState, type SchedulableOptimizer } from './lr-scheduler.js';
import { checkFinite, given, nonNegative, readOptions } from './options.js';
import { PY, PY_X, PY_Y, powInPlace } from './python-math.js';

/** Options of {@link PolynomialLR}, as torch's (camelCase). */
export interface PolynomialLROptions {
  /** The number of epochs over which the learning rate decays to 0. Default `5`. */
  totalIters?: number;
  /** The power of the polynomial, >= 0. Default `1` (linear decay). */
  power?: number;
}

/** {@link PolynomialLR.stateDict}. */
export interface PolynomialLRState extends LRSchedulerState {
  /** Steps of the decay (torch's `total_iters`). */
  totalIters: number;
  /** The polynomial's power (torch's `power`). */
  power: number;
}

const KEYS = ['totalIters', 'power'] as const;

// totalIters 0 is allowed, as in torch (the lr then stays); only the closed form divides by it. A
// negative power is refused: torch raises 0.0 to it at totalIters (ZeroDivisionError).
const checkTotal = (where: string, field: string, value: unknown) => checkInteger(where, field, value, 0);
const checkPower = (where: string, field: string, value: unknown) => checkFinite(where, field, value, 'a finite number >= 0', nonNegative);

/**
 * Decays each group's learning rate to 0 over `totalIters` epochs as
 * `initialLr * (1 - epoch / totalIters) ^ power`, computed recursively as torch does, with
 * Python's correctly rounded `**`.
 *
 * @example
 * ```ts
 * const sched = new PolynomialLR(opt, { totalIters: 50, power: 0.9 });
 * ```
 */
export class PolynomialLR extends LRScheduler {
  #totalIters: number;
  #power: number;

  constructor(optimizer: SchedulableOptimizer, options: PolynomialLROptions = {}) {
    const where = 'PolynomialLR';
    checkOptimizer(where, optimizer);
    const o = readOptions(where, 'options', options, KEYS);
    const totalIters = checkTotal(where, 'totalIters', given(o.totalIters, 5));
    const power = checkPower(where, 'power', given(o.power, 1));
    super(where, optimizer);
    this.#totalIters = totalIters;
    this.#power = power;
    this.initialize();
  }

  protected computeLr(_where: string, out: Float64Array): void {
    const groups = this.optimizer.paramGroups;
    const epoch = this._lastEpoch;
    const total = this.#totalIters;
    // `if self._is_initial or self.last_epoch > self.total_iters: return [group["lr"] ...]`
    if (this._isInitial || epoch > total) {
      for (let g = 0; g < out.length; g++) out[g] = groups[g].lr;
      return;
    }
    // `((1.0 - self.last_epoch / self.total_iters) / (1.0 - (self.last_epoch - 1) / self.total_iters)) ** self.power`
    PY[PY_X] = (1.0 - epoch / total) / (1.0 - (epoch - 1) / total);
    PY[PY_Y] = this.#power;
    powInPlace(); // through registers: no double crosses a call (python-math.ts)
    const decayFactor = PY[PY_X];
    // `group["lr"] * decay_factor`
    for (let g = 0; g < out.length; g++) out[g] = groups[g].lr * decayFactor;
  }

  protected override closedFormLr(where: string, out: Float64Array): boolean {
    // Python raises ZeroDivisionError here for totalIters 0 (only reachable as SequentialLR's milestone).
    if (this.#totalIters === 0) throw rangeError(where, 'totalIters', 'at least 1 where SequentialLR restarts this scheduler (torch divides by it)', 0);
    // `base_lr * (1.0 - min(self.total_iters, self.last_epoch) / self.total_iters) ** self.power`
    const total = this.#totalIters;
    PY[PY_X] = 1.0 - Math.min(total, this._lastEpoch) / total;
    PY[PY_Y] = this.#power;
    powInPlace();
    const factor = PY[PY_X];
    for (let g = 0; g < out.length; g++) out[g] = this._baseLrs[g] * factor;
    return true;
  }

  override stateDict(): PolynomialLRState {
    return super.stateDict() as PolynomialLRState;
  }

  override loadStateDict(stateDict: PolynomialLRState): void {
    super.loadStateDict(stateDict);
  }

  protected ownState(): Record<string, unknown> {
    return { totalIters: this.#totalIters, power: this.#power };
  }

  protected ownStateKeys(): readonly string[] {
    return KEYS;
  }

  protected checkOwnState(where: string, field: string, o: Record<string, unknown>): () => void {
    const totalIters = checkTotal(where, `${field}.totalIters`, o.totalIters);
    const power = checkPower(where, `${field}.power`, o.power);
    return () => {
      this.#totalIters = totalIters;
      this.#power = power;
    };
  }
}
