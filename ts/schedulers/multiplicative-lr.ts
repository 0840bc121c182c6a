// torch.optim.lr_scheduler.MultiplicativeLR (torch 2.x): get_lr(), state_dict() and load_state_dict().

import type { LRSchedulerState, SchedulableOptimizer } from './lr-scheduler.js';
import { LambdaScheduler, type LrLambda } from './lambda-lr.js';

/** Options of {@link MultiplicativeLR}, as torch's (camelCase). */
export interface MultiplicativeLROptions {
  /** The factor each step multiplies the learning rate by, given the epoch (from 1): one function for every group, or one per group. Required. */
  lrLambda: LrLambda | readonly LrLambda[];
}

/** {@link MultiplicativeLR.stateDict}: as torch, no functions are saved (`lrLambdas` holds one `null` per group). */
export interface MultiplicativeLRState extends LRSchedulerState {
  /** One entry per group; functions are not saved, as in torch (`lr_lambdas`: None for a function). */
  lrLambdas: null[];
}

/**
 * Multiplies each group's learning rate by `lrLambda(epoch)` at every step (not at construction),
 * as torch's `MultiplicativeLR`: `lr = group.lr * lrLambda(lastEpoch)`. Since it multiplies the
 * group's current `lr`, it composes with a change you make to the lr between steps.
 *
 * @example
 * ```ts
 * const sched = new MultiplicativeLR(opt, { lrLambda: () => 0.95 }); // lr × 0.95 per epoch
 * ```
 */
export class MultiplicativeLR extends LambdaScheduler {
  constructor(optimizer: SchedulableOptimizer, options: MultiplicativeLROptions) {
    super('MultiplicativeLR', optimizer, options);
    this.initialize();
  }

  protected computeLr(where: string, out: Float64Array): void {
    const groups = this.optimizer.paramGroups;
    // The initial step keeps each group's lr; then `group["lr"] * lmbda(self.last_epoch)`.
    for (let g = 0; g < out.length; g++) out[g] = this._isInitial ? groups[g].lr : groups[g].lr * this.factor(where, g, this._lastEpoch);
  }

  override stateDict(): MultiplicativeLRState {
    return super.stateDict() as MultiplicativeLRState;
  }

  override loadStateDict(stateDict: MultiplicativeLRState): void {
    super.loadStateDict(stateDict);
  }
}
