// lucid-optim's side of `checkpoints.py --verify-resume` (by hand; see that script's docstring and
// docs/checkpoints.md): on the data of test/fixtures/torch-checkpoints/{adam,adamw}-resume.json,
// steps lucid-optim's Adam and AdamW K steps from the initial values, writes
// saveTorch(opt.stateDict({ format: 'torch' })) as OUTDIR/{adam,adamw}-lucid.pt, then takes the N
// steps after and writes lucid's parameters and state after each as OUTDIR/{adam,adamw}-lucid.json
// (the layout of the fixtures' `savedParams` and `after`), for real torch to compare against.
//
//   npm run build && node scripts/golden/lucid-resume.mjs OUTDIR
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Adam, AdamW, init, Parameter, saveTorch } from '../../dist/node.mjs';

const outdir = process.argv[2];
if (!outdir) throw new Error('usage: node scripts/golden/lucid-resume.mjs OUTDIR');
mkdirSync(outdir, { recursive: true });
await init();

for (const name of ['adam', 'adamw']) {
  const fx = JSON.parse(readFileSync(new URL(`../../test/fixtures/torch-checkpoints/${name}-resume.json`, import.meta.url), 'utf8'));
  const params = fx.initial.map((v, i) => new Parameter(v, { shape: fx.shapes[i] }));
  const Optimizer = fx.optimizer === 'AdamW' ? AdamW : Adam;
  // The fixture's groups are torch keyword arguments: spelled here in lucid's names.
  const groups = fx.groups.map((g) => ({
    params: g.params.map((i) => params[i]),
    ...(g.lr === undefined ? {} : { lr: g.lr }),
    betas: g.betas,
    weightDecay: g.weight_decay,
    amsgrad: g.amsgrad ?? false,
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
      state: params.map((_, i) => {
        const s = state[i];
        if (s === undefined) return null;
        const out = { step: s.step, expAvg: Array.from(s.expAvg), expAvgSq: Array.from(s.expAvgSq) };
        if (s.maxExpAvgSq) out.maxExpAvgSq = Array.from(s.maxExpAvgSq);
        return out;
      }),
    });
  }
  writeFileSync(join(outdir, `${name}-lucid.json`), `${JSON.stringify({ optimizer: fx.optimizer, savedParams, after }, null, 1)}\n`);
  console.log(`wrote ${join(outdir, `${name}-lucid.pt`)} and ${name}-lucid.json`);
}
