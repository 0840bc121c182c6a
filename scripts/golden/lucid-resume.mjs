// lucid-optim's side of `checkpoints.py --verify-resume` (by hand; see that script's docstring and
// docs/checkpoints.md): on the data of test/fixtures/torch-checkpoints/<name>-resume.json (one per
// algorithm, NAMES below), steps lucid-optim's optimizer of that name K steps from the initial values, writes
// saveTorch(opt.stateDict({ format: 'torch' })) as OUTDIR/<name>-lucid.pt, then takes the N steps
// after and writes lucid's parameters and state after each as OUTDIR/<name>-lucid.json (the layout
// of the fixtures' `savedParams` and `after`), for real torch to compare against.
//
//   npm run build && node scripts/golden/lucid-resume.mjs OUTDIR
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as lucid from '../../dist/node.mjs';

const { init, Parameter, saveTorch } = lucid;

const outdir = process.argv[2];
if (!outdir) throw new Error('usage: node scripts/golden/lucid-resume.mjs OUTDIR');
mkdirSync(outdir, { recursive: true });
await init();

/** `weight_decay` -> `weightDecay`: the fixtures' groups are torch keyword arguments. */
const camel = (key) => key.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());

/** Every algorithm with a resume fixture, as checkpoints.py names them. */
const NAMES = ['adam', 'adamw', 'sgd', 'rmsprop', 'adagrad', 'adadelta', 'adamax', 'nadam', 'radam', 'asgd', 'rprop'];

for (const name of NAMES) {
  const fx = JSON.parse(readFileSync(new URL(`../../test/fixtures/torch-checkpoints/${name}-resume.json`, import.meta.url), 'utf8'));
  const params = fx.initial.map((v, i) => new Parameter(v, { shape: fx.shapes[i] }));
  const Optimizer = lucid[fx.optimizer];
  // The fixture's groups are torch keyword arguments: spelled here in lucid's names.
  const groups = fx.groups.map(({ params: ids, ...options }) => ({
    params: ids.map((i) => params[i]),
    ...Object.fromEntries(Object.entries(options).map(([key, value]) => [camel(key), value])),
  }));
  const opt = new Optimizer(groups);
  const step = (t) => {
    fx.grads[t - 1].forEach((g, i) => (params[i].grad = g));
    opt.step();
  };
  for (let t = 1; t <= fx.savedAfterStep; t++) step(t);
  writeFileSync(join(outdir, `${name}-lucid.pt`), saveTorch(opt.stateDict({ format: 'torch' })));
  const savedParams = params.map((p) => Array.from(p.data));
  const after = [];
  for (let t = fx.savedAfterStep + 1; t <= fx.grads.length; t++) {
    step(t);
    const { state } = opt.stateDict();
    after.push({
      afterStep: t,
      params: params.map((p) => Array.from(p.data)),
      // Each state as the fixtures write torch's: its keys (camelCase), buffers as number lists.
      state: params.map((_, i) => {
        const s = state[i];
        if (s === undefined) return null;
        return Object.fromEntries(Object.entries(s).map(([key, value]) => [key, value instanceof Float32Array ? Array.from(value) : value]));
      }),
    });
  }
  writeFileSync(join(outdir, `${name}-lucid.json`), `${JSON.stringify({ optimizer: fx.optimizer, savedParams, after }, null, 1)}\n`);
  console.log(`wrote ${join(outdir, `${name}-lucid.pt`)} and ${name}-lucid.json`);
}
