// lucid-optim's Muon against real torch 2.15 (scripts/golden/muon.py, fixtures in
// test/fixtures/torch-muon/): each case runs torch.optim.Muon twice from the same data, with
// ATEN_CPU_CAPABILITY=default: as shipped (the Newton–Schulz iteration in bfloat16) and with the
// iteration's one bfloat16 cast made float32 (torch's own iteration at lucid's precision). Every
// expected number below is torch's.
//
// What is exact and what is bounded (reference/muon-distance.mjs measures both):
// - the momentum buffer is element-wise (two lerps): torch's bits, compared with Object.is;
// - the parameters go through matrix products, whose sums lucid adds in another order than
//   torch's BLAS: bounded by the relative distance ||p_lucid - p_torch||_2 / ||p_torch - p_0||_2 of
//   each parameter after each recorded step, against each of torch's two runs.
//
// Regenerate: .venv-golden/bin/python scripts/golden/muon.py
import { describe, expect, test } from 'vitest';
import * as lucid from 'lucid-optim';
import { measure, type MuonFixture } from '../../../reference/muon-distance.mjs';
import { goldenFiles } from './golden.js';

// The runs happen while the suite is collected (each recorded step is a test of its own).
await lucid.init();

/**
 * The bounds: the largest distances measured on this project's AMD EPYC
 * (`node reference/muon-distance.mjs`; docs/fidelity.md), over every case, parameter and recorded
 * step, with about 2x room:
 * - from torch's float32 iteration: 4.7e-6. Summation order only: a product summed in another
 *   order moves the update by a few float32 ulps, and the parameter (about 0.5, moving about 1e-3
 *   a step) then rounds the other way now and then.
 * - from torch as shipped (bfloat16): 2.4e-2, bfloat16's rounding: torch's own two runs are
 *   3.9e-3 to 2.4e-2 apart (`torchRunsDistance` in each file).
 */
const FLOAT32_BOUND = 1e-5;
const BFLOAT16_BOUND = 5e-2;

const fixtures = goldenFiles<MuonFixture>('torch-muon');

describe.each(fixtures.map((fx) => [fx.case, fx] as const))('torch.optim.Muon: %s', (_, fx) => {
  const { rows, torchGroups } = measure(lucid, fx);

  test(`every step torch recorded is checked (${fx.note})`, () => {
    expect(rows.length).toBe(fx.runs.float32.length * fx.params.length);
  });

  test.each(rows.map((r) => [r.step, r.param, r] as const))("after step %i, parameter %i: its momentum buffer is torch's bits", (_s, _p, r) => {
    expect(r.bufferIsTorchs).toBe(true);
  });

  test(`the parameters are within ${FLOAT32_BOUND} of torch's float32 iteration and ${BFLOAT16_BOUND} of torch as shipped`, () => {
    for (const r of rows) {
      expect(r.float32, `step ${r.step}, parameter ${r.param}: from torch's float32 iteration`).toBeLessThanOrEqual(FLOAT32_BOUND);
      expect(r.bfloat16, `step ${r.step}, parameter ${r.param}: from torch's bfloat16 iteration`).toBeLessThanOrEqual(BFLOAT16_BOUND);
    }
  });

  test("its param groups are torch's, key for key, in torch's shape", () => {
    const camel = (k: string) => k.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
    expect(torchGroups.map((g) => Object.fromEntries([...g].map(([k, v]) => [camel(k), v])))).toEqual(fx.groups);
  });
});
