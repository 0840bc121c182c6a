// torch.optim.lr_scheduler.ChainedScheduler (torch 2.x): __init__, step, state_dict, load_state_dict.

import { rangeError, typeError } from '../runtime/errors.js';
import { LRScheduler, checkOptimizer, snapshotGroups, type LRSchedulerState, type SchedulableOptimizer } from './lr-scheduler.js';
import { ReduceLROnPlateau } from './reduce-lr-on-plateau.js';
import { checkAnyNumber, checkArray, readState } from './options.js';

/**
 * {@link ChainedScheduler.stateDict}: what torch's holds (`_last_lr`, and each scheduler's state in
 * `_schedulers`), and nothing else: a ChainedScheduler has no epoch of its own.
 */
export interface ChainedSchedulerState {
  /** Each group's lr after the last step (torch's `_last_lr`). */
  lastLr: number[];
  /** Each scheduler's state dict, in order (torch's `_schedulers`). */
  schedulers: LRSchedulerState[];
}

const STATE_KEYS = ['lastLr', 'schedulers'] as const;

/**
 * Steps several schedulers of one optimizer together, as torch's `ChainedScheduler`: each
 * {@link ChainedScheduler.step} calls every scheduler's `step()` in order, so their effects
 * compose (e.g. a warm-up `LinearLR` chained with an `ExponentialLR` decay). Unlike
 * {@link SequentialLR}, every scheduler acts at every step. `ReduceLROnPlateau` cannot be chained
 * (it needs a metric at each step), as in torch.
 *
 * A step that throws (one of the schedulers refusing it) changes nothing: the schedulers' states
 * and the groups are put back, so a step takes a snapshot of them first (it allocates, unlike
 * the other schedulers' steps).
 *
 * @example
 * ```ts
 * const warmup = new LinearLR(opt, { startFactor: 0.1, totalIters: 5 });
 * const decay = new ExponentialLR(opt, { gamma: 0.95 });
 * const sched = new ChainedScheduler([warmup, decay]);
 * ```
 */
export class ChainedScheduler {
  /** The optimizer whose groups' `lr` the schedulers write. */
  readonly optimizer: SchedulableOptimizer;
  readonly #schedulers: readonly LRScheduler[];
  readonly #lastLr: Float64Array;

  /** `schedulers`: at least one, all of one optimizer (`optimizer`, by default the first's). */
  constructor(schedulers: readonly LRScheduler[], optimizer?: SchedulableOptimizer) {
    const where = 'ChainedScheduler';
    if (!Array.isArray(schedulers)) throw typeError(where, 'schedulers', 'an array of schedulers', schedulers);
    // torch: "ChainedScheduler expects at least one scheduler to be chained, but got no scheduler." (ValueError)
    if (schedulers.length === 0) throw rangeError(where, 'schedulers', 'non-empty (at least one scheduler)', schedulers);
    (schedulers as unknown[]).forEach((s, i) => {
      if (s instanceof ReduceLROnPlateau) {
        throw typeError(where, `schedulers[${i}]`, 'an LRScheduler (ReduceLROnPlateau needs a metric at each step, which ChainedScheduler cannot give)', s);
      }
      if (!(s instanceof LRScheduler)) throw typeError(where, `schedulers[${i}]`, 'an LRScheduler', s);
    });
    const owner: SchedulableOptimizer = optimizer === undefined ? schedulers[0].optimizer : checkOptimizer(where, optimizer);
    schedulers.forEach((s, i) => {
      // torch: "ChainedScheduler expects all schedulers to belong to the same optimizer, ..." (ValueError)
      if (s.optimizer !== owner) throw typeError(where, `schedulers[${i}].optimizer`, 'the optimizer of the other schedulers', s.optimizer);
    });
    this.optimizer = owner;
    this.#schedulers = [...schedulers];
    // `self._last_lr = [group["lr"] for group in self._schedulers[-1].optimizer.param_groups]`
    this.#lastLr = Float64Array.from(owner.paramGroups.map((group) => group.lr));
  }

  /** Steps every scheduler, in order (torch's `step()`). */
  step(): void {
    const where = 'ChainedScheduler.step';
    const groups = this.optimizer.paramGroups;
    const restoreGroups = snapshotGroups(groups);
    const restoreStates = this.#schedulers.map((s) => s._checkState(where, 'schedulers', s.stateDict()));
    try {
      for (const s of this.#schedulers) s.step();
    } catch (error) {
      for (const restore of restoreStates) restore();
      restoreGroups();
      throw error;
    }
    if (this.#lastLr.length !== groups.length) return; // a group added since: the schedulers refused above
    for (let g = 0; g < groups.length; g++) this.#lastLr[g] = groups[g].lr;
  }

  /** The learning rates after the last step, one per group (a new array; torch's `get_last_lr()`). */
  getLastLr(): number[] {
    return Array.from(this.#lastLr);
  }

  /** Every scheduler's state (torch's `_schedulers`) and the last learning rates (`_last_lr`). */
  stateDict(): ChainedSchedulerState {
    return { lastLr: Array.from(this.#lastLr), schedulers: this.#schedulers.map((s) => s.stateDict()) };
  }

  /**
   * Restores a saved {@link ChainedScheduler.stateDict} into every scheduler (each as its own
   * `loadStateDict`, writing the saved learning rates back to the groups); everything is checked
   * first, and on any error nothing changes.
   */
  loadStateDict(stateDict: ChainedSchedulerState): void {
    const where = 'ChainedScheduler.loadStateDict';
    const o = readState(where, 'stateDict', stateDict, STATE_KEYS);
    const lastLr = checkArray(where, 'stateDict.lastLr', o.lastLr, this.#lastLr.length, (f, v) => checkAnyNumber(where, f, v));
    const saved = o.schedulers;
    if (!Array.isArray(saved)) throw typeError(where, 'stateDict.schedulers', 'an array of state dicts', saved);
    if (saved.length !== this.#schedulers.length) {
      throw rangeError(where, 'stateDict.schedulers.length', `${this.#schedulers.length} (this ChainedScheduler's scheduler count)`, saved.length);
    }
    const apply = this.#schedulers.map((s, i) => s._checkState(where, `stateDict.schedulers[${i}]`, saved[i]));
    const groups = this.optimizer.paramGroups.length;
    if (groups !== this.#lastLr.length) {
      throw rangeError(where, 'optimizer.paramGroups.length', `${this.#lastLr.length} (the group count when the schedulers were created)`, groups);
    }
    for (const a of apply) a();
    for (const s of this.#schedulers) s._restoreGroups();
    this.#lastLr.set(lastLr);
  }
}
