// torch.optim.lr_scheduler.OneCycleLR (torch 2.x): __init__, _annealing_cos, _annealing_linear, get_lr().

import { rangeError, typeError } from '../runtime/errors.js';
import { checkBoolean, checkInteger } from '../runtime/validate.js';
import { LRScheduler, checkOptimizer, type LRSchedulerState, type SchedulableOptimizer, type SchedulerParamGroup } from './lr-scheduler.js';
import { MomentumCycle, checkBetasArrays, checkMomentum, usesBetas } from './momentum-cycle.js';
import { checkArray, checkChoice, checkFinite, checkRate, given, perGroup, positive, readOptions } from './options.js';
import { PY, PY_X, cosInPlace } from './python-math.js';

/** How {@link OneCycleLR} moves between its phases' end points. */
export type AnnealStrategy = 'cos' | 'linear';

/** Options of {@link OneCycleLR}, as torch's (camelCase). Give `totalSteps`, or `epochs` and `stepsPerEpoch`. */
export interface OneCycleLROptions {
  /** The peak learning rate: one for all groups or one per group. Required. */
  maxLr: number | readonly number[];
  /** The number of steps in the cycle (takes precedence over `epochs * stepsPerEpoch`). */
  totalSteps?: number;
  /** With `stepsPerEpoch`: `totalSteps = epochs * stepsPerEpoch`. */
  epochs?: number;
  /** With `epochs`: `totalSteps = epochs * stepsPerEpoch`. */
  stepsPerEpoch?: number;
  /** The fraction of the cycle spent increasing the learning rate. Default `0.3`. */
  pctStart?: number;
  /** `'cos'` (default) or `'linear'` annealing. */
  annealStrategy?: AnnealStrategy;
  /** Cycle the momentum (Adam's `betas[0]`) inversely to the learning rate. Default `true`. */
  cycleMomentum?: boolean;
  /** The momentum at the peak learning rate: one for all groups or one per group. Default `0.85`. */
  baseMomentum?: number | readonly number[];
  /** The momentum at the start and end of the cycle: one for all groups or one per group. Default `0.95`. */
  maxMomentum?: number | readonly number[];
  /** `initialLr = maxLr / divFactor`. Default `25`. */
  divFactor?: number;
  /** `minLr = initialLr / finalDivFactor`. Default `1e4`. */
  finalDivFactor?: number;
  /** Three phases (up, down to `initialLr`, down to `minLr`) as in the paper, instead of fastai's two. Default `false`. */
  threePhase?: boolean;
}

/**
 * {@link OneCycleLR.stateDict}. `maxLr`, `minLr` and the momentum bounds live in the groups (the
 * optimizer's state dict); `lastMomentum` is the momentum the last step wrote (empty without
 * cycleMomentum), which loadStateDict writes back with the lr.
 */
export interface OneCycleLRState extends LRSchedulerState {
  /** Steps of the whole cycle (torch's `total_steps`). */
  totalSteps: number;
  /** The share of the cycle spent raising the lr (torch's `_schedule_phases`' first end). */
  pctStart: number;
  /** `'cos'` or `'linear'` (torch's `anneal_strategy`). */
  annealStrategy: AnnealStrategy;
  /** Whether the momentum (or `betas[0]`) cycles too (torch's `cycle_momentum`). */
  cycleMomentum: boolean;
  /** Whether the cycle has torch's third, annihilation phase (torch's `three_phase`). */
  threePhase: boolean;
  /** Each group's momentum (or `betas[0]`) after the last step; empty without `cycleMomentum`. */
  lastMomentum: number[];
}

const OPTION_KEYS = [
  'maxLr',
  'totalSteps',
  'epochs',
  'stepsPerEpoch',
  'pctStart',
  'annealStrategy',
  'cycleMomentum',
  'baseMomentum',
  'maxMomentum',
  'divFactor',
  'finalDivFactor',
  'threePhase',
] as const;
const STATE_KEYS = ['totalSteps', 'pctStart', 'annealStrategy', 'cycleMomentum', 'threePhase', 'lastMomentum'] as const;
const STRATEGIES: readonly AnnealStrategy[] = ['cos', 'linear'];

/**
 * The group keys the phases anneal between, by index (torch's `_schedule_phases` name them:
 * `"initial_lr"`, `"max_lr"`, ...). The step reads them by name into a Float64Array: a computed-key
 * read of a number property would box it, and a step allocates nothing.
 */
const GROUP_KEYS = ['initialLr', 'maxLr', 'minLr', 'maxMomentum', 'baseMomentum'] as const;
const INITIAL_LR = 0;
const MAX_LR = 1;
const MIN_LR = 2;
const MAX_MOMENTUM = 3;
const BASE_MOMENTUM = 4;

/** One of torch's `_schedule_phases`: its end step and the group keys (indices into GROUP_KEYS) it anneals between. */
interface Phase {
  endStep: number;
  startLr: number;
  endLr: number;
  startMomentum: number;
  endMomentum: number;
}

/** torch's `_schedule_phases`. */
function schedulePhases(totalSteps: number, pctStart: number, threePhase: boolean): Phase[] {
  if (threePhase) {
    return [
      { endStep: pctStart * totalSteps - 1, startLr: INITIAL_LR, endLr: MAX_LR, startMomentum: MAX_MOMENTUM, endMomentum: BASE_MOMENTUM },
      { endStep: 2 * pctStart * totalSteps - 2, startLr: MAX_LR, endLr: INITIAL_LR, startMomentum: BASE_MOMENTUM, endMomentum: MAX_MOMENTUM },
      { endStep: totalSteps - 1, startLr: INITIAL_LR, endLr: MIN_LR, startMomentum: MAX_MOMENTUM, endMomentum: MAX_MOMENTUM },
    ];
  }
  return [
    { endStep: pctStart * totalSteps - 1, startLr: INITIAL_LR, endLr: MAX_LR, startMomentum: MAX_MOMENTUM, endMomentum: BASE_MOMENTUM },
    { endStep: totalSteps - 1, startLr: MAX_LR, endLr: MIN_LR, startMomentum: BASE_MOMENTUM, endMomentum: MAX_MOMENTUM },
  ];
}

/** Reads a group's initialLr, maxLr, minLr (and the momenta) into `values`, checking they are numbers. */
function readGroupKeys(where: string, group: SchedulerParamGroup, g: number, values: Float64Array, momenta: boolean): void {
  const initialLr = group.initialLr;
  const maxLr = group.maxLr;
  const minLr = group.minLr;
  if (typeof initialLr !== 'number') throw typeError(where, `optimizer.paramGroups[${g}].initialLr`, 'a number', initialLr);
  if (typeof maxLr !== 'number') throw typeError(where, `optimizer.paramGroups[${g}].maxLr`, 'a number', maxLr);
  if (typeof minLr !== 'number') throw typeError(where, `optimizer.paramGroups[${g}].minLr`, 'a number', minLr);
  values[INITIAL_LR] = initialLr;
  values[MAX_LR] = maxLr;
  values[MIN_LR] = minLr;
  if (!momenta) return;
  const maxMomentum = group.maxMomentum;
  const baseMomentum = group.baseMomentum;
  if (typeof maxMomentum !== 'number') throw typeError(where, `optimizer.paramGroups[${g}].maxMomentum`, 'a number', maxMomentum);
  if (typeof baseMomentum !== 'number') throw typeError(where, `optimizer.paramGroups[${g}].baseMomentum`, 'a number', baseMomentum);
  values[MAX_MOMENTUM] = maxMomentum;
  values[BASE_MOMENTUM] = baseMomentum;
}

const checkPct = (where: string, field: string, value: unknown) => checkFinite(where, field, value, 'in [0, 1]', (v) => v >= 0 && v <= 1);
/**
 * The 1cycle policy: each group's learning rate rises from `maxLr / divFactor` to `maxLr` over the
 * first `pctStart` of `totalSteps`, then anneals to `initialLr / finalDivFactor`; with
 * `cycleMomentum` (the default), Adam's `betas[0]` moves inversely between `maxMomentum` and
 * `baseMomentum` (`betas[1]` is kept), as torch does. Creating the scheduler writes `initialLr`,
 * `maxLr`, `minLr` (and `maxMomentum`, `baseMomentum`) into each group, like torch.
 *
 * Step it once per batch; stepping past `totalSteps` throws a RangeError (changing nothing). With
 * `cycleMomentum`, the scheduler gives each group a `betas` array of its own and updates its first
 * entry in place, so a step allocates nothing; assigning `group.betas` yourself is fine (the next
 * step gives the group a new array).
 *
 * @example
 * ```ts
 * const sched = new OneCycleLR(opt, { maxLr: 0.01, epochs: 10, stepsPerEpoch: batches.length });
 * for (let epoch = 0; epoch < 10; epoch++) for (const batch of batches) { train(batch); opt.step(); sched.step(); }
 * ```
 */
export class OneCycleLR extends LRScheduler {
  #totalSteps!: number;
  #pctStart!: number;
  #threePhase!: boolean;
  #phases!: Phase[];
  #annealStrategy!: AnnealStrategy;
  #cycleMomentum!: boolean;
  /** The momentum each step computes and writes with the learning rates. */
  readonly #momentum: MomentumCycle;
  /** A group's initialLr, maxLr, minLr, maxMomentum, baseMomentum (GROUP_KEYS order) during a step. */
  readonly #groupValues = new Float64Array(GROUP_KEYS.length);

  constructor(optimizer: SchedulableOptimizer, options: OneCycleLROptions) {
    const where = 'OneCycleLR';
    checkOptimizer(where, optimizer);
    const o = readOptions(where, 'options', options, OPTION_KEYS);
    const groups = optimizer.paramGroups;
    const n = groups.length;
    let totalSteps: number;
    if (o.totalSteps !== undefined) {
      totalSteps = checkInteger(where, 'totalSteps', o.totalSteps, 1);
    } else if (o.epochs !== undefined && o.stepsPerEpoch !== undefined) {
      const epochs = checkInteger(where, 'epochs', o.epochs, 1);
      const stepsPerEpoch = checkInteger(where, 'stepsPerEpoch', o.stepsPerEpoch, 1);
      totalSteps = checkInteger(where, 'epochs * stepsPerEpoch', epochs * stepsPerEpoch, 1);
    } else {
      // torch: "You must define either total_steps OR (epochs AND steps_per_epoch)" (ValueError)
      const missing = o.epochs === undefined ? 'epochs' : 'stepsPerEpoch';
      throw typeError(where, o.epochs === undefined && o.stepsPerEpoch === undefined ? 'totalSteps' : missing, 'given (totalSteps, or epochs and stepsPerEpoch)', undefined);
    }
    const pctStart = checkPct(where, 'pctStart', given(o.pctStart, 0.3));
    const annealStrategy = checkChoice(where, 'annealStrategy', given(o.annealStrategy, 'cos'), STRATEGIES);
    const cycleMomentum = checkBoolean(where, 'cycleMomentum', given(o.cycleMomentum, true));
    const maxLrs = perGroup(where, 'maxLr', o.maxLr, n, (f, v) => checkRate(where, f, v));
    const baseMomentums = perGroup(where, 'baseMomentum', given(o.baseMomentum, 0.85), n, (f, v) => checkMomentum(where, f, v));
    const maxMomentums = perGroup(where, 'maxMomentum', given(o.maxMomentum, 0.95), n, (f, v) => checkMomentum(where, f, v));
    const divFactor = checkFinite(where, 'divFactor', given(o.divFactor, 25), 'a finite number > 0', positive);
    const finalDivFactor = checkFinite(where, 'finalDivFactor', given(o.finalDivFactor, 1e4), 'a finite number > 0', positive);
    const threePhase = checkBoolean(where, 'threePhase', given(o.threePhase, false));
    const useBeta1 = cycleMomentum && usesBetas(where, optimizer);
    if (useBeta1) checkBetasArrays(where, groups);
    super(where, optimizer);
    this.#setCycle(totalSteps, pctStart, threePhase, annealStrategy, cycleMomentum);
    this.#momentum = new MomentumCycle(optimizer);
    this.initialize(() => {
      groups.forEach((group, g) => {
        // `group["initial_lr"] = max_lrs[idx] / div_factor` (overwritten, unlike other schedulers)
        group.initialLr = maxLrs[g] / divFactor;
        group.maxLr = maxLrs[g];
        group.minLr = (group.initialLr as number) / finalDivFactor;
        if (cycleMomentum) this.#momentum.startGroup(group, g, useBeta1, maxMomentums[g], baseMomentums[g]);
      });
    });
  }

  protected computeLr(where: string, out: Float64Array): void {
    const groups = this.optimizer.paramGroups;
    const step = this._lastEpoch;
    const total = this.#totalSteps;
    if (step > total) {
      // torch: "Tried to step {step_num} times. The specified number of total steps is {total_steps}" (ValueError)
      throw rangeError(where, 'the step number', `at most totalSteps (${total}); the cycle is over`, step);
    }
    const phases = this.#phases;
    const cycle = this.#cycleMomentum;
    const cosine = this.#annealStrategy === 'cos';
    const useBeta1 = cycle && usesBetas(where, this.optimizer);
    for (let g = 0; g < out.length; g++) {
      const group = groups[g];
      let startStep = 0.0;
      for (let i = 0; i < phases.length; i++) {
        const phase = phases[i];
        const endStep = phase.endStep;
        if (step <= endStep || i === phases.length - 1) {
          // Python raises ZeroDivisionError for a phase of no steps (e.g. pctStart * totalSteps == 1).
          if (endStep - startStep === 0) {
            throw rangeError(where, `phase ${i} of the cycle (pctStart ${this.#pctStart}, totalSteps ${total})`, 'longer than 0 steps', endStep - startStep);
          }
          const pct = (step - startStep) / (endStep - startStep);
          // _annealing_cos: `cos_out = math.cos(math.pi * pct) + 1; return end + (start - end) / 2.0 * cos_out`
          // _annealing_linear: `(end - start) * pct + start`
          // (written out here, and the cosine computed once for lr and momentum: a step allocates nothing)
          PY[PY_X] = Math.PI * pct;
          if (cosine) cosInPlace(); // through registers: no double crosses a call (python-math.ts)
          const cosOut = cosine ? PY[PY_X] + 1 : 0;
          // `group[phase["start_lr"]]`, `group[phase["end_lr"]]`, ...
          const values = this.#groupValues;
          readGroupKeys(where, group, g, values, cycle);
          const startLr = values[phase.startLr];
          const endLr = values[phase.endLr];
          out[g] = cosine ? endLr + ((startLr - endLr) / 2.0) * cosOut : (endLr - startLr) * pct + startLr;
          if (cycle) {
            const start = values[phase.startMomentum];
            const end = values[phase.endMomentum];
            this.#momentum.next[g] = cosine ? end + ((start - end) / 2.0) * cosOut : (end - start) * pct + start;
            if (useBeta1 && !Array.isArray(group.betas)) {
              throw typeError(where, `optimizer.paramGroups[${g}].betas`, 'an array [beta1, beta2]', group.betas);
            }
          }
          break;
        }
        startStep = phase.endStep;
      }
    }
  }

  protected override commit(): void {
    super.commit();
    if (this.#cycleMomentum) this.#momentum.commit(this._stepWhere);
  }

  /** @internal The lr, and the momentum the last step wrote. */
  override _restoreGroups(): void {
    super._restoreGroups();
    if (this.#cycleMomentum) this.#momentum.write(this._stepWhere, this.#momentum.last);
  }

  /** The cycle's shape (set by the constructor and by loadStateDict): its phases follow from it. */
  #setCycle(totalSteps: number, pctStart: number, threePhase: boolean, annealStrategy: AnnealStrategy, cycleMomentum: boolean): void {
    this.#totalSteps = totalSteps;
    this.#pctStart = pctStart;
    this.#threePhase = threePhase;
    this.#phases = schedulePhases(totalSteps, pctStart, threePhase);
    this.#annealStrategy = annealStrategy;
    this.#cycleMomentum = cycleMomentum;
  }

  override stateDict(): OneCycleLRState {
    return super.stateDict() as OneCycleLRState;
  }

  override loadStateDict(stateDict: OneCycleLRState): void {
    super.loadStateDict(stateDict);
  }

  protected ownState(): Record<string, unknown> {
    return {
      totalSteps: this.#totalSteps,
      pctStart: this.#pctStart,
      annealStrategy: this.#annealStrategy,
      cycleMomentum: this.#cycleMomentum,
      threePhase: this.#threePhase,
      lastMomentum: this.#cycleMomentum ? Array.from(this.#momentum.last) : [],
    };
  }

  protected ownStateKeys(): readonly string[] {
    return STATE_KEYS;
  }

  protected checkOwnState(where: string, field: string, o: Record<string, unknown>): () => void {
    const totalSteps = checkInteger(where, `${field}.totalSteps`, o.totalSteps, 1);
    const pctStart = checkPct(where, `${field}.pctStart`, o.pctStart);
    const annealStrategy = checkChoice(where, `${field}.annealStrategy`, o.annealStrategy, STRATEGIES);
    const cycleMomentum = checkBoolean(where, `${field}.cycleMomentum`, o.cycleMomentum);
    const threePhase = checkBoolean(where, `${field}.threePhase`, o.threePhase);
    const momenta = cycleMomentum ? this._lastLr.length : 0;
    const lastMomentum = checkArray(where, `${field}.lastMomentum`, o.lastMomentum, momenta, (f, v) => checkMomentum(where, f, v));
    if (cycleMomentum && usesBetas(where, this.optimizer)) checkBetasArrays(where, this.optimizer.paramGroups);
    return () => {
      if (cycleMomentum) this.#momentum.last.set(lastMomentum);
      this.#setCycle(totalSteps, pctStart, threePhase, annealStrategy, cycleMomentum);
    };
  }
}
