#!/usr/bin/env node
// AveragedModel.update over 1M float32 elements: lucid-optim (one WebAssembly call, SIMD) against
// a plain JavaScript loop over Float32Arrays (the same formulas, torch's lerp for the EMA and
// `a + (c - a) / (n + 1)` for SWA, in float64 per element as bench/algorithms.mjs's loops, written
// for speed), measured interleaved in the same run (bench/lib/measure.mjs). Before timing, both take
// 5 updates from the same values and must agree within float32 rounding. See docs/benchmarks.md.
//
//   npm run bench                       (runs this with the other benchmarks)
//   node bench/averaging.mjs            after `npm run build`
//   node bench/averaging.mjs --quick    1,003 elements, one rep: checks that it runs (npm test)

import { parseArgs } from 'node:util';
import { AveragedModel, Parameter, init } from '../dist/node.mjs';
import { makeData } from './lib/data.mjs';
import { machine } from './lib/machine.mjs';
import { measure, median } from './lib/measure.mjs';

const { values: args } = parseArgs({ options: { quick: { type: 'boolean', default: false } } });
const quick = args.quick;
const elements = quick ? 1_003 : 1_000_000;
const settings = { reps: quick ? 1 : 7, warmupMs: quick ? 0 : 500, minWarmupSteps: quick ? 2 : 3, minBatchMs: quick ? 0 : 100, maxStepsPerModel: 5_000 };

const ROWS = [
  { label: 'EMA (decay 0.999)', options: { average: 'ema', decay: 0.999 } },
  { label: 'SWA (running mean)', options: { average: 'swa' } },
];

/** The plain loop: the first update copies, then the average, in float64 per element. */
function plainUpdate(averaged, current, n, options) {
  if (n === 0) {
    averaged.set(current);
  } else if (options.average === 'ema') {
    const w = 1 - options.decay;
    for (let i = 0; i < averaged.length; i++) averaged[i] += w * (current[i] - averaged[i]);
  } else {
    const count = n + 1;
    for (let i = 0; i < averaged.length; i++) averaged[i] += (current[i] - averaged[i]) / count;
  }
}

function contestants(row, data) {
  const lucid = () => {
    const source = new Parameter(data.params[0]);
    const averaged = new AveragedModel([source], row.options);
    return {
      run(steps) {
        const start = performance.now();
        for (let i = 0; i < steps; i++) averaged.update();
        return performance.now() - start;
      },
      params: () => averaged.params[0].data.slice(),
      dispose() {
        averaged.dispose();
        source.dispose();
      },
    };
  };
  const plain = () => {
    const current = data.params[0].slice();
    const averaged = new Float32Array(current.length);
    let n = 0;
    return {
      run(steps) {
        const start = performance.now();
        for (let i = 0; i < steps; i++) plainUpdate(averaged, current, n++, row.options);
        return performance.now() - start;
      },
      params: () => averaged.slice(),
      dispose() {},
    };
  };
  return [lucid, plain];
}

await init();
const data = makeData([elements]);
const meta = machine();
console.log(`AveragedModel.update over ${elements.toLocaleString('en-US')} elements: ${meta.cpu}, ${meta.cores} cores, node ${meta.node}`);
console.log(`${settings.reps} rep(s), batches of >= ${settings.minBatchMs} ms; Melem/s, and how many times faster lucid-optim is\n`);
console.log(`${'average'.padEnd(22)} ${'lucid-optim'.padStart(12)} ${'plain JS'.padStart(10)} ${'vs plain'.padStart(9)}`);
for (const row of ROWS) {
  const [lucid, plain] = contestants(row, data);
  // 5 updates of the same values: the same averages within float32 rounding.
  const a = lucid();
  const b = plain();
  a.run(5);
  b.run(5);
  const [x, y] = [a.params(), b.params()];
  a.dispose();
  const worst = x.reduce((m, v, i) => Math.max(m, Math.abs(v - y[i]) / Math.max(Math.abs(v), 1e-3)), 0);
  if (!(worst <= 1e-6)) throw new Error(`${row.label}: the plain loop disagrees with lucid-optim after 5 updates (relative ${worst})`);
  const measured = await measure([lucid, plain], settings);
  const [melemLucid, melemPlain] = measured.map((m) => elements / median(m.samples) / 1000);
  console.log(`${row.label.padEnd(22)} ${melemLucid.toFixed(0).padStart(12)} ${melemPlain.toFixed(0).padStart(10)} ${`${(melemLucid / melemPlain).toFixed(2)}x`.padStart(9)}`);
}
