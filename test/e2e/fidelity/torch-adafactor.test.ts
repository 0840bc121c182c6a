// lucid-optim's Adafactor against real torch 2.15 (scripts/golden/adafactor.py, fixtures in
// test/fixtures/torch-adafactor/): torch.optim.Adafactor(foreach=False) with
// ATEN_CPU_CAPABILITY=default, 4 cases, 10 steps. Every expected number below is torch's.
//
// What is exact and what is bounded (reference/adafactor-distance.mjs measures both):
// - the step counts, and which buffers each state has (rowVar and colVar for 2 or more
//   dimensions, variance otherwise): torch's exactly;
// - the parameters and the buffers go through reductions (the parameter's and the update's norms,
//   the row and column means), which torch sums in float32 in its own order and lucid in float64:
//   bounded by each parameter's ||p_lucid - p_torch||_2 / ||p_torch - p_0||_2 and each buffer's
//   largest error relative to its largest value, after every recorded step.
//
// Regenerate: .venv-golden/bin/python scripts/golden/adafactor.py
import { describe, expect, test } from 'vitest';
import * as lucid from 'lucid-optim';
import { measure, type AdafactorFixture } from '../../../reference/adafactor-distance.mjs';
import { goldenFiles } from './golden.js';

// The runs happen while the suite is collected (each recorded step is a test of its own).
await lucid.init();

/**
 * The bounds: the largest values measured on this project's AMD EPYC
 * (`node reference/adafactor-distance.mjs`; docs/fidelity.md), over every case, parameter and
 * recorded step, with about 2x room: the parameters 2.4e-6 (9.9e-7 after the 10th step), the
 * buffers 2.4e-7 (about 2 float32 ulps of their largest value).
 */
const PARAMS_BOUND = 5e-6;
const AFTER_TEN_STEPS_BOUND = 2e-6;
const STATE_BOUND = 5e-7;

const fixtures = goldenFiles<AdafactorFixture>('torch-adafactor');

describe.each(fixtures.map((fx) => [fx.case, fx] as const))('torch.optim.Adafactor: %s', (_, fx) => {
  const { rows, torchGroups } = measure(lucid, fx);

  test(`every step torch recorded is checked (${fx.note})`, () => {
    expect(rows.length).toBe(fx.checkpoints.length * fx.params.length);
  });

  test("every state has torch's step count and torch's buffers", () => {
    for (const r of rows) expect([r.step, r.param, r.stepCount, r.sameKeys]).toEqual([r.step, r.param, true, true]);
  });

  test(`the parameters are within ${PARAMS_BOUND} of torch's (${AFTER_TEN_STEPS_BOUND} after the last step), the buffers within ${STATE_BOUND}`, () => {
    for (const r of rows) {
      const bound = r.step === fx.grads.length ? AFTER_TEN_STEPS_BOUND : PARAMS_BOUND;
      expect(r.params, `step ${r.step}, parameter ${r.param}`).toBeLessThanOrEqual(bound);
      expect(r.state, `step ${r.step}, parameter ${r.param}: state`).toBeLessThanOrEqual(STATE_BOUND);
    }
  });

  test("its param groups are torch's, key for key, in torch's shape (eps[0] None is null)", () => {
    const camel = (k: string) => k.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
    const groups = torchGroups.map((g) => Object.fromEntries([...g].filter(([k]) => k !== 'foreach').map(([k, v]) => [camel(k), v])));
    expect(groups).toEqual(fx.groups);
  });
});
