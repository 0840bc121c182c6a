// torch.optim.lr_scheduler.LambdaLR (torch 2.x): get_lr(), state_dict() and load_state_dict(); and what it
// shares with MultiplicativeLR (multiplicative-lr.ts): the lambdas option and their state.

import { rangeError, typeError } from '../runtime/errors.js';
import { LRScheduler, checkOptimizer, type LRSchedulerState, type SchedulableOptimizer } from './lr-scheduler.js';
import { checkArray, checkFunction, readOptions } from './options.js';

/** A factor of the initial learning rate, given the epoch (0 at construction). */
export type LrLambda = (epoch: number) => number;

/** Options of {@link LambdaLR}, as torch's (camelCase). */
export interface LambdaLROptions {
  /** One function for every group, or one per group. Required. */
  lrLambda: LrLambda | readonly LrLambda[];
}

/**
 * {@link LambdaLR.stateDict}: as torch, no functions are saved (`lrLambdas` holds one `null` per
 * group); the scheduler you load into keeps its own.
 */
export interface LambdaLRState extends LRSchedulerState {
  /** One entry per group; functions are not saved, as in torch (`lr_lambdas`: None for a function). */
  lrLambdas: null[];
}

const KEYS = ['lrLambda'] as const;
const STATE_KEYS = ['lrLambdas'] as const;

/**
 * What LambdaLR and MultiplicativeLR share: the `lrLambda` option (one function for every group,
 * or one per group), its call, and a state dict that saves no functions (`lrLambdas`, one `null`
 * per group), as torch's.
 */
export abstract class LambdaScheduler extends LRScheduler {
  readonly #lambdas: LrLambda[];
  /** One function for every group (errors then name `lrLambda`, not `lrLambda[g]`). */
  readonly #single: boolean;

  protected constructor(where: string, optimizer: SchedulableOptimizer, options: { lrLambda: LrLambda | readonly LrLambda[] }) {
    checkOptimizer(where, optimizer);
    const { lrLambda } = readOptions(where, 'options', options, KEYS);
    const groups = optimizer.paramGroups.length;
    let lambdas: LrLambda[];
    if (Array.isArray(lrLambda)) {
      // torch: `Expected {len(optimizer.param_groups)} lr_lambdas, but got {len(lr_lambda)}` (ValueError)
      lambdas = checkArray(where, 'lrLambda', lrLambda, groups, (f, fn) => checkFunction<LrLambda>(where, f, fn));
    } else {
      const fn = checkFunction<LrLambda>(where, 'lrLambda', lrLambda);
      lambdas = Array.from({ length: groups }, () => fn);
    }
    super(where, optimizer);
    this.#lambdas = lambdas;
    this.#single = !Array.isArray(lrLambda);
  }

  /** Group g's function at `epoch`, which must return a number. */
  protected factor(where: string, g: number, epoch: number): number {
    const factor: unknown = this.#lambdas[g](epoch);
    if (typeof factor !== 'number') throw typeError(where, `${this.#single ? 'lrLambda' : `lrLambda[${g}]`}(${epoch})`, 'a number', factor);
    return factor;
  }

  protected ownState(): Record<string, unknown> {
    return { lrLambdas: this.#lambdas.map(() => null) };
  }

  protected ownStateKeys(): readonly string[] {
    return STATE_KEYS;
  }

  protected checkOwnState(where: string, field: string, o: Record<string, unknown>): () => void {
    checkArray(where, `${field}.lrLambdas`, o.lrLambdas, this.#lambdas.length, (f, item) => {
      if (item !== null) throw rangeError(where, f, 'null (functions are not saved; the scheduler keeps its own)', item);
      return item;
    });
    return () => {};
  }
}

/**
 * Sets each group's learning rate to `initialLr * lrLambda(epoch)`.
 *
 * Note: JavaScript's `**` and `Math.pow` are not Python's (they differ in the last bit for a few
 * percent of arguments), so `e => 0.95 ** e` is not bit for bit the `lambda e: 0.95 ** e` of a
 * PyTorch script; `e => Math.min(1, (e + 1) / 10)` is.
 *
 * @example
 * ```ts
 * const warmup = 100;
 * const sched = new LambdaLR(opt, { lrLambda: (e) => Math.min(1, (e + 1) / warmup) });
 * ```
 */
export class LambdaLR extends LambdaScheduler {
  constructor(optimizer: SchedulableOptimizer, options: LambdaLROptions) {
    super('LambdaLR', optimizer, options);
    this.initialize();
  }

  protected computeLr(where: string, out: Float64Array): void {
    // `base_lr * lmbda(self.last_epoch)`
    for (let g = 0; g < out.length; g++) out[g] = this._baseLrs[g] * this.factor(where, g, this._lastEpoch);
  }

  override stateDict(): LambdaLRState {
    return super.stateDict() as LambdaLRState;
  }

  override loadStateDict(stateDict: LambdaLRState): void {
    super.loadStateDict(stateDict);
  }
}
