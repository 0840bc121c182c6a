// torch.optim.lr_scheduler.CosineAnnealingLR (torch 2.x): get_lr() and _get_closed_form_lr().

import { checkInteger } from '../runtime/validate.js';
import { LRScheduler, checkOptimizer, type LRSchedulerState, type SchedulableOptimizer } from './lr-scheduler.js';
import { checkRate, given, readOptions } from './options.js';
import { PY, PY_X, cosInPlace, pyCos as cos } from './python-math.js';

/** Options of {@link CosineAnnealingLR}, as torch's (camelCase: `T_max` is `tMax`). */
export interface CosineAnnealingLROptions {
  /** Half the period of the cosine, in epochs: the learning rate reaches `etaMin` at `tMax`. Required. */
  tMax: number;
  /** The minimum learning rate. Default `0`. */
  etaMin?: number;
}

/** {@link CosineAnnealingLR.stateDict}. */
export interface CosineAnnealingLRState extends LRSchedulerState {
  /** The half-period, in steps (torch's `T_max`). */
  tMax: number;
  /** The lowest lr (torch's `eta_min`). */
  etaMin: number;
}

const KEYS = ['tMax', 'etaMin'] as const;

/**
 * Anneals each group's learning rate from its `initialLr` to `etaMin` along a half cosine over
 * `tMax` epochs (and back up over the next `tMax`, as torch does if you keep stepping), with
 * torch's recursive formula
 * `lr = etaMin + (lr - etaMin) (1 + cos(pi epoch / tMax)) / (1 + cos(pi (epoch - 1) / tMax))`
 * and Python's correctly rounded `math.cos` (V8's `Math.cos` differs from it in ~3% of arguments).
 *
 * @example
 * ```ts
 * const opt = new Adam(params, { lr: 1e-3 });
 * const sched = new CosineAnnealingLR(opt, { tMax: 1000, etaMin: 1e-5 });
 * for (let i = 0; i < 1000; i++) { step(); opt.step(); sched.step(); }
 * ```
 */
export class CosineAnnealingLR extends LRScheduler {
  #tMax: number;
  #etaMin: number;

  constructor(optimizer: SchedulableOptimizer, options: CosineAnnealingLROptions) {
    const where = 'CosineAnnealingLR';
    checkOptimizer(where, optimizer);
    const o = readOptions(where, 'options', options, KEYS);
    const tMax = checkInteger(where, 'tMax', o.tMax, 1);
    const etaMin = checkRate(where, 'etaMin', given(o.etaMin, 0));
    super(where, optimizer);
    this.#tMax = tMax;
    this.#etaMin = etaMin;
    this.initialize();
  }

  protected computeLr(_where: string, out: Float64Array): void {
    const groups = this.optimizer.paramGroups;
    const epoch = this._lastEpoch;
    const tMax = this.#tMax;
    const etaMin = this.#etaMin;
    if (this._isInitial) {
      for (let g = 0; g < out.length; g++) out[g] = groups[g].lr;
    } else if (this._stepCount === 1 && epoch > 0) {
      // The first step after a construction with last_epoch > 0 (only reachable here through loadStateDict):
      // `self.eta_min + (base_lr - self.eta_min) * (1 + math.cos((self.last_epoch) * math.pi / self.T_max)) / 2`
      const cosine = cos((epoch * Math.PI) / tMax);
      for (let g = 0; g < out.length; g++) out[g] = etaMin + ((this._baseLrs[g] - etaMin) * (1 + cosine)) / 2;
    } else if ((epoch - 1 - tMax) % (2 * tMax) === 0) {
      // At each trough (where the recursion would divide by 1 + cos(pi) = 0):
      // `group["lr"] + (base_lr - self.eta_min) * (1 - math.cos(math.pi / self.T_max)) / 2`
      const cosine = cos(Math.PI / tMax);
      for (let g = 0; g < out.length; g++) out[g] = groups[g].lr + ((this._baseLrs[g] - etaMin) * (1 - cosine)) / 2;
    } else {
      // `(1 + math.cos(math.pi * self.last_epoch / self.T_max)) / (1 + math.cos(math.pi * (self.last_epoch - 1) / self.T_max))
      //   * (group["lr"] - self.eta_min) + self.eta_min`
      PY[PY_X] = (Math.PI * epoch) / tMax;
      cosInPlace(); // through registers: no double crosses a call (python-math.ts)
      const numerator = 1 + PY[PY_X];
      PY[PY_X] = (Math.PI * (epoch - 1)) / tMax;
      cosInPlace();
      const ratio = numerator / (1 + PY[PY_X]);
      for (let g = 0; g < out.length; g++) out[g] = ratio * (groups[g].lr - etaMin) + etaMin;
    }
  }

  protected override closedFormLr(_where: string, out: Float64Array): boolean {
    // `self.eta_min + (base_lr - self.eta_min) * (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2`
    const etaMin = this.#etaMin;
    const cosine = cos((Math.PI * this._lastEpoch) / this.#tMax);
    for (let g = 0; g < out.length; g++) out[g] = etaMin + ((this._baseLrs[g] - etaMin) * (1 + cosine)) / 2;
    return true;
  }

  override stateDict(): CosineAnnealingLRState {
    return super.stateDict() as CosineAnnealingLRState;
  }

  override loadStateDict(stateDict: CosineAnnealingLRState): void {
    super.loadStateDict(stateDict);
  }

  protected ownState(): Record<string, unknown> {
    return { tMax: this.#tMax, etaMin: this.#etaMin };
  }

  protected ownStateKeys(): readonly string[] {
    return KEYS;
  }

  protected checkOwnState(where: string, field: string, o: Record<string, unknown>): () => void {
    const tMax = checkInteger(where, `${field}.tMax`, o.tMax, 1);
    const etaMin = checkRate(where, `${field}.etaMin`, o.etaMin);
    return () => {
      this.#tMax = tMax;
      this.#etaMin = etaMin;
    };
  }
}
