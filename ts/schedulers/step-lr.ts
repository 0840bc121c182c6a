// torch.optim.lr_scheduler.StepLR (torch 2.x): get_lr() and _get_closed_form_lr().

import { checkInteger } from '../runtime/validate.js';
import { LRScheduler, checkOptimizer, type LRSchedulerState, type SchedulableOptimizer } from './lr-scheduler.js';
import { checkRate, given, readOptions } from './options.js';
import { PY, PY_X, PY_Y, powInPlace } from './python-math.js';

/** Options of {@link StepLR}, as torch's (camelCase). */
export interface StepLROptions {
  /** Period of learning-rate decay, in epochs. Required. */
  stepSize: number;
  /** Multiplicative factor of learning-rate decay. Default `0.1`. */
  gamma?: number;
}

/** {@link StepLR.stateDict}. */
export interface StepLRState extends LRSchedulerState {
  /** The period of the decay, in steps (torch's `step_size`). */
  stepSize: number;
  /** The factor of each decay (torch's `gamma`). */
  gamma: number;
}

const KEYS = ['stepSize', 'gamma'] as const;

/**
 * Multiplies each group's learning rate by `gamma` every `stepSize` epochs.
 *
 * @example
 * ```ts
 * const sched = new StepLR(opt, { stepSize: 30, gamma: 0.1 }); // 0.05 until epoch 30, then 0.005, ...
 * ```
 */
export class StepLR extends LRScheduler {
  #stepSize: number;
  #gamma: number;

  constructor(optimizer: SchedulableOptimizer, options: StepLROptions) {
    const where = 'StepLR';
    checkOptimizer(where, optimizer);
    const o = readOptions(where, 'options', options, KEYS);
    const stepSize = checkInteger(where, 'stepSize', o.stepSize, 1);
    const gamma = checkRate(where, 'gamma', given(o.gamma, 0.1));
    super(where, optimizer);
    this.#stepSize = stepSize;
    this.#gamma = gamma;
    this.initialize();
  }

  protected computeLr(_where: string, out: Float64Array): void {
    const groups = this.optimizer.paramGroups;
    const epoch = this._lastEpoch;
    // `if (self.last_epoch == 0) or (self.last_epoch % self.step_size != 0): return [group["lr"] ...]`
    const decay = epoch !== 0 && epoch % this.#stepSize === 0;
    // `group["lr"] * self.gamma`
    for (let g = 0; g < out.length; g++) out[g] = decay ? groups[g].lr * this.#gamma : groups[g].lr;
  }

  protected override closedFormLr(_where: string, out: Float64Array): boolean {
    // `base_lr * self.gamma ** (self.last_epoch // self.step_size)`
    PY[PY_X] = this.#gamma;
    PY[PY_Y] = Math.floor(this._lastEpoch / this.#stepSize);
    powInPlace(); // through registers: no double crosses a call (python-math.ts)
    const factor = PY[PY_X];
    for (let g = 0; g < out.length; g++) out[g] = this._baseLrs[g] * factor;
    return true;
  }

  override stateDict(): StepLRState {
    return super.stateDict() as StepLRState;
  }

  override loadStateDict(stateDict: StepLRState): void {
    super.loadStateDict(stateDict);
  }

  protected ownState(): Record<string, unknown> {
    return { stepSize: this.#stepSize, gamma: this.#gamma };
  }

  protected ownStateKeys(): readonly string[] {
    return KEYS;
  }

  protected checkOwnState(where: string, field: string, o: Record<string, unknown>): () => void {
    const stepSize = checkInteger(where, `${field}.stepSize`, o.stepSize, 1);
    const gamma = checkRate(where, `${field}.gamma`, o.gamma);
    return () => {
      this.#stepSize = stepSize;
      this.#gamma = gamma;
    };
  }
}
