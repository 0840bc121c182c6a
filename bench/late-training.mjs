// Late in training (from step 16,628 with beta2 = 0.999) sqrt(bias_correction2) rounds to 1.0f
// and the SIMD kernel skips that division (bit-exact; test/optim/late-steps.test.ts). This measures
// what that buys: one 1M-element parameter stepped early (step ~1,000) and late (step ~20,000),
// interleaved, median of several reps, in one run.
//
//   npm run build && node bench/late-training.mjs [--reps 9]
import { parseArgs } from 'node:util';
import { Adam, init, Parameter } from 'lucid-optim';

const { values } = parseArgs({ options: { reps: { type: 'string', default: '9' }, size: { type: 'string', default: '1000000' } } });
const REPS = Number(values.reps);
const SIZE = Number(values.size);
const STEPS_PER_REP = 200;

await init();

function optimizerAt(step) {
  const w = new Parameter(Float32Array.from({ length: SIZE }, (_, i) => Math.sin(i)));
  w.grad = Float32Array.from({ length: SIZE }, (_, i) => Math.cos(i) * 1e-2);
  const opt = new Adam([w], { lr: 1e-3 });
  const sd = opt.stateDict();
  sd.state[0] = {
    step,
    expAvg: Float32Array.from({ length: SIZE }, (_, i) => Math.cos(i) * 1e-3),
    expAvgSq: Float32Array.from({ length: SIZE }, (_, i) => 1e-4 + Math.abs(Math.sin(i)) * 1e-4),
  };
  opt.loadStateDict(sd);
  return { w, opt };
}

const runs = { early: optimizerAt(1_000), late: optimizerAt(20_000) };
const times = { early: [], late: [] };
for (const { opt } of Object.values(runs)) for (let i = 0; i < 50; i++) opt.step(); // warm-up
for (let rep = 0; rep < REPS; rep++) {
  for (const name of rep % 2 ? ['late', 'early'] : ['early', 'late']) {
    const { opt } = runs[name];
    const start = performance.now();
    for (let i = 0; i < STEPS_PER_REP; i++) opt.step();
    times[name].push((performance.now() - start) / STEPS_PER_REP);
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const [early, late] = [median(times.early), median(times.late)];
const melem = (ms) => ((SIZE / ms) * 1e3) / 1e6;
console.log(`${SIZE.toLocaleString('en')} elements, median of ${REPS} reps of ${STEPS_PER_REP} steps`);
console.log(`early (step ~1,000, divides by sqrt(bias_correction2)): ${early.toFixed(3)} ms/step, ${melem(early).toFixed(0)} Melem/s`);
console.log(`late (step ~20,000, sqrt(bias_correction2) == 1.0f):    ${late.toFixed(3)} ms/step, ${melem(late).toFixed(0)} Melem/s`);
console.log(`late is ${(early / late).toFixed(2)}x faster`);
