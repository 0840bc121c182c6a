// The base of the learning-rate schedulers: torch.optim.lr_scheduler.LRScheduler (torch 2.x),
// its __init__ / _initial_step / step / _update_lr / state_dict / load_state_dict.

import { rangeError, typeError } from '../runtime/errors.js';
import { checkInteger } from '../runtime/validate.js';
import { checkAnyNumber, checkArray, readState } from './options.js';

/** A parameter group as a scheduler sees it: a learning rate, and whatever else the optimizer keeps. */
export interface SchedulerParamGroup {
  /** The group's learning rate. */
  lr: number;
  [key: string]: unknown;
}

/** What a scheduler needs of an optimizer: its param groups, as `Adam` and `AdamW` have them. */
export interface SchedulableOptimizer {
  /** The groups whose `lr` a scheduler sets. */
  readonly paramGroups: readonly SchedulerParamGroup[];
  /** The optimizer's defaults: `OneCycleLR` cycles `betas[0]` if they have `betas`, else `momentum`. */
  readonly defaults?: object;
}

/** What every {@link LRScheduler.stateDict} holds (torch's `last_epoch`, `_step_count`, `base_lrs`, `_last_lr`). */
export interface LRSchedulerState {
  /** Steps since the initial one (torch's `last_epoch`). */
  lastEpoch: number;
  /** `step()` calls including the initial one (torch's `_step_count`; CosineAnnealingWarmRestarts and SequentialLR keep it 0, as torch). */
  stepCount: number;
  /** Each group's `initialLr` when the scheduler was created (torch's `base_lrs`). */
  baseLrs: number[];
  /** What {@link LRScheduler.getLastLr} returns (torch's `_last_lr`). */
  lastLr: number[];
}

const BASE_KEYS = ['lastEpoch', 'stepCount', 'baseLrs', 'lastLr'] as const;

/** The optimizer argument: an object with a non-empty array of groups, each with a numeric `lr`. */
export function checkOptimizer(where: string, optimizer: unknown): SchedulableOptimizer {
  const groups = (optimizer as { paramGroups?: unknown } | null)?.paramGroups;
  if (optimizer === null || typeof optimizer !== 'object' || !Array.isArray(groups)) {
    throw typeError(where, 'optimizer', 'an optimizer with paramGroups (Adam, AdamW)', optimizer);
  }
  if (groups.length === 0) throw rangeError(where, 'optimizer.paramGroups', 'non-empty', groups);
  groups.forEach((group: unknown, g) => {
    if (group === null || typeof group !== 'object') throw typeError(where, `optimizer.paramGroups[${g}]`, 'an object', group);
    const lr = (group as Record<string, unknown>).lr;
    if (typeof lr !== 'number') throw typeError(where, `optimizer.paramGroups[${g}].lr`, 'a number', lr);
  });
  return optimizer as SchedulableOptimizer;
}

/**
 * Every key of every group (and the contents of arrays such as `betas`), and a function that puts
 * them back: what a scheduler whose construction fails uses to change nothing.
 */
export function snapshotGroups(groups: readonly SchedulerParamGroup[]): () => void {
  const saved = groups.map((group) => {
    const keys: Record<string, unknown> = {};
    const arrays: [unknown[], unknown[]][] = [];
    for (const key of Object.keys(group)) {
      if (key === 'params') continue;
      const value = group[key];
      keys[key] = value;
      if (Array.isArray(value)) arrays.push([value, [...value]]);
    }
    return { keys, arrays };
  });
  return () => {
    groups.forEach((group, g) => {
      const { keys, arrays } = saved[g];
      // Added keys are deleted last-added first: V8 then reverts each group to its former shape
      // (deleting another property would turn it into a slow dictionary, for every later step).
      for (const key of Object.keys(group).reverse()) if (key !== 'params' && !(key in keys)) delete group[key];
      Object.assign(group, keys);
      for (const [array, contents] of arrays) {
        if (array.length !== contents.length || array.some((v, i) => v !== contents[i])) array.splice(0, array.length, ...contents);
      }
    });
  };
}

/**
 * A learning-rate scheduler, as torch's `LRScheduler`: creating one records each group's
 * `initialLr` (torch's `initial_lr`, kept if the group already has one) as its base learning
 * rate and performs the initial step (`lastEpoch` becomes 0); each {@link LRScheduler.step}
 * then advances `lastEpoch` by one and writes every group's `lr` with torch's own recursive
 * ("chainable") formula, in the same f64 operations, so that {@link LRScheduler.getLastLr}
 * equals torch's floats exactly.
 *
 * Call `step()` after `optimizer.step()`, once per epoch (or per batch, as your schedule counts).
 * Each step allocates nothing. Every method either does all of its work or, when it throws,
 * changes nothing (neither the optimizer's groups nor the scheduler's state). A scheduler is made
 * for the optimizer's groups as they are when it is created: adding a group later makes `step()`
 * throw.
 */
export abstract class LRScheduler {
  /** The optimizer whose groups' `lr` this scheduler writes. */
  readonly optimizer: SchedulableOptimizer;
  /** @internal torch's `last_epoch`. */
  _lastEpoch = -1;
  /** @internal torch's `_step_count`. */
  _stepCount = 0;
  /** @internal torch's `_is_initial`: true during the step made at construction. */
  protected _isInitial = false;
  /** torch's `base_lrs`: each group's `initialLr`. */
  protected readonly _baseLrs: Float64Array;
  /** torch's `_last_lr`. */
  protected readonly _lastLr: Float64Array;
  /** The learning rates being computed: written to the groups only once all are known. */
  protected readonly _next: Float64Array;
  /** The class name, for messages. */
  protected readonly _name: string;
  /** `${name}.step`, made once: a step allocates nothing, not even this string. */
  protected readonly _stepWhere: string;

  protected constructor(name: string, optimizer: SchedulableOptimizer) {
    this._name = name;
    this._stepWhere = `${name}.step`;
    this.optimizer = optimizer;
    const n = optimizer.paramGroups.length;
    this._baseLrs = new Float64Array(n);
    this._lastLr = new Float64Array(n);
    this._next = new Float64Array(n);
  }

  /**
   * torch's `LRScheduler.__init__` with `last_epoch=-1`, after the subclass has its options:
   * `group.setdefault("initial_lr", group["lr"])`, `base_lrs`, then `_initial_step()`. `prepare`
   * runs first (OneCycleLR writes its group keys). If anything throws, every group is put back.
   */
  protected initialize(prepare?: () => void): void {
    const where = this._name;
    const groups = this.optimizer.paramGroups;
    const restore = snapshotGroups(groups);
    try {
      prepare?.();
      groups.forEach((group, g) => {
        if (group.initialLr === undefined) group.initialLr = group.lr;
        const initialLr = group.initialLr;
        if (typeof initialLr !== 'number') throw typeError(where, `optimizer.paramGroups[${g}].initialLr`, 'a number', initialLr);
        this._baseLrs[g] = initialLr;
      });
      this._lastEpoch = -1;
      this._initialStep();
    } catch (error) {
      restore();
      throw error;
    }
  }

  /** @internal torch's `_initial_step`: `_step_count = 0`, then `step()` in initial mode. */
  _initialStep(): void {
    this._stepCount = 0;
    this._isInitial = true;
    try {
      this.step();
    } finally {
      this._isInitial = false;
    }
  }

  /**
   * Advances the schedule by one epoch and writes every group's `lr` (torch's `step()`:
   * `_step_count += 1`, then `_update_lr()`).
   */
  step(): void {
    const count = this._stepCount;
    this._stepCount = count + 1;
    try {
      this._updateLr(this._isInitial ? this._name : this._stepWhere);
    } catch (error) {
      this._stepCount = count;
      throw error;
    }
  }

  /**
   * @internal torch's `_update_lr(epoch)`: without `epoch`, `last_epoch += 1` and the chainable
   * `get_lr()`; with it (SequentialLR passes 0 at a milestone), `last_epoch = epoch` and the closed
   * form where the scheduler has one. The new rates are computed first, then written.
   */
  _updateLr(where: string, epoch?: number): void {
    this.checkGroups(where);
    const previous = this._lastEpoch;
    this._lastEpoch = epoch === undefined ? previous + 1 : epoch;
    try {
      if (epoch === undefined || !this.closedFormLr(where, this._next)) this.computeLr(where, this._next);
    } catch (error) {
      this._lastEpoch = previous;
      throw error;
    }
    this.commit();
  }

  /** torch's `get_lr()`: the next learning rate of every group, into `out`. Throws before writing anything. */
  protected abstract computeLr(where: string, out: Float64Array): void;

  /** torch's `_get_closed_form_lr()` into `out`, for schedulers that have one; returns whether it did. */
  protected closedFormLr(where: string, out: Float64Array): boolean {
    void where;
    void out;
    return false;
  }

  /** Writes the computed rates to the groups; `_last_lr = [group["lr"] ...]`. */
  protected commit(): void {
    const groups = this.optimizer.paramGroups;
    const next = this._next;
    for (let g = 0; g < next.length; g++) {
      groups[g].lr = next[g];
      this._lastLr[g] = next[g];
    }
  }

  /** The optimizer still has the groups this scheduler was made for, each with a numeric `lr`. */
  protected checkGroups(where: string): void {
    const groups = this.optimizer.paramGroups;
    if (groups.length !== this._lastLr.length) {
      throw rangeError(
        where,
        'optimizer.paramGroups.length',
        `${this._lastLr.length} (the group count when the scheduler was created; create schedulers after adding groups)`,
        groups.length,
      );
    }
    for (let g = 0; g < groups.length; g++) {
      if (typeof groups[g].lr !== 'number') throw typeError(where, `optimizer.paramGroups[${g}].lr`, 'a number', groups[g].lr);
    }
  }

  /** The learning rates the last step wrote, one per group (a new array; torch's `get_last_lr()`). */
  getLastLr(): number[] {
    return Array.from(this._lastLr);
  }

  /** The number of steps taken since the initial one (torch's `last_epoch`): 0 after construction. */
  get lastEpoch(): number {
    return this._lastEpoch;
  }

  /** Each group's `initialLr` when the scheduler was created (torch's `base_lrs`; a new array). */
  get baseLrs(): number[] {
    return Array.from(this._baseLrs);
  }

  /**
   * The scheduler's state as plain JSON-serialisable data (torch's `state_dict()`): its options,
   * `lastEpoch`, `stepCount`, `baseLrs` and `lastLr`. Save the optimizer's `stateDict()` with it:
   * the groups' `lr` (and `initialLr`) live there.
   */
  stateDict(): LRSchedulerState {
    return {
      ...this.ownState(),
      lastEpoch: this._lastEpoch,
      stepCount: this._stepCount,
      baseLrs: Array.from(this._baseLrs),
      lastLr: Array.from(this._lastLr),
    };
  }

  /**
   * Restores a saved {@link LRScheduler.stateDict} (torch's `load_state_dict()`: options included),
   * and writes the saved learning rates (`lastLr`) back to the groups, which torch does not: there,
   * creating the new scheduler has already rewritten the groups' lr (its epoch-0 value, or, for
   * LinearLR, ConstantLR and SequentialLR, the loaded lr times a factor) and loading leaves it so. A
   * run resumed with torch's recipe (optimizer state loaded first, then a new scheduler created and
   * loaded) then continues with a wrong lr for one step (LambdaLR, OneCycleLR,
   * CosineAnnealingWarmRestarts) or for good (LinearLR, ConstantLR, SequentialLR). Here it continues
   * exactly as the uninterrupted run, in either order. Everything is checked first; on any error
   * nothing changes.
   */
  loadStateDict(stateDict: LRSchedulerState): void {
    const where = `${this._name}.loadStateDict`;
    const apply = this._checkState(where, 'stateDict', stateDict);
    this.checkGroups(where);
    apply();
    this._restoreGroups();
  }

  /**
   * @internal Writes what the schedule last wrote to the groups back to them: each group's lr
   * (OneCycleLR also its momentum). What loadStateDict adds to torch's load_state_dict.
   */
  _restoreGroups(): void {
    const groups = this.optimizer.paramGroups;
    for (let g = 0; g < groups.length; g++) groups[g].lr = this._lastLr[g];
  }

  /** @internal Checks a saved state without changing anything; returns what applies it. */
  _checkState(where: string, field: string, state: unknown): () => void {
    const groups = this._lastLr.length;
    const o = readState(where, field, state, [...this.ownStateKeys(), ...BASE_KEYS]);
    const lastEpoch = checkInteger(where, `${field}.lastEpoch`, o.lastEpoch, -1);
    const stepCount = checkInteger(where, `${field}.stepCount`, o.stepCount, 0);
    const number = (f: string, v: unknown) => checkAnyNumber(where, f, v);
    const baseLrs = checkArray(where, `${field}.baseLrs`, o.baseLrs, groups, number);
    const lastLr = checkArray(where, `${field}.lastLr`, o.lastLr, groups, number);
    const applyOwn = this.checkOwnState(where, field, o);
    return () => {
      applyOwn();
      this._lastEpoch = lastEpoch;
      this._stepCount = stepCount;
      this._baseLrs.set(baseLrs);
      this._lastLr.set(lastLr);
    };
  }

  /** @internal torch's `SequentialLR.recursive_undo`: `last_epoch -= 1`. */
  _undo(): void {
    this._lastEpoch -= 1;
  }

  /** The subclass's own state (its options, and counters such as CosineAnnealingWarmRestarts' `tCur`). */
  protected abstract ownState(): Record<string, unknown>;

  /** The keys {@link LRScheduler.ownState} saves. */
  protected abstract ownStateKeys(): readonly string[];

  /** Checks the subclass's saved state in `o` (field names under `field`); returns what applies it. */
  protected abstract checkOwnState(where: string, field: string, o: Record<string, unknown>): () => void;
}
