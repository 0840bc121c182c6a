// lucid-optim's Adafactor against real torch (test/fixtures/torch-adafactor/, written by
// scripts/golden/adafactor.py). Shared by test/e2e/fidelity/torch-adafactor.test.ts, which bounds
// what this measures, and by the table in docs/fidelity.md:
//
//   npm run build && node reference/adafactor-distance.mjs
//
// Per parameter and recorded step: the parameters' distance ||p_lucid - p_torch||_2 /
// ||p_torch - p_0||_2, and each state buffer's largest error relative to its largest value
// (reference/float32.mjs). The step count must be torch's exactly.
import { fileURLToPath } from 'node:url';
import { jsonFixtures, replay } from './fixtures.mjs';
import { relativeDistance, relativeMaxError } from './float32.mjs';

const BUFFERS = ['rowVar', 'colVar', 'variance'];

/**
 * Runs fixture `fx` in lucid (`lucid`: the package, after `init()`). Returns a row per recorded
 * step and parameter: `{ step, param, params, state, stepCount, sameKeys }`, and the state dict's
 * param groups in torch's shape after the first step.
 */
export function measure(lucid, fx) {
  const recorded = new Map(fx.checkpoints.map((c) => [c.afterStep, c]));
  const keys = (entry) => (entry == null ? [] : Object.keys(entry).sort());
  const rows = [];
  let torchGroups;
  replay(lucid, lucid.Adafactor, fx, (step, params, opt) => {
    if (step === 1) torchGroups = opt.stateDict({ format: 'torch' }).get('param_groups');
    const checkpoint = recorded.get(step);
    if (checkpoint === undefined) return;
    const state = opt.stateDict().state;
    params.forEach((p, i) => {
      const [want, ours] = [checkpoint.state[i], state[i]];
      const buffers = BUFFERS.filter((k) => want?.[k] !== undefined && ours?.[k] !== undefined);
      rows.push({
        step,
        param: i,
        params: relativeDistance(p.data, checkpoint.params[i], fx.params[i].initial),
        state: Math.max(0, ...buffers.map((k) => relativeMaxError(ours[k], want[k]))),
        stepCount: ours?.step === want?.step,
        sameKeys: JSON.stringify(keys(ours)) === JSON.stringify(keys(want)),
      });
    });
  });
  return { rows, torchGroups };
}

/** The fixtures (the .json files; the .pt files are torch's saved state dicts), sorted by file name. */
export function fixtures() {
  return jsonFixtures('torch-adafactor');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const lucid = await import('../dist/node.mjs');
  await lucid.init();
  console.log("| case | parameters | parameters' distance from torch (largest) | after the last step | state buffers' error (largest, relative) | steps and keys |");
  console.log('|---|---|---|---|---|---|');
  for (const fx of fixtures()) {
    const { rows } = measure(lucid, fx);
    const max = (list, key) => Math.max(...list.map((r) => r[key])).toExponential(1);
    const last = rows.filter((r) => r.step === fx.grads.length);
    const shapes = fx.params.map((p) => (p.shape.length === 0 ? '0-d' : p.shape.join('×'))).join(', ');
    const exact = rows.every((r) => r.stepCount && r.sameKeys) ? "torch's" : 'DIFFERENT';
    console.log(`| ${fx.case} | ${shapes} | ${max(rows, 'params')} | ${max(last, 'params')} | ${max(rows, 'state')} | ${exact} |`);
  }
}
