// Fidelity against real PyTorch: torch.optim.AdamW(foreach=False), float32, CPU, torch 2.15.0.
//
// The fixtures (test/fixtures/torch-adamw{,-nofma}/, copied from scripts/golden/generate.py
// --optimizer adamw; schema and cases in scripts/golden/README.md) have the layout of the Adam ones
// (test/e2e/fidelity/torch-adam.test.ts), with groups that say `decoupledWeightDecay: true`: 9 cases,
// two parameters, 25 steps, checkpoints after steps 1, 2, 3, 10, 11, 25. For each case the
// generator also checked that torch's Adam(decoupled_weight_decay=True) gives the same bits.
//
// What this file shows, as torch-golden.test.ts does for Adam:
// * no-FMA set (ATEN_CPU_CAPABILITY=default): exp_avg, exp_avg_sq, max_exp_avg_sq and step equal
//   torch's bit for bit at every checkpoint of the 25-step runs (AdamW's moments never see the
//   decay); each step from torch's own state gives torch's parameters bit for bit, except where
//   torch's sqrt (MKL's vsSqrt) is 1 ulp off, proved element by element with a float32 model of
//   p * (1 - lr * wd) (the factor rounded to float32 first, as param.mul_ rounds it) followed by
//   the update with the neighbouring square root.
// * both sets: over the runs, parameters stay within 2 ulps of their scale without FMA (measured 1)
//   and 10.5 with torch's native kernels (see the bound below; the worst is printed).
//
//   npx vitest run test/e2e/fidelity/torch-adamw.test.ts      (after `npm run build`)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdamW, init } from 'lucid-optim';
import { nextFloat32, ulpOf } from '../../../reference/float32.mjs';
import { groupOf, loadFixtures, lrAt, lucidStepFrom, momentMismatches, runFull, singleSteps } from './golden-fixtures.js';

beforeAll(() => init());

const NOFMA = loadFixtures('torch-adamw-nofma');
const NATIVE = loadFixtures('torch-adamw');
const F = Math.fround;

function bitsEqual(a: number, b: number): boolean {
  return Object.is(a, b);
}

describe('AdamW against torch.optim.AdamW (test/fixtures/torch-adamw{,-nofma})', () => {
  it("hold the 9 cases in both sets, from torch 2.15.0, each identical to torch's Adam(decoupled_weight_decay=True)", () => {
    expect(NOFMA.map((f) => f.case)).toHaveLength(9);
    expect(NATIVE.map((f) => f.case)).toEqual(NOFMA.map((f) => f.case));
    for (const fx of [...NOFMA, ...NATIVE]) {
      expect([fx.torchVersion, fx.optimizer, fx.adamDecoupledIdentical], fx.case).toEqual(['2.15.0', 'AdamW', true]);
      for (const g of fx.groups) expect(g.decoupledWeightDecay, fx.case).toBe(true);
    }
  });

  for (const fx of NOFMA) {
    describe(`no FMA: ${fx.case}`, () => {
      it('exp_avg, exp_avg_sq, max_exp_avg_sq and step: bit for bit at every checkpoint of the 25-step run', () => {
        expect(momentMismatches(AdamW, fx)).toEqual([]);
      });

      it("each step from torch's own state: torch's parameters, except where torch's sqrt is 1 ulp off", () => {
        let sqrtOff = 0;
        for (const { from, to } of singleSteps(fx)) {
          const step = to.afterStep;
          const ours = lucidStepFrom(AdamW, fx, from, step);
          to.state.forEach((want, i) => {
            if (fx.grads[step - 1][i] === null) return;
            const g = groupOf(fx, i);
            const group = fx.groups[g];
            const lr = lrAt(fx, g, step);
            const factor = F(1 - lr * group.weightDecay); // Python's f64, then param.mul_'s float32
            const negStepSize = F(-(lr / (1 - group.betas[0] ** want!.step)));
            const bc2Sqrt = F(Math.sqrt(1 - group.betas[1] ** want!.step));
            to.params[i].forEach((torchParam, e) => {
              const p0 = from ? from.params[i][e] : fx.params[i].initial[e];
              const m = want!.expAvg[e];
              const v = want!.maxExpAvgSq ? want!.maxExpAvgSq[e] : want!.expAvgSq[e];
              const update = (off: 0 | 1 | -1) => {
                let s = F(Math.sqrt(v));
                if (off !== 0) s = nextFloat32(s, off);
                return F(F(p0 * factor) + F(F(negStepSize * m) / F(F(s / bc2Sqrt) + F(group.eps))));
              };
              const where = `step ${step}, param ${i}[${e}]`;
              expect(update(0), `${where}: model = lucid`).toBe(ours.params[i][e]);
              if (bitsEqual(ours.params[i][e], torchParam)) return;
              const explained = [1, -1].some((off) => bitsEqual(update(off as 1 | -1), torchParam));
              expect(explained, `${where}: lucid ${ours.params[i][e]}, torch ${torchParam}, not a sqrt ulp`).toBe(true);
              sqrtOff++;
            });
          });
        }
        sqrtOffs.push(`${fx.case} ${sqrtOff}`);
        // Measured: 0 or 1 element per case (of 92 element steps), 2 over the 9 cases (these files
        // were written where MKL's sqrt is 1 ulp off for 0.67% of inputs). As Adam's suite: at most 2.
        expect(sqrtOff).toBeLessThanOrEqual(2);
      });
    });
  }

  // As for Adam: each sqrt ulp, and natively each multiply-add torch fuses in the moments (lerp's and
  // addcmul's; AdamW's gradient has no weight decay term to fuse), moves a parameter by up to an
  // ulp, and those carry on through the recurrences to the end of the run. In ulps of the largest
  // magnitude the element takes at any checkpoint, measured: no FMA 1 (bound: Adam's 2), native 10.5,
  // in two-groups' second group, which has no weight decay (plain Adam with AMSGrad: the fused
  // moments' drift, not the decay); the other native cases stay within 4. Bounds as measured.
  const worst = { nofma: 0, native: 0 };
  for (const fx of [...NOFMA, ...NATIVE]) {
    const limit = fx.variant === 'nofma' ? 2 : 10.5;
    it(`${fx.variant} ${fx.case}: parameters over the 25-step run within ${limit} ulps of their scale`, () => {
      const runs = runFull(AdamW, fx);
      fx.params.forEach((_, i) => {
        const scale = fx.params[i].initial.map((_, e) => Math.max(...fx.checkpoints.map((c) => Math.abs(c.params[i][e]))));
        fx.checkpoints.forEach((cp, k) => {
          cp.params[i].forEach((want, e) => {
            const got = runs[k].params[i][e];
            const ulps = Math.abs(got - want) / ulpOf(scale[e]);
            worst[fx.variant] = Math.max(worst[fx.variant], ulps);
            expect(ulps, `after step ${cp.afterStep}, param ${i}[${e}]: ${got} vs torch ${want}`).toBeLessThanOrEqual(limit);
          });
        });
      });
    });
  }

  const sqrtOffs: string[] = [];
  afterAll(() =>
    console.log(
      `AdamW vs torch 2.15.0: parameters where torch's sqrt is 1 ulp off, per case (single steps): ${sqrtOffs.join(', ')}; ` +
        `over 25 steps, worst parameter distance in ulps of scale: no FMA ${worst.nofma}, native ${worst.native}`,
    ),
  );
});
