// torch.optim.lr_scheduler.ExponentialLR (torch 2.x): get_lr() and _get_closed_form_lr().

import { LRScheduler, checkOptimizer, type LRSchedulerState, type SchedulableOptimizer } from './lr-scheduler.js';
import { checkRate, readOptions } from './options.js';
import { PY, PY_X, PY_Y, powInPlace } from './python-math.js';

/** Options of {@link ExponentialLR}, as torch's (camelCase). */
export interface ExponentialLROptions {
  /** Multiplicative factor of learning-rate decay, applied every epoch. Required. */
  gamma: number;
}

/** {@link ExponentialLR.stateDict}. */
export interface ExponentialLRState extends LRSchedulerState {
  /** The factor of each step (torch's `gamma`). */
  gamma: number;
}

const KEYS = ['gamma'] as const;

/**
 * Decays each group's learning rate by `gamma` every epoch: `lr = initialLr * gamma^epoch`,
 * computed recursively (`lr * gamma`) as torch does.
 *
 * @example
 * ```ts
 * const sched = new ExponentialLR(opt, { gamma: 0.95 });
 * for (let epoch = 0; epoch < 100; epoch++) { train(); opt.step(); sched.step(); }
 * ```
 */
export class ExponentialLR extends LRScheduler {
  #gamma: number;

  constructor(optimizer: SchedulableOptimizer, options: ExponentialLROptions) {
    const where = 'ExponentialLR';
    checkOptimizer(where, optimizer);
    const o = readOptions(where, 'options', options, KEYS);
    const gamma = checkRate(where, 'gamma', o.gamma);
    super(where, optimizer);
    this.#gamma = gamma;
    this.initialize();
  }

  protected computeLr(_where: string, out: Float64Array): void {
    const groups = this.optimizer.paramGroups;
    // get_lr: the initial step (also when loading a checkpoint) leaves the lr as it is.
    if (this._isInitial) {
      for (let g = 0; g < out.length; g++) out[g] = groups[g].lr;
      return;
    }
    // `group["lr"] * self.gamma`
    for (let g = 0; g < out.length; g++) out[g] = groups[g].lr * this.#gamma;
  }

  protected override closedFormLr(_where: string, out: Float64Array): boolean {
    // `base_lr * self.gamma**self.last_epoch`
    PY[PY_X] = this.#gamma;
    PY[PY_Y] = this._lastEpoch;
    powInPlace(); // through registers: no double crosses a call (python-math.ts)
    const factor = PY[PY_X];
    for (let g = 0; g < out.length; g++) out[g] = this._baseLrs[g] * factor;
    return true;
  }

  override stateDict(): ExponentialLRState {
    return super.stateDict() as ExponentialLRState;
  }

  override loadStateDict(stateDict: ExponentialLRState): void {
    super.loadStateDict(stateDict);
  }

  protected ownState(): Record<string, unknown> {
    return { gamma: this.#gamma };
  }

  protected ownStateKeys(): readonly string[] {
    return KEYS;
  }

  protected checkOwnState(where: string, field: string, o: Record<string, unknown>): () => void {
    const gamma = checkRate(where, `${field}.gamma`, o.gamma);
    return () => {
      this.#gamma = gamma;
    };
  }
}
