// torch.optim.lr_scheduler.CyclicLR (torch 2.x): __init__, _init_scale_fn, the three scale
// functions, get_lr(), state_dict() and load_state_dict().

import { typeError } from '../runtime/errors.js';
import { checkBoolean, checkInteger } from '../runtime/validate.js';
import { LRScheduler, checkOptimizer, type LRSchedulerState, type SchedulableOptimizer } from './lr-scheduler.js';
import { MomentumCycle, checkBetasArrays, checkMomentum, usesBetas } from './momentum-cycle.js';
import { checkAnyNumber, checkArray, checkChoice, checkFinite, checkFunction, checkRate, given, perGroup, positive, readOptions } from './options.js';
import { PY, PY_X, PY_Y, powInPlace } from './python-math.js';

/** The built-in cycles: a constant amplitude, halved every cycle, or scaled by `gamma ** iteration`. */
export type CyclicMode = 'triangular' | 'triangular2' | 'exp_range';
/** What `scaleFn` is given: the cycle number (from 1) or the iteration. */
export type CyclicScaleMode = 'cycle' | 'iterations';

/** Options of {@link CyclicLR}, as torch's (camelCase). */
export interface CyclicLROptions {
  /** The lower bound of the cycle: one for all groups or one per group. Required. */
  baseLr: number | readonly number[];
  /** The upper bound of the cycle: one for all groups or one per group. Required. */
  maxLr: number | readonly number[];
  /** Steps from `baseLr` up to `maxLr`. Default `2000`. */
  stepSizeUp?: number;
  /** Steps back down (default: `stepSizeUp`). */
  stepSizeDown?: number | null;
  /** `'triangular'` (default), `'triangular2'` or `'exp_range'`; ignored when `scaleFn` is given. */
  mode?: CyclicMode;
  /** `exp_range`'s base: the amplitude is scaled by `gamma ** iteration`. Default `1`. */
  gamma?: number;
  /** Your own amplitude scale, given the cycle or the iteration (`scaleMode`); replaces `mode`. */
  scaleFn?: ((x: number) => number) | null;
  /** What `scaleFn` is given. Default `'cycle'`. */
  scaleMode?: CyclicScaleMode;
  /** Cycle the momentum (Adam's `betas[0]`, SGD's `momentum`) inversely to the learning rate. Default `true`. */
  cycleMomentum?: boolean;
  /** The momentum at the peak learning rate: one for all groups or one per group. Default `0.8`. */
  baseMomentum?: number | readonly number[];
  /** The momentum at `baseLr`: one for all groups or one per group. Default `0.9`. */
  maxMomentum?: number | readonly number[];
}

/**
 * {@link CyclicLR.stateDict}: torch's `max_lrs`, `total_size`, `step_ratio`, `mode`, `gamma`,
 * `scale_mode`, `cycle_momentum`, `base_momentums`, `max_momentums`, and `scaleFn` (always `null`:
 * functions are not saved; the scheduler keeps its own), plus `lastMomentum`, the momentum the last
 * step wrote, which loadStateDict writes back with the lr.
 */
export interface CyclicLRState extends LRSchedulerState {
  /** Each group's highest lr (torch's `max_lrs`). */
  maxLrs: number[];
  /** Steps of one cycle (torch's `total_size`). */
  totalSize: number;
  /** The share of a cycle spent rising (torch's `step_ratio`). */
  stepRatio: number;
  /** `'triangular'`, `'triangular2'` or `'exp_range'` (torch's `mode`). */
  mode: string;
  /** The base of `'exp_range'`'s decay (torch's `gamma`). */
  gamma: number;
  /** Whether the scale reads the cycle or the step (torch's `scale_mode`). */
  scaleMode: CyclicScaleMode;
  /** Always null: a custom scale function is not saved, as in torch (`_scale_fn_custom`). */
  scaleFn: null;
  /** Whether the momentum (or `betas[0]`) cycles too (torch's `cycle_momentum`). */
  cycleMomentum: boolean;
  /** Each group's lowest momentum (torch's `base_momentums`). */
  baseMomentums: number[];
  /** Each group's highest momentum (torch's `max_momentums`). */
  maxMomentums: number[];
  /** Each group's momentum (or `betas[0]`) after the last step; empty without `cycleMomentum`. */
  lastMomentum: number[];
}

const KEYS = ['baseLr', 'maxLr', 'stepSizeUp', 'stepSizeDown', 'mode', 'gamma', 'scaleFn', 'scaleMode', 'cycleMomentum', 'baseMomentum', 'maxMomentum'] as const;
const STATE_KEYS = ['maxLrs', 'totalSize', 'stepRatio', 'mode', 'gamma', 'scaleMode', 'scaleFn', 'cycleMomentum', 'baseMomentums', 'maxMomentums', 'lastMomentum'] as const;
const MODES: readonly CyclicMode[] = ['triangular', 'triangular2', 'exp_range'];
const SCALE_MODES: readonly CyclicScaleMode[] = ['cycle', 'iterations'];

/** torch's `_init_scale_fn`: the built-in modes fix the scale mode. */
const builtInScaleMode = (mode: CyclicMode): CyclicScaleMode => (mode === 'exp_range' ? 'iterations' : 'cycle');

/**
 * The cyclical learning rate policy (Smith, 2017), as torch's `CyclicLR`: each group's learning
 * rate goes from `baseLr` up to `maxLr` over `stepSizeUp` steps and back over `stepSizeDown`, the
 * amplitude scaled per `mode` (or your `scaleFn`); with `cycleMomentum` (the default) the momentum
 * (Adam's `betas[0]`, or SGD's and RMSprop's `momentum`) moves the other way, between `maxMomentum`
 * and `baseMomentum`. Creating it sets each group's lr to `baseLr` and writes `maxMomentum` and
 * `baseMomentum` into each group, as torch. Step it once per batch.
 *
 * @example
 * ```ts
 * const opt = new SGD(params, { lr: 0.01, momentum: 0.9 });
 * const sched = new CyclicLR(opt, { baseLr: 0.01, maxLr: 0.1, stepSizeUp: 500, mode: 'triangular2' });
 * ```
 */
export class CyclicLR extends LRScheduler {
  #maxLrs: Float64Array;
  #totalSize!: number;
  #stepRatio!: number;
  #mode!: string;
  #gamma!: number;
  #scaleMode!: CyclicScaleMode;
  readonly #scaleFn: ((x: number) => number) | null;
  #cycleMomentum: boolean;
  readonly #baseMomentums: Float64Array;
  readonly #maxMomentums: Float64Array;
  readonly #momentum: MomentumCycle;

  constructor(optimizer: SchedulableOptimizer, options: CyclicLROptions) {
    const where = 'CyclicLR';
    checkOptimizer(where, optimizer);
    const o = readOptions(where, 'options', options, KEYS);
    const groups = optimizer.paramGroups;
    const n = groups.length;
    const baseLrs = perGroup(where, 'baseLr', o.baseLr, n, (f, v) => checkRate(where, f, v));
    const maxLrs = perGroup(where, 'maxLr', o.maxLr, n, (f, v) => checkRate(where, f, v));
    const stepSizeUp = checkInteger(where, 'stepSizeUp', given(o.stepSizeUp, 2000), 1);
    const stepSizeDown = o.stepSizeDown === undefined || o.stepSizeDown === null ? stepSizeUp : checkInteger(where, 'stepSizeDown', o.stepSizeDown, 0);
    const scaleFn = o.scaleFn === undefined || o.scaleFn === null ? null : checkFunction<(x: number) => number>(where, 'scaleFn', o.scaleFn);
    // torch: "mode is invalid and scale_fn is None" (ValueError); with a scaleFn, mode is not used.
    const mode = scaleFn === null ? checkChoice(where, 'mode', given(o.mode, 'triangular'), MODES) : String(given(o.mode, 'triangular'));
    const gamma = checkFinite(where, 'gamma', given(o.gamma, 1.0), 'a finite number > 0', positive);
    const scaleMode = checkChoice(where, 'scaleMode', given(o.scaleMode, 'cycle'), SCALE_MODES);
    const cycleMomentum = checkBoolean(where, 'cycleMomentum', given(o.cycleMomentum, true));
    const useBeta1 = cycleMomentum && usesBetas(where, optimizer);
    if (useBeta1) checkBetasArrays(where, groups);
    const baseMomentums = cycleMomentum ? perGroup(where, 'baseMomentum', given(o.baseMomentum, 0.8), n, (f, v) => checkMomentum(where, f, v)) : [];
    const maxMomentums = cycleMomentum ? perGroup(where, 'maxMomentum', given(o.maxMomentum, 0.9), n, (f, v) => checkMomentum(where, f, v)) : [];
    super(where, optimizer);
    this.#maxLrs = Float64Array.from(maxLrs);
    // `step_size_up = float(step_size_up)`; `total_size = step_size_up + step_size_down`; `step_ratio = step_size_up / total_size`
    this.#setCycle(stepSizeUp + stepSizeDown, stepSizeUp / (stepSizeUp + stepSizeDown), mode, gamma, scaleFn === null ? builtInScaleMode(mode as CyclicMode) : scaleMode);
    this.#scaleFn = scaleFn;
    this.#cycleMomentum = cycleMomentum;
    this.#baseMomentums = Float64Array.from(baseMomentums);
    this.#maxMomentums = Float64Array.from(maxMomentums);
    this.#momentum = new MomentumCycle(optimizer);
    this.initialize(() => {
      groups.forEach((group, g) => {
        group.lr = baseLrs[g]; // `_update_param_group_val(group, "lr", lr)`
        if (cycleMomentum) this.#momentum.startGroup(group, g, useBeta1, maxMomentums[g], baseMomentums[g]);
      });
    });
    // torch sets `self.base_lrs = base_lrs` after LRScheduler.__init__ (whose initial step used the
    // groups' initial_lr, which is baseLr unless a group already had one).
    this._baseLrs.set(baseLrs);
  }

  #setCycle(totalSize: number, stepRatio: number, mode: string, gamma: number, scaleMode: CyclicScaleMode): void {
    this.#totalSize = totalSize;
    this.#stepRatio = stepRatio;
    this.#mode = mode;
    this.#gamma = gamma;
    this.#scaleMode = scaleMode;
  }

  protected computeLr(where: string, out: Float64Array): void {
    const epoch = this._lastEpoch;
    const cycle = Math.floor(1 + epoch / this.#totalSize);
    const x = 1.0 + epoch / this.#totalSize - cycle;
    const ratio = this.#stepRatio;
    const scaleFactor = x <= ratio ? x / ratio : (x - 1) / (ratio - 1);
    // torch's `scale_fn(cycle)` or `scale_fn(self.last_epoch)`: the user's, or the mode's
    // (`1.0`, `1 / (2.0 ** (x - 1))`, `gamma**x`; the power through python-math's registers, so
    // that a step allocates nothing).
    const arg = this.#scaleMode === 'cycle' ? cycle : epoch;
    let scale = 1.0;
    if (this.#scaleFn !== null) {
      const value: unknown = this.#scaleFn(arg);
      if (typeof value !== 'number') throw typeError(where, `scaleFn(${arg})`, 'a number', value);
      scale = value;
    } else if (this.#mode === 'triangular2') {
      PY[PY_X] = 2.0;
      PY[PY_Y] = arg - 1;
      powInPlace();
      scale = 1 / PY[PY_X];
    } else if (this.#mode === 'exp_range') {
      PY[PY_X] = this.#gamma;
      PY[PY_Y] = arg;
      powInPlace();
      scale = PY[PY_X];
    }
    for (let g = 0; g < out.length; g++) {
      const baseLr = this._baseLrs[g];
      out[g] = baseLr + (this.#maxLrs[g] - baseLr) * scaleFactor * scale;
    }
    if (!this.#cycleMomentum) return;
    for (let g = 0; g < out.length; g++) {
      const maxMomentum = this.#maxMomentums[g];
      this.#momentum.next[g] = maxMomentum - (maxMomentum - this.#baseMomentums[g]) * scaleFactor * scale;
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

  override stateDict(): CyclicLRState {
    return super.stateDict() as CyclicLRState;
  }

  override loadStateDict(stateDict: CyclicLRState): void {
    super.loadStateDict(stateDict);
  }

  protected ownState(): Record<string, unknown> {
    return {
      maxLrs: Array.from(this.#maxLrs),
      totalSize: this.#totalSize,
      stepRatio: this.#stepRatio,
      mode: this.#mode,
      gamma: this.#gamma,
      scaleMode: this.#scaleMode,
      scaleFn: null,
      cycleMomentum: this.#cycleMomentum,
      baseMomentums: Array.from(this.#baseMomentums),
      maxMomentums: Array.from(this.#maxMomentums),
      lastMomentum: this.#cycleMomentum ? Array.from(this.#momentum.last) : [],
    };
  }

  protected ownStateKeys(): readonly string[] {
    return STATE_KEYS;
  }

  protected checkOwnState(where: string, field: string, o: Record<string, unknown>): () => void {
    const n = this._lastLr.length;
    const maxLrs = checkArray(where, `${field}.maxLrs`, o.maxLrs, n, (f, v) => checkAnyNumber(where, f, v));
    const totalSize = checkFinite(where, `${field}.totalSize`, o.totalSize, 'a finite number > 0', positive);
    const stepRatio = checkFinite(where, `${field}.stepRatio`, o.stepRatio, 'in (0, 1]', (v) => v > 0 && v <= 1);
    const mode = this.#scaleFn === null ? checkChoice(where, `${field}.mode`, o.mode, MODES) : String(o.mode);
    const gamma = checkFinite(where, `${field}.gamma`, o.gamma, 'a finite number > 0', positive);
    const scaleMode = checkChoice(where, `${field}.scaleMode`, o.scaleMode, SCALE_MODES);
    if (o.scaleFn !== null) throw typeError(where, `${field}.scaleFn`, 'null (functions are not saved; the scheduler keeps its own)', o.scaleFn);
    const cycleMomentum = checkBoolean(where, `${field}.cycleMomentum`, o.cycleMomentum);
    if (cycleMomentum !== this.#cycleMomentum) {
      throw typeError(where, `${field}.cycleMomentum`, `${this.#cycleMomentum} (as this scheduler was created)`, cycleMomentum);
    }
    const momenta = cycleMomentum ? n : 0;
    const momentum = (f: string, v: unknown) => checkMomentum(where, f, v);
    const baseMomentums = checkArray(where, `${field}.baseMomentums`, o.baseMomentums, momenta, momentum);
    const maxMomentums = checkArray(where, `${field}.maxMomentums`, o.maxMomentums, momenta, momentum);
    const lastMomentum = checkArray(where, `${field}.lastMomentum`, o.lastMomentum, momenta, momentum);
    if (cycleMomentum && usesBetas(where, this.optimizer)) checkBetasArrays(where, this.optimizer.paramGroups);
    return () => {
      this.#maxLrs.set(maxLrs);
      // torch's load_state_dict ends with `_init_scale_fn()`: a built-in mode fixes the scale mode.
      this.#setCycle(totalSize, stepRatio, mode, gamma, this.#scaleFn === null ? builtInScaleMode(mode as CyclicMode) : scaleMode);
      this.#baseMomentums.set(baseMomentums);
      this.#maxMomentums.set(maxMomentums);
      this.#momentum.last.set(lastMomentum);
    };
  }
}
