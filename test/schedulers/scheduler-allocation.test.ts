// "A scheduler step allocates nothing": for every scheduler, 3 x 10,000 `step()` calls
// after a warm-up leave no JavaScript objects behind and allocate no JavaScript garbage, measured as
// test/optim/step-allocation.test.ts measures Adam.step: heap growth in a child `node --expose-gc` process per
// scheduler (so that the code stays monomorphic and vitest does not blur the heap), in a young
// generation large enough that no scavenge runs during a window, the smallest of three windows.
// What makes it hold: the rates are computed into Float64Arrays, Python's cos and ** run on a
// Float64Array register file (ts/schedulers/python-math.ts), OneCycleLR updates the betas array it
// gave each group in place, and getLastLr() (which returns a new array, like torch's list) is not
// part of a step. It cannot flake for the reasons step-allocation.test.ts gives: nothing is timed,
// compilation is synchronous and done in the warm-up, no scavenge fits in a window, and the
// smallest of three windows counts.
import { execFileSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { expect, test } from 'vitest';

const dist = pathToFileURL(fileURLToPath(new URL('../../dist/node.mjs', import.meta.url))).href;
const STEPS = 10_000;
const WARMUP = 3_000;
const TOTAL = WARMUP + 3 * STEPS;

/** Each configuration keeps computing for all TOTAL steps (no plateau where a step would be trivial). */
const CONFIGS: Record<string, string> = {
  // The lambda returns small integers: a fraction returned by a call V8 does not inline is boxed by
  // the user's function itself, not by the scheduler (whose own work this measures).
  LambdaLR: `new L.LambdaLR(opt, { lrLambda: (e) => 1 + (e & 3) })`,
  StepLR: `new L.StepLR(opt, { stepSize: 7, gamma: 0.999 })`,
  MultiStepLR: `new L.MultiStepLR(opt, { milestones: Array.from({ length: 100 }, (_, i) => i * 300), gamma: 0.99 })`,
  ExponentialLR: `new L.ExponentialLR(opt, { gamma: 0.9999 })`,
  CosineAnnealingLR: `new L.CosineAnnealingLR(opt, { tMax: 997, etaMin: 1e-5 })`,
  LinearLR: `new L.LinearLR(opt, { startFactor: 0.01, totalIters: ${TOTAL} })`,
  ConstantLR: `new L.ConstantLR(opt, { factor: 0.5, totalIters: ${TOTAL} })`,
  PolynomialLR: `new L.PolynomialLR(opt, { totalIters: ${TOTAL + 10}, power: 0.9 })`,
  OneCycleLR: `new L.OneCycleLR(opt, { maxLr: 0.1, totalSteps: ${TOTAL + 10} })`,
  'OneCycleLR (linear, three phases)': `new L.OneCycleLR(opt, { maxLr: [0.1, 0.01], totalSteps: ${TOTAL + 10}, annealStrategy: 'linear', threePhase: true })`,
  CosineAnnealingWarmRestarts: `new L.CosineAnnealingWarmRestarts(opt, { t0: 50, tMult: 2 })`,
  SequentialLR: `new L.SequentialLR(opt, { schedulers: [new L.LinearLR(opt, { startFactor: 0.01, totalIters: 100 }), new L.CosineAnnealingLR(opt, { tMax: 997 })], milestones: [100] })`,
  ReduceLROnPlateau: `new L.ReduceLROnPlateau(opt, { patience: 3, factor: 0.999, minLr: 1e-6 })`,
  // Its factor returns 1 (a small integer, as LambdaLR's): any other integer would overflow the lr
  // in 33,000 steps, and a fraction is boxed by the user's function. The step still multiplies.
  MultiplicativeLR: `new L.MultiplicativeLR(opt, { lrLambda: () => 1 })`,
  CyclicLR: `new L.CyclicLR(opt, { baseLr: 0.001, maxLr: 0.1, stepSizeUp: 97, mode: 'triangular2' })`,
  'CyclicLR (exp_range)': `new L.CyclicLR(opt, { baseLr: [0.001, 0.002], maxLr: 0.1, stepSizeUp: 50, stepSizeDown: 71, mode: 'exp_range', gamma: 0.9999 })`,
  SWALR: `new L.SWALR(opt, { swaLr: 0.05, annealEpochs: ${TOTAL} })`,
  // ChainedScheduler is not here: its step snapshots its schedulers (so that a refused step changes nothing).
};

/** The child: measures one scheduler (process.argv[1], a key of CONFIGS) or the control loop, and prints one line of JSON. */
const child = (make: string) => `
const L = await import(${JSON.stringify(dist)});
await L.init();
const heap = () => process.memoryUsage().heapUsed;
const collect = () => globalThis.gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
const windowed = (run) => {
  run(${WARMUP});
  const windows = [0, 1, 2].map(() => {
    collect();
    const before = heap();
    run(${STEPS});
    const allocated = heap() - before;
    collect();
    return { allocated, retained: heap() - before };
  });
  return { allocated: Math.min(...windows.map((w) => w.allocated)), retained: Math.min(...windows.map((w) => w.retained)), windows };
};
if (${JSON.stringify(make)} === 'control') {
  // Keeps one small object per iteration: the measurement must see it.
  const kept = [];
  console.log(JSON.stringify(windowed((n) => { kept.length = 0; for (let i = 0; i < n; i++) kept.push({ i }); })));
} else {
  const opt = new L.Adam([{ params: [new L.Parameter(4)], lr: 0.1 }, { params: [new L.Parameter(4)], lr: 0.003, betas: [0.9, 0.99] }]);
  const sched = ${make};
  const plateau = sched instanceof L.ReduceLROnPlateau;
  // Metrics are small integers: a fractional one passed to a call V8 does not inline is boxed by the
  // caller, before the step runs. The pattern improves, then stalls, so that reductions happen.
  let i = 0;
  const run = plateau
    ? (n) => { for (let k = 0; k < n; k++) sched.step(100 - ((i++ >> 2) % 50)); }
    : (n) => { for (let k = 0; k < n; k++) sched.step(); };
  const result = windowed(run);
  console.log(JSON.stringify({ ...result, lastEpoch: sched.lastEpoch, lr: sched.getLastLr() }));
}
`;

interface Result {
  allocated: number;
  retained: number;
  lastEpoch?: number;
  lr?: number[];
}

/**
 * V8 optimizes hot code on a background thread; on a busy machine that job can finish only after
 * the measured windows have begun, and code not yet optimized boxes every new double. Compiled on
 * the main thread instead, the code is optimized after the same number of steps on every machine.
 */
const SYNCHRONOUS_TIERS = ['--no-concurrent-recompilation', '--no-concurrent-osr'];

/**
 * Whether V8 inlines one function into another depends on when its optimizing compiler runs (on a
 * busy machine, later) and on what else it inlined first; a double passed to or returned from a
 * call that is not inlined is boxed into a heap number, 16 bytes. So that the verdict cannot depend
 * on those timings, every scheduler is measured with JavaScript inlining turned off: its step must
 * allocate nothing even then (python-math.ts passes doubles through registers for this). LambdaLR's
 * lambda returns small integers, which need no box (see CONFIGS).
 */
const NO_INLINING = ['--max-inlined-bytecode-size=0', ...SYNCHRONOUS_TIERS];

function measure(make: string, flags: string[] = NO_INLINING): Result {
  // A 64 MB young generation: 10,000 steps allocating even 1 KB each would not fill it.
  const out = execFileSync(process.execPath, ['--expose-gc', ...flags, '--max-semi-space-size=64', '--input-type=module', '-e', child(make)], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  return JSON.parse(out.trim().split('\n').at(-1)!) as Result;
}

test(`3 x ${STEPS} steps of every scheduler after ${WARMUP} allocate no JS objects, kept or garbage`, () => {
  const results = Object.entries(CONFIGS).map(([name, make]) => ({ name, ...measure(make) }));
  const control = measure('control');
  const perStep = (bytes: number) => (bytes / STEPS).toFixed(2);
  console.log(
    `scheduler step, bytes per step (retained / allocated): ${results.map((r) => `${r.name}: ${perStep(r.retained)} / ${perStep(r.allocated)}`).join('; ')}; ` +
      `control: ${perStep(control.retained)} / ${perStep(control.allocated)}`,
  );
  for (const r of results) {
    expect(r.lastEpoch, r.name).toBeGreaterThanOrEqual(TOTAL - 10);
    for (const lr of r.lr!) expect(Number.isFinite(lr) && lr > 0, `${r.name}: lr ${lr}`).toBe(true);
    // Less than one byte per step survives a collection, and less than one byte per step is allocated at all.
    expect(r.retained, r.name).toBeLessThan(STEPS);
    expect(r.allocated, r.name).toBeLessThan(STEPS);
  }
  // The measurement sees one small object kept (and allocated) per iteration (16+ bytes each).
  expect(control.retained).toBeGreaterThan(10 * STEPS);
  expect(control.allocated).toBeGreaterThan(10 * STEPS);
});
