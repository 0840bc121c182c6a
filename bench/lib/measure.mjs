// Timing: warm every contestant up, size a batch of steps per contestant so that one batch lasts
// at least `minBatchMs`, then take `reps` rounds in which every contestant runs one batch, in an
// order rotated each round. Contestants of a case are measured interleaved, so that a machine that
// gets busier (it is shared) slows all of them alike and their ratios stay meaningful.
//
// No model takes more than `maxStepsPerModel` steps: past that it is replaced by a fresh one
// (untimed, and its first step, which creates the optimizer state, untimed too). With a fixed
// gradient and weight decay, Adam reaches the exact fixed point where g = grad + wd * p is 0 in
// f32 after some 10^4 steps; the moments then decay into subnormals, which slow every divider down
// (84% of them subnormal after 10^5 steps of the 1K case): a regime of this synthetic problem, not
// of training, that would otherwise decide the small cases' results.

/** The median of a list of numbers. */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * @param {Array<() => Promise<{activate?: () => unknown, run: (steps: number) => number | Promise<number>, dispose: () => unknown}>>} factories
 *   each makes a fresh model of one contestant; `run(k)` takes k steps and returns their milliseconds
 * @returns per contestant: `{ batch, samples }`, samples in milliseconds per step
 */
export async function measure(factories, { reps, warmupMs, minWarmupSteps, minBatchMs, maxStepsPerModel }) {
  const slots = [];
  for (const create of factories) slots.push({ create, instance: await create(), steps: 0, batch: 1 });
  /** k timed steps of a slot's model, replacing the model first if it would pass the limit. */
  const run = async (slot, k) => {
    await slot.instance.activate?.();
    if (slot.steps + k > maxStepsPerModel) {
      await slot.instance.dispose();
      slot.instance = await slot.create();
      await slot.instance.activate?.();
      await slot.instance.run(1);
      slot.steps = 1;
    }
    const ms = await slot.instance.run(k);
    slot.steps += k;
    return ms;
  };
  for (const slot of slots) {
    // Batches of 1, 2, 4, ... steps until warm (the first step also allocates the state).
    let steps = 0;
    let elapsed = 0;
    let perStep = Infinity;
    for (let k = 1; steps < minWarmupSteps || elapsed < warmupMs; k = Math.min(2 * k, maxStepsPerModel - 1)) {
      const ms = await run(slot, k);
      steps += k;
      elapsed += ms;
      perStep = ms / k;
    }
    slot.batch = Math.min(maxStepsPerModel - 1, Math.max(1, Math.ceil(minBatchMs / Math.max(perStep, 1e-6))));
  }
  const samples = slots.map(() => []);
  for (let rep = 0; rep < reps; rep++) {
    for (let j = 0; j < slots.length; j++) {
      const i = (j + rep) % slots.length;
      const ms = await run(slots[i], slots[i].batch);
      samples[i].push(ms / slots[i].batch);
    }
  }
  for (const slot of slots) await slot.instance.dispose();
  return slots.map((slot, i) => ({ batch: slot.batch, samples: samples[i] }));
}

/**
 * A contestant's model of `opt` over `params` (both disposed with it): `run(k)` takes k steps and
 * returns their milliseconds.
 */
export function stepping(opt, params) {
  return {
    run(steps) {
      const start = performance.now();
      for (let i = 0; i < steps; i++) opt.step();
      return performance.now() - start;
    },
    dispose() {
      opt.dispose();
      for (const p of params) p.dispose();
    },
  };
}
