#!/usr/bin/env node
// Adam steps per second of lucid-optim against its peers, in one run: see docs/benchmarks.md.
//
//   npm run bench                      builds the package (SIMD) and bench/build.mjs's artifacts (the
//                                      scalar .wasm, the native contestants), then runs this
//   node bench/run.mjs --quick         tiny shapes, one rep: checks that everything runs (npm test does)
//   node bench/run.mjs --case 1M --variant adam --impl lucid,tfjs-wasm --reps 9
//
// Options: --quick, --reps N, --case ids, --variant ids, --impl ids, --warmup-ms N, --batch-ms N,
// --out file.json, --no-docs, --render file.json (rewrites the docs from a saved report, measuring
// nothing), --no-build. A complete run (all cases, variants and contestants) writes
// bench/results/latest.json and rewrites the measured sections of docs/benchmarks.md and
// docs/benchmarks.svg; a partial or --quick run prints and writes its JSON to a temporary file.
//
// Without --no-build it first builds what the chosen contestants need (bench/build.mjs); with it,
// it uses what was built last and stops before measuring, naming the command to run, if something
// is missing. It never builds the package itself: dist/ comes from `npm run build`.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { CASES, HYPER, QUICK_CASES, VARIANTS, makeData } from './lib/data.mjs';
import { machine } from './lib/machine.mjs';
import { measure, median } from './lib/measure.mjs';
import { buildBench } from './build.mjs';
import { PEERS } from './lib/peers/index.mjs';
import { formatCase, updateDocs } from './lib/report.mjs';

const root = new URL('../', import.meta.url).pathname;

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    reps: { type: 'string' },
    case: { type: 'string' },
    variant: { type: 'string' },
    impl: { type: 'string' },
    'warmup-ms': { type: 'string' },
    'batch-ms': { type: 'string' },
    out: { type: 'string' },
    'no-docs': { type: 'boolean', default: false },
    render: { type: 'string' },
    'no-build': { type: 'boolean', default: false },
  },
});

// --render report.json: rewrite the docs from a saved complete report, measuring nothing.
if (args.render !== undefined) {
  const saved = JSON.parse(readFileSync(args.render, 'utf8'));
  for (const file of updateDocs(saved, root)) console.log(`wrote ${file}`);
  process.exit(0);
}

const pick = (all, ids, what) => {
  if (ids === undefined) return all;
  const wanted = ids.split(',');
  const unknown = wanted.filter((id) => !all.some((x) => x.id === id));
  if (unknown.length) throw new Error(`unknown ${what}: ${unknown.join(', ')} (known: ${all.map((x) => x.id).join(', ')})`);
  return all.filter((x) => wanted.includes(x.id));
};
const quick = args.quick;
const cases = pick(quick ? QUICK_CASES : CASES, args.case, 'case');
const variants = pick(VARIANTS, args.variant, 'variant');
const peers = pick(PEERS, args.impl, 'impl');
if (peers[0] !== PEERS[0]) throw new Error('--impl must include lucid (ratios are relative to it)');
if (!args['no-build']) buildBench(peers);
// Every artifact is there before anything is measured; a missing one stops the run, naming the command.
try {
  for (const peer of peers) peer.prepare?.();
} catch (error) {
  console.error(`bench/run.mjs: ${error.message}`);
  process.exit(1);
}
const settings = {
  reps: Number(args.reps ?? (quick ? 1 : 7)),
  warmupMs: Number(args['warmup-ms'] ?? (quick ? 0 : 500)),
  minWarmupSteps: quick ? 2 : 3,
  minBatchMs: Number(args['batch-ms'] ?? (quick ? 0 : 100)),
  // See bench/lib/measure.mjs: keeps every model away from a subnormal regime of this problem.
  maxStepsPerModel: 5_000,
};
const complete = !quick && [args.case, args.variant, args.impl].every((x) => x === undefined);
const out = args.out ?? (complete ? join(root, 'bench/results/latest.json') : join(tmpdir(), `lucid-optim-bench-${quick ? 'quick' : 'partial'}.json`));
const command = `node bench/run.mjs ${process.argv.slice(2).join(' ')}`.trim();

/** Every contestant takes 5 steps on one small model; all must agree with lucid-optim. */
async function crossCheck(variant) {
  const data = makeData([1003, 64]);
  const results = [];
  let reference;
  for (const peer of peers) {
    if (peer.supports(variant) !== true) continue;
    const instance = await peer.create(data, variant);
    await instance.activate?.();
    await instance.run(5);
    const params = (await instance.params()).flatMap((p) => Array.from(p));
    await instance.dispose();
    reference ??= params;
    let maxAbsDiff = 0;
    let bitwise = true;
    for (let i = 0; i < params.length; i++) {
      maxAbsDiff = Math.max(maxAbsDiff, Math.abs(params[i] - reference[i]));
      if (!Object.is(params[i], reference[i])) bitwise = false;
    }
    results.push({ variant: variant.id, impl: peer.id, bitwise, maxAbsDiff });
  }
  return results;
}

const started = new Date();
const meta = { date: started.toISOString(), command, quick, settings, hyper: HYPER, machine: machine() };
console.log(`lucid-optim benchmark: ${meta.machine.cpu}, ${meta.machine.cores} cores, node ${meta.machine.node}`);
console.log(`${settings.reps} rep(s) per contestant, batches of >= ${settings.minBatchMs} ms, warm-up >= ${settings.warmupMs} ms\n`);

// 1. The contestants compute the same thing: the lucid builds and the native kernel bit for bit
// (they run the same Rust), the JavaScript and TensorFlow.js loops within f32 rounding.
const checks = [];
for (const variant of variants) checks.push(...(await crossCheck(variant)));
const mustMatch = new Set(['lucid-scalar', 'native', 'native-ceiling']);
const failures = checks.filter((c) => (mustMatch.has(c.impl) ? !c.bitwise : !(c.maxAbsDiff <= 1e-5)));
for (const c of checks) {
  if (c.impl !== 'lucid') console.log(`check ${c.variant.padEnd(11)} ${c.impl.padEnd(15)} ${c.bitwise ? 'bitwise equal' : `max |diff| ${c.maxAbsDiff.toExponential(2)}`}`);
}
if (failures.length) throw new Error(`contestants disagree with lucid-optim: ${JSON.stringify(failures)}`);
console.log('');

// 2. Steps per second, case by case, every contestant interleaved.
const results = [];
for (const benchCase of cases) {
  const data = makeData(benchCase.shape);
  for (const variant of variants) {
    const active = peers.filter((peer) => peer.supports(variant) === true);
    const measured = await measure(
      active.map((peer) => () => peer.create(data, variant)),
      settings,
    );
    const lucidMs = median(measured[0].samples);
    const rows = active.map((peer, i) => {
      const msPerStep = median(measured[i].samples);
      return {
        case: benchCase.id,
        variant: variant.id,
        impl: peer.id,
        elements: data.elements,
        params: data.shape.length,
        msPerStep,
        stepsPerSecond: 1000 / msPerStep,
        melemPerSecond: data.elements / msPerStep / 1000,
        // How many times faster lucid-optim (SIMD) is than this contestant, in this run.
        lucidSpeedup: msPerStep / lucidMs,
        batch: measured[i].batch,
        samplesMs: measured[i].samples,
      };
    });
    results.push(...rows);
    console.log(formatCase(benchCase, variant, rows, PEERS));
  }
}
for (const peer of peers) peer.close?.();

const contestants = peers.map((peer) => ({ id: peer.id, label: peer.label, group: peer.group, ...peer.describe() }));
const skipped = peers.flatMap((peer) =>
  variants.filter((v) => peer.supports(v) !== true).map((v) => ({ impl: peer.id, variant: v.id, reason: peer.supports(v) })),
);
const report = { meta: { ...meta, seconds: Math.round((Date.now() - started) / 1000) }, contestants, skipped, checks, results };
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(report, null, 1)}\n`);
console.log(`\nwrote ${out}`);
if (complete && !args['no-docs']) {
  for (const file of updateDocs(report, root)) console.log(`wrote ${file}`);
}
