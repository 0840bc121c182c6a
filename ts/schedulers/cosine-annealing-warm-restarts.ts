// torch.optim.lr_scheduler.CosineAnnealingWarmRestarts (torch 2.x): get_lr() and its own step().

import { checkInteger } from '../runtime/validate.js';
import { LRScheduler, checkOptimizer, type LRSchedulerState, type SchedulableOptimizer } from './lr-scheduler.js';
import { checkRate, given, readOptions } from './options.js';
import { PY, PY_X, cosInPlace } from './python-math.js';

/** Options of {@link CosineAnnealingWarmRestarts}, as torch's (camelCase: `T_0` is `t0`). */
export interface CosineAnnealingWarmRestartsOptions {
  /** The number of epochs until the first restart, >= 1. Required. */
  t0: number;
  /** The factor by which the period grows after each restart, an integer >= 1. Default `1`. */
  tMult?: number;
  /** The minimum learning rate. Default `0`. */
  etaMin?: number;
}

/** {@link CosineAnnealingWarmRestarts.stateDict}: the options, and torch's `T_i`, `T_cur`. */
export interface CosineAnnealingWarmRestartsState extends LRSchedulerState {
  /** Steps of the first cycle (torch's `T_0`). */
  t0: number;
  /** The factor each cycle's length grows by (torch's `T_mult`). */
  tMult: number;
  /** The lowest lr (torch's `eta_min`). */
  etaMin: number;
  /** Steps of the current cycle (torch's `T_i`). */
  tI: number;
  /** Steps into the current cycle (torch's `T_cur`). */
  tCur: number;
}

const OPTION_KEYS = ['t0', 'tMult', 'etaMin'] as const;
const KEYS = [...OPTION_KEYS, 'tI', 'tCur'] as const;

/**
 * SGDR: anneals each group's learning rate from `initialLr` to `etaMin` along a half cosine over
 * `t0` epochs, then restarts at `initialLr` with a period `tMult` times longer. The learning rate is
 * `etaMin + (initialLr - etaMin) (1 + cos(pi tCur / tI)) / 2` (closed form, as in torch), with
 * Python's correctly rounded `math.cos`.
 *
 * @example
 * ```ts
 * const sched = new CosineAnnealingWarmRestarts(opt, { t0: 10, tMult: 2 }); // restarts at 10, 30, 70, ...
 * ```
 */
export class CosineAnnealingWarmRestarts extends LRScheduler {
  #t0: number;
  #tMult: number;
  #etaMin: number;
  /** torch's `T_i`: the current period. */
  #tI: number;
  /** torch's `T_cur`: epochs since the last restart. */
  #tCur: number;

  constructor(optimizer: SchedulableOptimizer, options: CosineAnnealingWarmRestartsOptions) {
    const where = 'CosineAnnealingWarmRestarts';
    checkOptimizer(where, optimizer);
    const o = readOptions(where, 'options', options, OPTION_KEYS);
    const t0 = checkInteger(where, 't0', o.t0, 1);
    const tMult = checkInteger(where, 'tMult', given(o.tMult, 1), 1);
    const etaMin = checkRate(where, 'etaMin', given(o.etaMin, 0));
    super(where, optimizer);
    this.#t0 = t0;
    this.#tI = t0;
    this.#tMult = tMult;
    this.#etaMin = etaMin;
    this.#tCur = -1; // `self.T_cur = last_epoch`
    this.initialize();
  }

  /**
   * torch's `CosineAnnealingWarmRestarts.step()` (without the deprecated `epoch` argument): the first
   * call (at construction) starts at `T_cur = 0`; each later one advances `T_cur`, restarting when it
   * reaches `T_i` (which then grows by `T_mult`). Unlike the other schedulers it does not count
   * `_step_count`, as in torch.
   */
  override step(): void {
    const where = this._isInitial ? this._name : this._stepWhere;
    this.checkGroups(where);
    let epoch: number;
    let tCur = this.#tCur;
    let tI = this.#tI;
    if (this._lastEpoch < 0) {
      // `if epoch is None and self.last_epoch < 0: epoch = 0`, then the explicit-epoch branch with 0 < T_0.
      epoch = 0;
      tI = this.#t0;
      tCur = 0;
    } else {
      epoch = this._lastEpoch + 1;
      tCur = tCur + 1;
      if (tCur >= tI) {
        tCur = tCur % tI;
        tI = tI * this.#tMult;
      }
    }
    this.#lr(tCur, tI, this._next);
    this.#tCur = tCur;
    this.#tI = tI;
    this._lastEpoch = epoch; // `math.floor(epoch)`
    this.commit();
  }

  protected computeLr(_where: string, out: Float64Array): void {
    this.#lr(this.#tCur, this.#tI, out);
  }

  /** get_lr: `self.eta_min + (base_lr - self.eta_min) * (1 + math.cos(math.pi * self.T_cur / self.T_i)) / 2` */
  #lr(tCur: number, tI: number, out: Float64Array): void {
    const etaMin = this.#etaMin;
    PY[PY_X] = (Math.PI * tCur) / tI;
    cosInPlace(); // through registers: no double crosses a call (python-math.ts)
    const cosine = PY[PY_X];
    for (let g = 0; g < out.length; g++) out[g] = etaMin + ((this._baseLrs[g] - etaMin) * (1 + cosine)) / 2;
  }

  override stateDict(): CosineAnnealingWarmRestartsState {
    return super.stateDict() as CosineAnnealingWarmRestartsState;
  }

  override loadStateDict(stateDict: CosineAnnealingWarmRestartsState): void {
    super.loadStateDict(stateDict);
  }

  protected ownState(): Record<string, unknown> {
    return { t0: this.#t0, tMult: this.#tMult, etaMin: this.#etaMin, tI: this.#tI, tCur: this.#tCur };
  }

  protected ownStateKeys(): readonly string[] {
    return KEYS;
  }

  protected checkOwnState(where: string, field: string, o: Record<string, unknown>): () => void {
    const t0 = checkInteger(where, `${field}.t0`, o.t0, 1);
    const tMult = checkInteger(where, `${field}.tMult`, o.tMult, 1);
    const etaMin = checkRate(where, `${field}.etaMin`, o.etaMin);
    const tI = checkInteger(where, `${field}.tI`, o.tI, 1);
    const tCur = checkInteger(where, `${field}.tCur`, o.tCur, -1);
    return () => {
      this.#t0 = t0;
      this.#tMult = tMult;
      this.#etaMin = etaMin;
      this.#tI = tI;
      this.#tCur = tCur;
    };
  }
}
