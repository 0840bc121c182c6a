#!/usr/bin/env node
// A/B of lucid-optim builds, for kernel work: each argument is a folder holding a node.mjs and its
// lucid_optim_bg.wasm (a copy of dist/, say, after `npm run build` of a patched tree); every build
// is loaded as its own module instance and stepped interleaved, and each one's speed relative to
// the first is the median over reps of the ratio within the rep. Each build is loaded from a copy
// under this repository's target/ (removed at exit), so that node.mjs's imports of the package's
// dependencies (fflate) resolve to node_modules wherever the folder given lives.
//
//   node bench/ab.mjs dist /tmp/patched/dist --case 1M,1000x1K --variant amsgrad --reps 15

import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { CASES, VARIANTS, lucidOptions, makeData } from './lib/data.mjs';
import { measure, median, stepping } from './lib/measure.mjs';

const { values: args, positionals: dirs } = parseArgs({
  allowPositionals: true,
  options: { case: { type: 'string', default: '1M,1000x1K' }, variant: { type: 'string', default: 'adam' }, reps: { type: 'string', default: '15' } },
});
if (dirs.length < 2) throw new Error('usage: node bench/ab.mjs <build dir> <build dir> [...] [--case ids] [--variant ids] [--reps N]');

const target = fileURLToPath(new URL('../target/', import.meta.url));
mkdirSync(target, { recursive: true });
const libs = [];
for (const dir of dirs) {
  const copy = mkdtempSync(join(target, 'ab-'));
  process.once('exit', () => rmSync(copy, { recursive: true, force: true }));
  cpSync(resolve(dir), copy, { recursive: true });
  const lib = await import(pathToFileURL(join(copy, 'node.mjs')).href);
  await lib.init();
  libs.push(lib);
}
const pick = (all, ids) => ids.split(',').map((id) => all.find((x) => x.id === id) ?? (() => { throw new Error(`unknown: ${id}`); })());

for (const variant of pick(VARIANTS, args.variant)) {
  for (const benchCase of pick(CASES, args.case)) {
    const data = makeData(benchCase.shape);
    const factories = libs.map(({ Parameter, Adam }) => async () => {
      const params = data.params.map((values, i) => {
        const p = new Parameter(values.length);
        p.data = values;
        p.grad = data.grads[i];
        return p;
      });
      return stepping(new Adam(params, lucidOptions(variant)), params);
    });
    const measured = await measure(factories, { reps: Number(args.reps), warmupMs: 500, minWarmupSteps: 3, minBatchMs: 100, maxStepsPerModel: 5_000 });
    const cells = measured.map(({ samples }, i) => {
      const ms = median(samples);
      const ratio = median(samples.map((x, rep) => measured[0].samples[rep] / x));
      return `${dirs[i]}: ${ms.toFixed(4)} ms ${(data.elements / ms / 1000).toFixed(0)} Melem/s x${ratio.toFixed(3)}`;
    });
    console.log(`${variant.id} ${benchCase.id}  ${cells.join(' | ')}`);
  }
}
