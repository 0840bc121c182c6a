// The learning-rate schedules both demos offer (examples/train.mjs in Node, examples/web/ in the
// browser), built from lucid-optim's schedulers the way a PyTorch training script builds them:
//
//   warmup = LinearLR(opt, start_factor=0.01, end_factor=1, total_iters=N)
//   decay  = CosineAnnealingLR(opt, T_max=steps - N)      # or LinearLR(1 → 0.01), or nothing
//   sched  = SequentialLR(opt, [warmup, decay], milestones=[N])
//   for step in range(steps): loss.backward(); clip_grad_norm_(params, max_norm); opt.step(); sched.step()
//
// OneCycleLR has its own warm-up (the first 30% of its steps) and is used alone.

import { CosineAnnealingLR, LinearLR, OneCycleLR, SequentialLR } from 'lucid-optim';

/** The schedules, by the name the flag (`--schedule`) and the page's select use. */
export const SCHEDULES = Object.freeze(['none', 'cosine', 'onecycle', 'linear']);

/** The warm-up starts at this fraction of the learning rate (LinearLR's `startFactor`). */
export const WARMUP_START_FACTOR = 0.01;

/** The linear decay ends at this fraction of the learning rate (LinearLR's `endFactor`). */
export const LINEAR_END_FACTOR = 0.01;

/**
 * Why the warm-up of `{ schedule, warmup, steps }` cannot be, as the rule it breaks ("… must be
 * <rule>"), or undefined if it can be. `steps` is the schedule's length in optimizer steps;
 * `stepsName` is how the message names it.
 */
export function warmupProblem({ schedule, warmup, steps }, stepsName = `the schedule's length (${steps})`) {
  if (schedule === 'onecycle' && warmup !== 0) return '0 with the onecycle schedule (OneCycleLR warms up on its own, over its first 30% of steps)';
  if (warmup >= steps) return `less than ${stepsName}`;
  return undefined;
}

/**
 * The scheduler for `optimizer` (null for a constant learning rate), to step once after every
 * optimizer step. It takes each group's current `lr` as the peak. Throws a RangeError if
 * {@link warmupProblem} finds one.
 *
 * @param {import('lucid-optim').Adam} optimizer
 * @param {{ schedule: 'none' | 'cosine' | 'onecycle' | 'linear', warmup: number, steps: number }} options
 *   warmup: steps of linear warm-up first; steps: the whole schedule's length, warm-up included
 * @returns {import('lucid-optim').LRScheduler | null}
 */
export function makeScheduler(optimizer, { schedule, warmup, steps }) {
  const problem = warmupProblem({ schedule, warmup, steps });
  if (problem !== undefined) throw new RangeError(`warm-up must be ${problem}, got ${warmup}`);
  if (schedule === 'onecycle') {
    // torch: OneCycleLR(opt, max_lr=lr, total_steps=steps); it cycles Adam's beta1 (SGD's momentum) too
    // (0.95 ↔ 0.85). An optimizer with neither (Adagrad, Adadelta, ASGD, Rprop) needs cycle_momentum=False.
    const cycleMomentum = 'betas' in optimizer.defaults || 'momentum' in optimizer.defaults;
    return new OneCycleLR(optimizer, { maxLr: optimizer.paramGroups.map((group) => group.lr), totalSteps: steps, cycleMomentum });
  }
  // The warm-up is created first, as in a torch script: it records each group's initialLr.
  const warmupScheduler = warmup > 0 ? new LinearLR(optimizer, { startFactor: WARMUP_START_FACTOR, endFactor: 1, totalIters: warmup }) : null;
  let decay = null;
  if (schedule === 'cosine') decay = new CosineAnnealingLR(optimizer, { tMax: steps - warmup });
  if (schedule === 'linear') decay = new LinearLR(optimizer, { startFactor: 1, endFactor: LINEAR_END_FACTOR, totalIters: steps - warmup });
  // `--schedule none --warmup N`: LinearLR alone, whose factor stays 1 after its totalIters.
  if (decay === null) return warmupScheduler;
  if (warmupScheduler === null) return decay;
  return new SequentialLR(optimizer, { schedulers: [warmupScheduler, decay], milestones: [warmup] });
}

/** A short description of a schedule, e.g. "warm-up 20 + cosine over 200 steps" ("" for none). */
export function describeSchedule({ schedule, warmup, steps }) {
  const decay = { none: 'constant', cosine: 'cosine', onecycle: 'one-cycle', linear: 'linear decay' }[schedule];
  if (schedule === 'none') return warmup > 0 ? `warm-up ${warmup} + constant` : '';
  return `${warmup > 0 ? `warm-up ${warmup} + ` : ''}${decay} over ${steps} steps`;
}

/** How a scheduler is built, in PyTorch's terms (for the Node demo's header). */
export function scheduleRecipe({ schedule, warmup, steps, lr }) {
  const warm = `LinearLR(startFactor ${WARMUP_START_FACTOR}, endFactor 1, totalIters ${warmup})`;
  const decay = {
    cosine: `CosineAnnealingLR(tMax ${steps - warmup})`,
    linear: `LinearLR(startFactor 1, endFactor ${LINEAR_END_FACTOR}, totalIters ${steps - warmup})`,
    onecycle: `OneCycleLR(maxLr ${lr}, totalSteps ${steps}; beta1, or SGD's momentum, cycles 0.95 ↔ 0.85)`,
  }[schedule];
  if (decay === undefined) return warmup > 0 ? `${warm}, then constant` : 'constant';
  return warmup > 0 ? `SequentialLR([${warm}, ${decay}], milestones [${warmup}])` : decay;
}
