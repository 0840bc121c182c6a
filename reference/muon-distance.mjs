// lucid-optim's Muon against the two runs of real torch in test/fixtures/torch-muon/ (written by
// scripts/golden/muon.py): torch as shipped (its Newton–Schulz iteration in bfloat16) and torch's
// iteration in float32. Shared by test/e2e/fidelity/torch-muon.test.ts, which bounds what this
// measures, and by the table in docs/fidelity.md:
//
//   npm run build && node reference/muon-distance.mjs
//
// The distance of a parameter after a step is ||p_lucid - p_torch||_2 / ||p_torch - p_0||_2 (how
// far lucid is from torch, relative to how far torch moved the parameter), in float64.
import { fileURLToPath } from 'node:url';
import { jsonFixtures, replay } from './fixtures.mjs';
import { relativeDistance } from './float32.mjs';

export { relativeDistance };

/**
 * Runs fixture `fx` in lucid (`lucid`: the package, after `init()`). Returns, for every step torch
 * recorded and every parameter, the distances from torch's float32 and bfloat16 runs, whether the
 * momentum buffer is torch's bits (or, before the parameter's first gradient, absent as in torch),
 * and the state dict's param groups in torch's shape after the first step.
 */
export function measure(lucid, fx) {
  const recorded = new Map(fx.runs.float32.map((c, k) => [c.afterStep, [c, fx.runs.bfloat16[k]]]));
  const rows = [];
  let torchGroups;
  replay(lucid, lucid.Muon, fx, (step, params, opt) => {
    if (step === 1) torchGroups = opt.stateDict({ format: 'torch' }).get('param_groups');
    const pair = recorded.get(step);
    if (pair === undefined) return;
    const [f32, bf16] = pair;
    const state = opt.stateDict().state;
    params.forEach((p, i) => {
      const want = f32.momentumBuffers[i];
      const ours = state[i]?.momentumBuffer;
      const bufferIsTorchs =
        want === null ? ours === undefined : ours !== undefined && ours.length === want.length && want.every((v, e) => Object.is(ours[e], Math.fround(v)));
      rows.push({
        step,
        param: i,
        float32: relativeDistance(p.data, f32.params[i], fx.params[i].initial),
        bfloat16: relativeDistance(p.data, bf16.params[i], fx.params[i].initial),
        bufferIsTorchs,
      });
    });
  });
  return { rows, torchGroups };
}

/** The fixtures (the .json files; the .pt files are torch's saved state dicts), sorted by file name. */
export function fixtures() {
  return jsonFixtures('torch-muon');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const lucid = await import('../dist/node.mjs');
  await lucid.init();
  console.log('| case | parameters | largest distance from torch float32 | from torch bfloat16 | torch bfloat16 from torch float32 | momentum buffers |');
  console.log('|---|---|---|---|---|---|');
  for (const fx of fixtures()) {
    const { rows } = measure(lucid, fx);
    const max = (key) => Math.max(...rows.map((r) => r[key])).toExponential(1);
    const shapes = fx.params.map((p) => p.shape.join('×')).join(', ');
    const buffers = rows.every((r) => r.bufferIsTorchs) ? "torch's bits" : 'DIFFERENT';
    console.log(`| ${fx.case} | ${shapes} | ${max('float32')} | ${max('bfloat16')} | ${fx.torchRunsDistance.toExponential(1)} | ${buffers} |`);
  }
}
