// torch.optim.lr_scheduler.ReduceLROnPlateau (torch 2.x): __init__, step, _reduce_lr, _is_better,
// _init_is_better, load_state_dict.

import { rangeError, typeError } from '../runtime/errors.js';
import { checkInteger } from '../runtime/validate.js';
import { checkOptimizer, type SchedulableOptimizer } from './lr-scheduler.js';
import {
  checkAnyNumber,
  checkArray,
  checkChoice,
  checkFinite,
  checkRate,
  fromJsonNumber,
  given,
  perGroup,
  readOptions,
  readState,
  toJsonNumber,
  type JsonNumber,
} from './options.js';

/** Whether a lower (`'min'`) or a higher (`'max'`) metric is an improvement. */
export type PlateauMode = 'min' | 'max';
/** Whether `threshold` is relative to the best metric (`'rel'`) or absolute (`'abs'`). */
export type ThresholdMode = 'rel' | 'abs';

/** Options of {@link ReduceLROnPlateau}, as torch's (camelCase). All optional. */
export interface ReduceLROnPlateauOptions {
  /** Default `'min'`. */
  mode?: PlateauMode;
  /** The factor the learning rate is multiplied by, in [0, 1). Default `0.1`. */
  factor?: number;
  /** The number of epochs without improvement tolerated before reducing. Default `10`. */
  patience?: number;
  /** The improvement that counts, >= 0 (see `thresholdMode`). Default `1e-4`. */
  threshold?: number;
  /** Default `'rel'`: an improvement beats `best * (1 ∓ threshold)`; `'abs'`: `best ∓ threshold`. */
  thresholdMode?: ThresholdMode;
  /** Epochs to wait after a reduction before counting bad epochs again. Default `0`. */
  cooldown?: number;
  /** The lowest learning rate: one for all groups or one per group. Default `0`. */
  minLr?: number | readonly number[];
  /** A reduction smaller than this is skipped. Default `1e-8`. */
  eps?: number;
}

/** {@link ReduceLROnPlateau.stateDict} (`best` is a string when infinite, as JSON has no Infinity). */
export interface ReduceLROnPlateauState {
  /** `'min'` or `'max'`: whether the metric should fall or rise (torch's `mode`). */
  mode: PlateauMode;
  /** The factor of each reduction (torch's `factor`). */
  factor: number;
  /** Steps without improvement before a reduction (torch's `patience`). */
  patience: number;
  /** How much better counts as better (torch's `threshold`). */
  threshold: number;
  /** `'rel'` or `'abs'` (torch's `threshold_mode`). */
  thresholdMode: ThresholdMode;
  /** Steps after a reduction before counting again (torch's `cooldown`). */
  cooldown: number;
  /** Each group's lowest lr (torch's `min_lrs`). */
  minLrs: number[];
  /** `minLr` when given as one number (torch's `default_min_lr`), else null. */
  defaultMinLr: number | null;
  /** The smallest change of lr applied (torch's `eps`). */
  eps: number;
  /** Steps taken (torch's `last_epoch`). */
  lastEpoch: number;
  /** Each group's lr after the last step (torch's `_last_lr`). */
  lastLr: number[];
  /** The best metric so far (torch's `best`; `Infinity`, `-Infinity` and NaN as JSON strings). */
  best: JsonNumber;
  /** Steps since the last improvement (torch's `num_bad_epochs`). */
  numBadEpochs: number;
  /** Steps of cooldown left (torch's `cooldown_counter`). */
  cooldownCounter: number;
}

const OPTION_KEYS = ['mode', 'factor', 'patience', 'threshold', 'thresholdMode', 'cooldown', 'minLr', 'eps'] as const;
const STATE_KEYS = [
  'mode',
  'factor',
  'patience',
  'threshold',
  'thresholdMode',
  'cooldown',
  'minLrs',
  'defaultMinLr',
  'eps',
  'lastEpoch',
  'lastLr',
  'best',
  'numBadEpochs',
  'cooldownCounter',
] as const;
const MODES: readonly PlateauMode[] = ['min', 'max'];
const THRESHOLD_MODES: readonly ThresholdMode[] = ['rel', 'abs'];

// torch: `if factor >= 1.0: raise ValueError("Factor should be < 1.0.")`; a negative factor would make negative rates.
const checkFactor = (where: string, field: string, value: unknown) => checkFinite(where, field, value, 'in [0, 1)', (v) => v >= 0 && v < 1);

/**
 * Reduces each group's learning rate by `factor` once a metric has stopped improving for more than
 * `patience` epochs, as torch's `ReduceLROnPlateau`: call `step(metric)` after each validation.
 * Unlike the other schedulers it does not set `initialLr` (neither does torch's).
 *
 * @example
 * ```ts
 * const sched = new ReduceLROnPlateau(opt, { mode: 'min', factor: 0.5, patience: 3 });
 * for (let epoch = 0; epoch < 100; epoch++) { train(); sched.step(validationLoss()); }
 * ```
 */
export class ReduceLROnPlateau {
  /** The optimizer whose groups' `lr` this scheduler writes. */
  readonly optimizer: SchedulableOptimizer;
  #mode: PlateauMode;
  #factor: number;
  #patience: number;
  #threshold: number;
  #thresholdMode: ThresholdMode;
  #cooldown: number;
  #minLrs: Float64Array;
  #defaultMinLr: number | null;
  #eps: number;
  #lastEpoch = 0;
  #lastLr: Float64Array;
  #best: number;
  #numBadEpochs = 0;
  #cooldownCounter = 0;
  /** The learning rates a reduction computes, written once all are known. */
  #next: Float64Array;

  constructor(optimizer: SchedulableOptimizer, options: ReduceLROnPlateauOptions = {}) {
    const where = 'ReduceLROnPlateau';
    checkOptimizer(where, optimizer);
    const o = readOptions(where, 'options', options, OPTION_KEYS);
    const groups = optimizer.paramGroups;
    this.#factor = checkFactor(where, 'factor', given(o.factor, 0.1));
    this.#mode = checkChoice(where, 'mode', given(o.mode, 'min'), MODES);
    this.#threshold = checkRate(where, 'threshold', given(o.threshold, 1e-4));
    this.#thresholdMode = checkChoice(where, 'thresholdMode', given(o.thresholdMode, 'rel'), THRESHOLD_MODES);
    this.#patience = checkInteger(where, 'patience', given(o.patience, 10), 0);
    this.#cooldown = checkInteger(where, 'cooldown', given(o.cooldown, 0), 0);
    this.#eps = checkRate(where, 'eps', given(o.eps, 1e-8));
    const minLr = given(o.minLr, 0);
    this.#minLrs = Float64Array.from(perGroup(where, 'minLr', minLr, groups.length, (f, v) => checkRate(where, f, v)));
    this.#defaultMinLr = Array.isArray(minLr) ? null : (minLr as number);
    this.optimizer = optimizer;
    this.#lastLr = Float64Array.from(groups, (group) => group.lr);
    this.#next = new Float64Array(groups.length);
    // `_reset()`: `self.best = self.mode_worse`
    this.#best = this.#modeWorse();
  }

  /** torch's `mode_worse`: the worst value for the mode. */
  #modeWorse(): number {
    return this.#mode === 'min' ? Infinity : -Infinity;
  }

  /** torch's `_is_better(a, best)`. */
  #isBetter(a: number, best: number): boolean {
    if (this.#mode === 'min' && this.#thresholdMode === 'rel') return a < best * (1.0 - this.#threshold);
    if (this.#mode === 'min') return a < best - this.#threshold;
    if (this.#thresholdMode === 'rel') return a > best * (this.#threshold + 1.0);
    return a > best + this.#threshold;
  }

  /**
   * Records `metric` (the validation loss, say) for one more epoch; reduces every group's learning
   * rate when it has not improved for more than `patience` epochs. NaN is a valid metric that is
   * never an improvement, as in torch.
   */
  step(metric: number): void {
    const where = 'ReduceLROnPlateau.step';
    // `current = float(metrics)`
    if (typeof metric !== 'number') throw typeError(where, 'metric', 'a number', metric);
    const groups = this.optimizer.paramGroups;
    for (let g = 0; g < groups.length; g++) {
      if (typeof groups[g].lr !== 'number') throw typeError(where, `optimizer.paramGroups[${g}].lr`, 'a number', groups[g].lr);
    }
    let best = this.#best;
    let numBadEpochs = this.#numBadEpochs;
    let cooldownCounter = this.#cooldownCounter;
    if (this.#isBetter(metric, best)) {
      best = metric;
      numBadEpochs = 0;
    } else {
      numBadEpochs += 1;
    }
    // `if self.in_cooldown: self.cooldown_counter -= 1; self.num_bad_epochs = 0`
    if (cooldownCounter > 0) {
      cooldownCounter -= 1;
      numBadEpochs = 0;
    }
    const reduce = numBadEpochs > this.#patience;
    if (reduce) {
      this.#reduceLr(where);
      cooldownCounter = this.#cooldown;
      numBadEpochs = 0;
    }
    this.#lastEpoch += 1;
    this.#best = best;
    this.#numBadEpochs = numBadEpochs;
    this.#cooldownCounter = cooldownCounter;
    if (this.#lastLr.length !== groups.length) this.#lastLr = new Float64Array(groups.length);
    for (let g = 0; g < groups.length; g++) this.#lastLr[g] = groups[g].lr;
  }

  /** torch's `_reduce_lr`: computes every new rate, then writes them. */
  #reduceLr(where: string): void {
    const groups = this.optimizer.paramGroups;
    let minLrs = this.#minLrs;
    if (groups.length !== minLrs.length) {
      if (this.#defaultMinLr === null) {
        // torch: RuntimeError "The number of param groups in the `optimizer` differs from when `ReduceLROnPlateau` was initialized"
        throw rangeError(where, 'optimizer.paramGroups.length', `${minLrs.length} (one per minLr given at construction)`, groups.length);
      }
      minLrs = new Float64Array(groups.length).fill(this.#defaultMinLr);
    }
    if (this.#next.length !== groups.length) this.#next = new Float64Array(groups.length);
    const next = this.#next;
    for (let g = 0; g < groups.length; g++) {
      const oldLr = groups[g].lr;
      // `new_lr = max(old_lr * self.factor, self.min_lrs[i])` (Python's max keeps the first unless the second is greater)
      const scaled = oldLr * this.#factor;
      const newLr = minLrs[g] > scaled ? minLrs[g] : scaled;
      // `if old_lr - new_lr > self.eps: param_group["lr"] = new_lr`
      next[g] = oldLr - newLr > this.#eps ? newLr : oldLr;
    }
    this.#minLrs = minLrs;
    for (let g = 0; g < groups.length; g++) groups[g].lr = next[g];
  }

  /** The learning rates after the last step, one per group (a new array; torch's `get_last_lr()`). */
  getLastLr(): number[] {
    return Array.from(this.#lastLr);
  }

  /** The number of `step(metric)` calls so far (torch's `last_epoch`). */
  get lastEpoch(): number {
    return this.#lastEpoch;
  }

  /** The best metric so far (`Infinity` for `'min'`, `-Infinity` for `'max'` before the first step). */
  get best(): number {
    return this.#best;
  }

  /** The state as plain JSON-serialisable data (torch's `state_dict()`). */
  stateDict(): ReduceLROnPlateauState {
    return {
      mode: this.#mode,
      factor: this.#factor,
      patience: this.#patience,
      threshold: this.#threshold,
      thresholdMode: this.#thresholdMode,
      cooldown: this.#cooldown,
      minLrs: Array.from(this.#minLrs),
      defaultMinLr: this.#defaultMinLr,
      eps: this.#eps,
      lastEpoch: this.#lastEpoch,
      lastLr: Array.from(this.#lastLr),
      best: toJsonNumber(this.#best),
      numBadEpochs: this.#numBadEpochs,
      cooldownCounter: this.#cooldownCounter,
    };
  }

  /**
   * Restores a saved {@link ReduceLROnPlateau.stateDict}, options included, and writes the saved
   * learning rates (`lastLr`) back to the groups, as the other schedulers' loadStateDict does (torch's
   * does not, which is harmless here: creating a ReduceLROnPlateau changes no lr). On any error
   * nothing changes.
   */
  loadStateDict(stateDict: ReduceLROnPlateauState): void {
    const where = 'ReduceLROnPlateau.loadStateDict';
    const groups = this.optimizer.paramGroups;
    const field = 'stateDict';
    const f = (key: string) => `${field}.${key}`;
    const o = readState(where, field, stateDict, STATE_KEYS);
    const rate = (name: string, v: unknown) => checkRate(where, name, v);
    const mode = checkChoice(where, f('mode'), o.mode, MODES);
    const factor = checkFactor(where, f('factor'), o.factor);
    const patience = checkInteger(where, f('patience'), o.patience, 0);
    const threshold = checkRate(where, f('threshold'), o.threshold);
    const thresholdMode = checkChoice(where, f('thresholdMode'), o.thresholdMode, THRESHOLD_MODES);
    const cooldown = checkInteger(where, f('cooldown'), o.cooldown, 0);
    const minLrs = checkArray(where, f('minLrs'), o.minLrs, undefined, rate);
    const defaultMinLr = o.defaultMinLr === null ? null : checkRate(where, f('defaultMinLr'), o.defaultMinLr);
    const eps = checkRate(where, f('eps'), o.eps);
    const lastEpoch = checkInteger(where, f('lastEpoch'), o.lastEpoch, 0);
    const lastLr = checkArray(where, f('lastLr'), o.lastLr, groups.length, (name, v) => checkAnyNumber(where, name, v));
    const best = fromJsonNumber(where, f('best'), o.best);
    const numBadEpochs = checkInteger(where, f('numBadEpochs'), o.numBadEpochs, 0);
    const cooldownCounter = checkInteger(where, f('cooldownCounter'), o.cooldownCounter, 0);
    this.#mode = mode;
    this.#factor = factor;
    this.#patience = patience;
    this.#threshold = threshold;
    this.#thresholdMode = thresholdMode;
    this.#cooldown = cooldown;
    this.#minLrs = Float64Array.from(minLrs);
    this.#defaultMinLr = defaultMinLr;
    this.#eps = eps;
    this.#lastEpoch = lastEpoch;
    this.#lastLr = Float64Array.from(lastLr);
    this.#best = best;
    this.#numBadEpochs = numBadEpochs;
    this.#cooldownCounter = cooldownCounter;
    for (let g = 0; g < groups.length; g++) groups[g].lr = lastLr[g];
  }
}
