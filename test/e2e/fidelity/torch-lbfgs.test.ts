// lucid-optim's LBFGS against real torch.optim.LBFGS (torch 2.15): the closure count of every
// step (torch's `func_evals`, `n_iter`) exactly, and the parameters, losses and state within a
// measured bound. Fixtures from scripts/golden/lbfgs.py (layout in its docstring); every expected
// number is torch's:
//
//   .venv-golden/bin/python scripts/golden/lbfgs.py
//
// The closure (reference/lbfgs-distance.mjs) computes torch's float32 gradient of the fixture's
// separable objective bit for bit, so what differs is LBFGS's own reductions: its dot products and
// the first step's |g| sum, which torch hands to BLAS in float32 and lucid-optim sums in float64,
// and the loss's sum. Measured on this project's AMD EPYC (`npm run build && node
// reference/lbfgs-distance.mjs`): parameters 1.0e-7, losses 1.1e-7 of the first loss, t, H_diag
// and ro 1.8e-3 (near the minimum, where y·s is float32 noise).
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, test } from 'vitest';
import * as lucid from 'lucid-optim';
import { init, LBFGS, loadTorch, Parameter, saveTorch, type LBFGSOptions, type LBFGSStateDict } from 'lucid-optim';
import { closureOf, measure, type LbfgsFixture } from '../../../reference/lbfgs-distance.mjs';
import { goldenFiles } from './golden.js';

beforeAll(() => init());

/** ‖p − p_torch‖₂ / ‖p_torch − p₀‖₂ after every step, every parameter (measured 1.0e-7). */
const PARAM_BOUND = 1e-6;
/** |loss − torch's| / |torch's first loss| for the loss each step returns (measured 1.1e-7). */
const LOSS_BOUND = 1e-6;
/** Relative difference of the final t, H_diag and every ro (measured 1.8e-3). */
const STATE_BOUND = 1e-2;

const FIXTURES = goldenFiles<LbfgsFixture>('torch-lbfgs');

describe.each(FIXTURES.map((fx) => [fx.case, fx] as const))('torch.optim.LBFGS, %s', (_name, fx) => {
  test('was written by real torch 2.15', () => {
    expect([fx.torchVersion, fx.cpuCapability]).toEqual(['2.15.0', 'DEFAULT']);
  });

  test("every step calls the closure as often as torch's, and ends within the bound of torch's parameters and loss", () => {
    const { rows, final } = measure(lucid, fx);
    for (const r of rows) {
      expect(r.counts, `step ${r.step}: func_evals, n_iter`).toEqual(r.want);
      expect(r.params, `step ${r.step}: parameters`).toBeLessThanOrEqual(PARAM_BOUND);
      expect(r.loss, `step ${r.step}: loss`).toBeLessThanOrEqual(LOSS_BOUND);
    }
    expect(final.history, 'history pairs, al entries set').toEqual([fx.state.historyLen, fx.state.alSet]);
    expect(Math.max(final.t, final.hDiag, final.ro), 't, H_diag, ro').toBeLessThanOrEqual(STATE_BOUND);
  });
});

test("torch's own file (quartic-strong-wolfe-state.pt) loads, and the next step goes on from it as from lucid's own state", () => {
  const fx = FIXTURES.find((f) => f.case === 'quartic-strong-wolfe')!;
  const run = (resume: (opt: LBFGS) => void) => {
    const params = fx.params.map((p, i) => new Parameter(fx.steps.at(-1)!.params[i], { shape: p.shape }));
    const opt = new LBFGS(params, fx.options as LBFGSOptions);
    resume(opt);
    opt.step(closureOf(fx, params));
    return { params: params.map((p) => Array.from(p.data)), state: opt.stateDict().state[0] };
  };
  const file = loadTorch(readFileSync(new URL('../../fixtures/torch-lbfgs/quartic-strong-wolfe-state.pt', import.meta.url)));
  let loaded!: LBFGSStateDict;
  const fromTorch = run((opt) => {
    opt.loadStateDict(file as Map<string, unknown>);
    loaded = opt.stateDict();
  });
  expect([loaded.state[0].funcEvals, loaded.state[0].nIter, loaded.state[0].oldDirs!.length]).toEqual([fx.steps.at(-1)!.funcEvals, fx.steps.at(-1)!.nIter, fx.state.historyLen]);
  expect(loaded.state[0].t).toBe(fx.state.t);
  // The same state through lucid's JSON and a torch file of lucid's own: the same next step.
  const viaJson = run((opt) => opt.loadStateDict(JSON.parse(JSON.stringify(loaded)) as LBFGSStateDict));
  const viaSave = run((opt) => opt.loadStateDict(loadTorch(saveTorch(toTorchShaped(loaded))) as Map<string, unknown>));
  expect(viaSave).toEqual(fromTorch);
  expect(viaJson).toEqual(fromTorch);

  function toTorchShaped(sd: LBFGSStateDict) {
    const params = fx.params.map((p) => new Parameter(p.initial, { shape: p.shape }));
    const opt = new LBFGS(params, fx.options as LBFGSOptions);
    opt.loadStateDict(sd);
    return opt.stateDict({ format: 'torch' }) as unknown as Map<string, unknown>;
  }
});
