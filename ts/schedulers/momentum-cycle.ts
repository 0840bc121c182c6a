// The momentum OneCycleLR and CyclicLR cycle inversely to the learning rate (torch 2.x): Adam's
// `betas[0]` when the optimizer's defaults have `betas`, else `momentum`, written into every group
// with each step's learning rates, and put back by loadStateDict.

import { typeError } from '../runtime/errors.js';
import { checkFinite } from './options.js';
import type { SchedulableOptimizer, SchedulerParamGroup } from './lr-scheduler.js';

/** A momentum: in [0, 1). */
export const checkMomentum = (where: string, field: string, value: unknown): number => checkFinite(where, field, value, 'in [0, 1)', (v) => v >= 0 && v < 1);

/**
 * torch: `use_beta1 = "betas" in optimizer.defaults`; without betas the optimizer must have a
 * `momentum` ("optimizer must support momentum or beta1 with `cycle_momentum` option enabled").
 */
export function usesBetas(where: string, optimizer: SchedulableOptimizer): boolean {
  const defaults = optimizer.defaults;
  if (defaults !== undefined && defaults !== null && 'betas' in defaults) return true;
  if (defaults !== undefined && defaults !== null && 'momentum' in defaults) return false;
  throw typeError(where, 'optimizer.defaults', 'an object with betas or momentum (cycleMomentum cycles one of them)', defaults);
}

/** Each group's `betas` is an array, whose beta1 the cycle replaces. */
export function checkBetasArrays(where: string, groups: readonly SchedulerParamGroup[]): void {
  groups.forEach((group, g) => {
    if (!Array.isArray(group.betas)) throw typeError(where, `optimizer.paramGroups[${g}].betas`, 'an array [beta1, beta2]', group.betas);
  });
}

/**
 * One cycled momentum per group: what a step computes (`next`), what the last step wrote (`last`),
 * and the `betas` arrays the scheduler gave the groups, updated in place while the groups keep them
 * (so a step allocates nothing; a group given a new `betas` by its user gets a fresh one next step).
 */
export class MomentumCycle {
  readonly next: Float64Array;
  readonly last: Float64Array;
  readonly #optimizer: SchedulableOptimizer;
  readonly #betas: unknown[][];

  constructor(optimizer: SchedulableOptimizer) {
    const groups = optimizer.paramGroups;
    this.#optimizer = optimizer;
    this.next = new Float64Array(groups.length);
    this.last = new Float64Array(groups.length);
    this.#betas = groups.map((group) => (Array.isArray(group.betas) ? (group.betas as unknown[]) : []));
  }

  /**
   * At construction: `group["betas"] = (m_momentum, *group["betas"][1:])` (or `group["momentum"] =
   * m_momentum`), `group["max_momentum"] = m_momentum`, `group["base_momentum"] = b_momentum`.
   */
  startGroup(group: SchedulerParamGroup, g: number, useBeta1: boolean, maxMomentum: number, baseMomentum: number): void {
    if (useBeta1) group.betas = this.#betas[g] = [maxMomentum, ...(group.betas as unknown[]).slice(1)];
    else group.momentum = maxMomentum;
    group.maxMomentum = maxMomentum;
    group.baseMomentum = baseMomentum;
  }

  /** After a step's rates are written: `last = next`, and `next` into the groups. */
  commit(where: string): void {
    this.last.set(this.next);
    this.write(where, this.next);
  }

  /** Each group's betas[0] (or momentum) = `momenta[g]` (`param_group["betas"] = (m, *param_group["betas"][1:])`). */
  write(where: string, momenta: Float64Array): void {
    const groups = this.#optimizer.paramGroups;
    const useBeta1 = usesBetas(where, this.#optimizer);
    for (let g = 0; g < groups.length; g++) {
      const group = groups[g];
      const momentum = momenta[g];
      if (!useBeta1) {
        group.momentum = momentum;
        continue;
      }
      const own = this.#betas[g];
      if (group.betas === own) {
        own[0] = momentum;
      } else {
        const fresh = [momentum, ...(group.betas as unknown[]).slice(1)];
        this.#betas[g] = fresh;
        group.betas = fresh;
      }
    }
  }
}
