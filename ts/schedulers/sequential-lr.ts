// torch.optim.lr_scheduler.SequentialLR (torch 2.x): __init__, recursive_undo, step, state_dict, load_state_dict.

import { rangeError, typeError } from '../runtime/errors.js';
import { checkInteger } from '../runtime/validate.js';
import { LRScheduler, checkOptimizer, snapshotGroups, type LRSchedulerState, type SchedulableOptimizer } from './lr-scheduler.js';
import { checkArray, readOptions } from './options.js';
import { ReduceLROnPlateau } from './reduce-lr-on-plateau.js';

/** Options of {@link SequentialLR}, as torch's. */
export interface SequentialLROptions {
  /** The schedulers, in order; all of the same optimizer. Required. */
  schedulers: readonly LRScheduler[];
  /** The epochs at which each next scheduler takes over, increasing: one fewer than `schedulers`. Required. */
  milestones: readonly number[];
}

/**
 * {@link SequentialLR.stateDict}: its own counters (`stepCount` stays 0 and `baseLrs` are the groups'
 * `initialLr`, as SequentialLR never steps itself) and every scheduler's state dict.
 */
export interface SequentialLRState extends LRSchedulerState {
  /** The steps at which the next scheduler takes over (torch's `_milestones`). */
  milestones: number[];
  /** Each scheduler's state dict, in order (torch's `_schedulers`). */
  schedulers: LRSchedulerState[];
}

const KEYS = ['schedulers', 'milestones'] as const;

function checkMilestones(where: string, field: string, value: unknown, count: number): Int32Array {
  const milestones = checkArray(where, field, value, undefined, (f, m) => checkInteger(where, f, m, 0, 2 ** 31 - 1));
  if (milestones.length !== count) {
    // torch: "Sequential Schedulers expects number of schedulers provided to be one more than the number of milestone points"
    throw rangeError(where, `${field}.length`, `${count} (one fewer than the schedulers)`, milestones.length);
  }
  milestones.forEach((m, i) => {
    if (i > 0 && m <= milestones[i - 1]) throw rangeError(where, `${field}[${i}]`, `greater than ${field}[${i - 1}] (${milestones[i - 1]})`, m);
  });
  return Int32Array.from(milestones);
}

/** Python's `bisect_right(a, x)` on a sorted array: how many items are <= x. */
function bisectRight(a: Int32Array, x: number): number {
  let i = 0;
  while (i < a.length && a[i] <= x) i++;
  return i;
}

/**
 * Runs schedulers one after another: `schedulers[i]` takes over at epoch `milestones[i - 1]`,
 * restarting from its own epoch 0 (torch calls `_update_lr(0)` there, using the closed form where
 * the scheduler has one). The typical warm-up then decay:
 *
 * @example
 * ```ts
 * const warmup = new LinearLR(opt, { startFactor: 0.01, totalIters: 100 });
 * const decay = new CosineAnnealingLR(opt, { tMax: 900 });
 * const sched = new SequentialLR(opt, { schedulers: [warmup, decay], milestones: [100] });
 * ```
 *
 * Its {@link SequentialLR.stateDict} holds every scheduler's, and loading it restores them all, so
 * that a run resumed from a checkpoint continues exactly as the uninterrupted one.
 */
export class SequentialLR extends LRScheduler {
  readonly #schedulers: readonly LRScheduler[];
  #milestones: Int32Array;

  constructor(optimizer: SchedulableOptimizer, options: SequentialLROptions) {
    const where = 'SequentialLR';
    checkOptimizer(where, optimizer);
    const o = readOptions(where, 'options', options, KEYS);
    if (!Array.isArray(o.schedulers)) throw typeError(where, 'schedulers', 'an array of schedulers', o.schedulers);
    if (o.schedulers.length === 0) throw rangeError(where, 'schedulers', 'non-empty (at least one scheduler)', o.schedulers);
    const schedulers = (o.schedulers as unknown[]).map((s, i) => {
      if (s instanceof ReduceLROnPlateau) {
        throw typeError(where, `schedulers[${i}]`, 'an LRScheduler (ReduceLROnPlateau needs a metric at each step, which SequentialLR cannot give)', s);
      }
      if (!(s instanceof LRScheduler)) throw typeError(where, `schedulers[${i}]`, 'an LRScheduler', s);
      // A milestone restarts its scheduler with `_update_lr(0)`, which a SequentialLR cannot do
      // (torch raises NotImplementedError there): refused now rather than at the milestone.
      if (i > 0 && s instanceof SequentialLR) {
        throw typeError(where, `schedulers[${i}]`, 'an LRScheduler other than SequentialLR (a milestone cannot restart one; only schedulers[0] may be)', s);
      }
      if (s.optimizer !== optimizer) throw typeError(where, `schedulers[${i}].optimizer`, 'the optimizer given to SequentialLR', s.optimizer);
      return s;
    });
    const milestones = checkMilestones(where, 'milestones', o.milestones, schedulers.length - 1);
    super(where, optimizer);
    this.#schedulers = schedulers;
    this.#milestones = milestones;
    const groups = optimizer.paramGroups;
    const restore = snapshotGroups(groups);
    const states = schedulers.map((s) => s._checkState(where, 'schedulers', s.stateDict()));
    try {
      this.checkGroups(where);
      // `self.last_epoch = last_epoch + 1`
      this._lastEpoch = 0;
      // "Reset learning rates back to initial values": `group["lr"] = group["initial_lr"]`
      groups.forEach((group, g) => {
        if (typeof group.initialLr !== 'number') throw typeError(where, `optimizer.paramGroups[${g}].initialLr`, 'a number', group.initialLr);
        group.lr = group.initialLr;
        this._baseLrs[g] = group.initialLr;
      });
      // "Undo" the step performed by other schedulers, then the initial step of the one whose turn
      // epoch 0 is: `idx = bisect_right(self._milestones, 0)` (the first, unless a milestone is 0).
      this._undo();
      schedulers[bisectRight(milestones, 0)]._initialStep();
    } catch (error) {
      restore();
      for (const apply of states) apply();
      throw error;
    }
    // `self._last_lr = schedulers[idx].get_last_lr()`
    this._lastLr.set(schedulers[bisectRight(milestones, 0)].getLastLr());
  }

  /** torch's `recursive_undo`: every scheduler inside (not this one) goes back one epoch. */
  override _undo(): void {
    for (const s of this.#schedulers) s._undo();
  }

  /**
   * Advances one epoch: the scheduler whose turn it is steps, or, at its milestone, restarts at its
   * epoch 0 (torch: `scheduler._update_lr(0)`).
   */
  override step(): void {
    const where = this._stepWhere;
    this.checkGroups(where);
    // `self.last_epoch += 1; idx = bisect_right(self._milestones, self.last_epoch)`
    const epoch = this._lastEpoch + 1;
    const milestones = this.#milestones;
    const idx = bisectRight(milestones, epoch);
    const scheduler = this.#schedulers[idx];
    if (idx > 0 && milestones[idx - 1] === epoch) scheduler._updateLr(where, 0);
    else scheduler.step();
    this._lastEpoch = epoch;
    // `self._last_lr = scheduler.get_last_lr()` (copied without allocating)
    const groups = this.optimizer.paramGroups;
    for (let g = 0; g < this._lastLr.length; g++) this._lastLr[g] = groups[g].lr;
  }

  protected computeLr(): void {
    throw new Error('unreachable: SequentialLR steps its schedulers, and is never restarted by a milestone');
  }

  /** @internal The scheduler whose turn it is restores its group keys (OneCycleLR's momentum), then the lr. */
  override _restoreGroups(): void {
    this.#schedulers[bisectRight(this.#milestones, this._lastEpoch)]._restoreGroups();
    super._restoreGroups();
  }

  override stateDict(): SequentialLRState {
    return super.stateDict() as SequentialLRState;
  }

  override loadStateDict(stateDict: SequentialLRState): void {
    super.loadStateDict(stateDict);
  }

  /** The schedulers' state dicts inside this one's (torch's `_schedulers` key). */
  protected ownState(): Record<string, unknown> {
    return { milestones: Array.from(this.#milestones), schedulers: this.#schedulers.map((s) => s.stateDict()) };
  }

  protected ownStateKeys(): readonly string[] {
    return KEYS;
  }

  protected checkOwnState(where: string, field: string, o: Record<string, unknown>): () => void {
    const milestones = checkMilestones(where, `${field}.milestones`, o.milestones, this.#schedulers.length - 1);
    const saved = o.schedulers;
    if (!Array.isArray(saved)) throw typeError(where, `${field}.schedulers`, 'an array of state dicts', saved);
    if (saved.length !== this.#schedulers.length) {
      throw rangeError(where, `${field}.schedulers.length`, `${this.#schedulers.length} (this SequentialLR's scheduler count)`, saved.length);
    }
    const apply = this.#schedulers.map((s, i) => s._checkState(where, `${field}.schedulers[${i}]`, saved[i]));
    return () => {
      this.#milestones = milestones;
      for (const a of apply) a();
    };
  }
}
