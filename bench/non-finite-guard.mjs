// The cost of the non-finite gradient guard: Adam steps per second over one 1M-element parameter
// (and over 1,000 parameters of 1K), with skipNonFinite off and on, interleaved in rounds so that
// both see the same machine state. Not part of `npm test`; run after `npm run build`:
//
//   node bench/non-finite-guard.mjs
import { Adam, init, Parameter } from 'lucid-optim';

await init();

const ROUNDS = 7;
const STEPS = 200;

function setup(sizes, guard) {
  const params = sizes.map((n, k) => {
    const p = new Parameter(Float32Array.from({ length: n }, (_, i) => Math.sin(i + k)));
    p.grad = Float32Array.from({ length: n }, (_, i) => Math.cos(i * 0.37 + k));
    return p;
  });
  const opt = new Adam(params, { lr: 1e-3, skipNonFinite: guard });
  opt.step(); // state created outside the timing
  return { params, opt };
}

function time(opt) {
  const start = process.hrtime.bigint();
  for (let s = 0; s < STEPS; s++) opt.step();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

for (const [label, sizes] of [['1 x 1M', [1_000_000]], ['1000 x 1K', Array(1000).fill(1000)]]) {
  const off = setup(sizes, false);
  const on = setup(sizes, true);
  const times = { off: [], on: [] };
  for (let r = 0; r < ROUNDS; r++) {
    times.off.push(time(off.opt));
    times.on.push(time(on.opt));
  }
  if (on.opt.skippedSteps !== 0) throw new Error('the guard skipped a finite step');
  const offSps = STEPS / median(times.off);
  const onSps = STEPS / median(times.on);
  const elements = sizes.reduce((a, b) => a + b, 0);
  const extraNs = ((1 / onSps - 1 / offSps) * 1e9) / elements;
  console.log(
    `${label}: ${offSps.toFixed(0)} steps/s without the guard, ${onSps.toFixed(0)} with it ` +
      `(${((offSps / onSps - 1) * 100).toFixed(1)}% more time per step, ${extraNs.toFixed(3)} ns per element)`,
  );
  for (const o of [off, on]) {
    o.opt.dispose();
    o.params.forEach((p) => p.dispose());
  }
}
