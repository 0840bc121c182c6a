// Timing: warm every contestant up, size a batch of steps per contestant so that one batch lasts
// at least `minBatchMs`, then take `reps` rounds in which every contestant runs one batch, in an
// order rotated each round. Contestants of a case are measured interleaved, so that a machine that
// gets busier (it is shared) slows all of them alike and their ratios stay meaningful.

/** The median of a list of numbers. */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * @param {Array<{activate?: () => unknown, run: (steps: number) => number | Promise<number>}>} instances
 *   `run(k)` takes k steps and returns the milliseconds they took
 * @returns per instance: `{ batch, samples }`, samples in milliseconds per step
 */
export async function measure(instances, { reps, warmupMs, minWarmupSteps, minBatchMs }) {
  const batches = [];
  for (const instance of instances) {
    await instance.activate?.();
    // Batches of 1, 2, 4, ... steps until warm (the first step also allocates the state).
    let steps = 0;
    let elapsed = 0;
    let perStep = Infinity;
    for (let k = 1; steps < minWarmupSteps || elapsed < warmupMs; k *= 2) {
      const ms = await instance.run(k);
      steps += k;
      elapsed += ms;
      perStep = ms / k;
    }
    batches.push(Math.max(1, Math.ceil(minBatchMs / Math.max(perStep, 1e-6))));
  }
  const samples = instances.map(() => []);
  for (let rep = 0; rep < reps; rep++) {
    for (let j = 0; j < instances.length; j++) {
      const i = (j + rep) % instances.length;
      await instances[i].activate?.();
      const ms = await instances[i].run(batches[i]);
      samples[i].push(ms / batches[i]);
    }
  }
  return instances.map((_, i) => ({ batch: batches[i], samples: samples[i] }));
}
