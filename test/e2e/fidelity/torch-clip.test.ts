// Fidelity against real PyTorch: torch.nn.utils.clip_grad_norm_, float32, CPU, torch 2.15.0.
//
// Expected values come from the fixtures in test/fixtures/torch-clip/ (17 cases: norms 2, inf and 1,
// mixed scales with float32 overflow and underflow, null gradients, NaN and Infinity), written by
// scripts/golden/recipe.py (schema: scripts/golden/README.md). torch squares and sums in float32,
// in its own reduction order; lucid-optim squares in float32 too but sums four squares at a time in
// float32 and those sums in float64 (crates/adam-core/src/kernel/norm.rs). So:
//
// * the total norm: the infinity norm is bit for bit torch's; a 2- or 1-norm is within 1 ulp of
//   torch's (the distances are printed) and within 1 ulp of the exact norm (the fixture's
//   `exactNorm`: every element's square summed exactly). Where the float32 squares overflow
//   (gradients near 1e20) or underflow (near 1e-30), lucid-optim returns torch's Infinity and 0.
// * the coefficient: the fixtures' `clipCoef` is `clamp(maxNorm / (total + 1e-6), max=1)` of
//   torch's own total in float32 operations (reciprocal, then product), bit for bit as our model.
// * the clipped gradients: bit for bit torch's (NaNs as NaNs) wherever the totals are the same
//   bits; elsewhere exactly `g * coef` for lucid's total, in float32.
// * errorIfNonfinite: a RangeError, changing nothing, exactly where torch raises.
//
//   npx vitest run test/e2e/fidelity/torch-clip.test.ts      (after `npm run build`)
import { goldenFiles } from './golden.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clipGradNorm, init, Parameter } from 'lucid-optim';
import { ulpError, ulpsBetween } from '../../../reference/float32.mjs';
import { observe } from '../../observe.js';

beforeAll(() => init());

type Value = number | 'NaN' | 'Infinity' | '-Infinity';
interface Run {
  totalNorm: Value;
  totalNormBits: string;
  paramNorms: Value[];
  clipCoef: Value | null;
  clipCoefBits: string | null;
  clippedGradsBits: (string[] | null)[];
  errorIfNonfinite: { raises: string | null };
}
interface Fixture {
  case: string;
  note: string;
  normType: number | 'inf';
  maxNorm: number;
  params: { shape: number[]; grad: Value[] | null }[];
  exactNorm: Value;
  foreachFalse: Run;
  foreachDefault: Run;
}

// Throws, failing this suite, if the directory is missing or short (golden.ts).
const FIXTURES: Fixture[] = goldenFiles<Fixture>('torch-clip');

const f32 = Math.fround;
const num = (v: Value): number => (typeof v === 'number' ? v : Number(v));
const fromBits = (hex: string): number => new Float32Array(new Uint32Array([Number.parseInt(hex, 16)]).buffer)[0];
/** A float32's bits, with every NaN one pattern (the payloads are the CPU's business). */
const key = (x: number): number => (Number.isNaN(x) ? -1 : new Uint32Array(new Float32Array([x]).buffer)[0]);

/** torch's coefficient from a float32 total: float32 reciprocal, product, clamp (NaN-propagating). */
function coefficient(maxNorm: number, total: number): number {
  const coef = f32(f32(1 / f32(total + f32(1e-6))) * f32(maxNorm));
  return Number.isNaN(coef) ? NaN : Math.min(coef, 1);
}

function parameters(fx: Fixture): Parameter[] {
  return fx.params.map(({ shape, grad }) => {
    const p = new Parameter(shape.reduce((a, b) => a * b, 1), { shape });
    if (grad !== null) p.grad = grad.map(num);
    return p;
  });
}

const distances: string[] = [];
afterAll(() => {
  if (distances.length > 0) console.log(`clipGradNorm total norm vs torch 2.15.0, float32 ulps (and each one's distance from the exact norm): ${distances.join(', ')}`);
});

describe('clipGradNorm against torch.nn.utils.clip_grad_norm_ (test/fixtures/torch-clip)', () => {
  it('has the 17 cases, and torch gave the same bits with foreach=False and with its default', () => {
    expect(FIXTURES).toHaveLength(17);
    for (const fx of FIXTURES) {
      expect(fx.foreachFalse.totalNormBits, fx.case).toBe(fx.foreachDefault.totalNormBits);
      expect(fx.foreachFalse.clippedGradsBits, fx.case).toEqual(fx.foreachDefault.clippedGradsBits);
    }
  });

  it("our float32 model of the coefficient is torch's, bit for bit, from torch's own total", () => {
    for (const fx of FIXTURES) {
      const run = fx.foreachDefault;
      if (run.clipCoefBits === null) continue; // no gradient at all: torch returns before computing it
      expect(key(coefficient(fx.maxNorm, fromBits(run.totalNormBits))), fx.case).toBe(key(fromBits(run.clipCoefBits)));
    }
  });

  for (const fx of FIXTURES) {
    it(`${fx.case}: ${fx.note}`, () => {
      const torch = fx.foreachDefault;
      const torchTotal = fromBits(torch.totalNormBits);
      const exact = num(fx.exactNorm);
      const normType = fx.normType === 'inf' ? Infinity : fx.normType;
      const params = parameters(fx);
      const grads = params.map((p) => (p.grad === null ? null : Float32Array.from(p.grad)));
      const total = clipGradNorm(params, fx.maxNorm, normType);

      // The total norm.
      if (!Number.isFinite(torchTotal)) {
        expect(key(total), 'non-finite like torch (NaN, Infinity, or float32 squares that overflow)').toBe(key(torchTotal));
        if (Number.isFinite(exact)) distances.push(`${fx.case}: Infinity, as torch (float32 squares overflow)`);
      } else {
        const ulps = ulpsBetween(total, torchTotal);
        expect(ulps, `total ${total} vs torch ${torchTotal}`).toBeLessThanOrEqual(normType === Infinity ? 0 : 1);
        if (torchTotal === 0 && exact > 0) {
          distances.push(`${fx.case} ${ulps}: 0, as torch (float32 squares underflow)`);
        } else {
          expect(ulpError(total, exact), `within an ulp of the exact norm ${exact}`).toBeLessThanOrEqual(1);
          distances.push(`${fx.case} ${ulps} (exact: lucid ${ulpError(total, exact).toFixed(2)}, torch ${ulpError(torchTotal, exact).toFixed(2)})`);
        }
      }

      // The clipped gradients: torch's bits when the totals agree; g * coef for our total always.
      const coef = coefficient(fx.maxNorm, total);
      params.forEach((p, i) => {
        const torchBits = torch.clippedGradsBits[i];
        if (torchBits === null) {
          expect(p.grad, `params[${i}] has no gradient`).toBeNull();
          return;
        }
        const got = Array.from(p.grad!, key);
        expect(got, `params[${i}] = g * coef`).toEqual(Array.from(grads[i]!, (g) => key(f32(g * coef))));
        if (key(total) === key(torchTotal)) expect(got, `params[${i}] = torch's`).toEqual(torchBits.map((h) => key(fromBits(h))));
      });

      // errorIfNonfinite: refused, changing nothing, exactly where torch refuses.
      const fresh = parameters(fx);
      const before = observe(fresh);
      if (torch.errorIfNonfinite.raises !== null) {
        expect(torch.errorIfNonfinite.raises).toBe('RuntimeError');
        expect(() => clipGradNorm(fresh, fx.maxNorm, normType, { errorIfNonfinite: true })).toThrow(RangeError);
        expect(observe(fresh)).toEqual(before);
      } else {
        expect(key(clipGradNorm(fresh, fx.maxNorm, normType, { errorIfNonfinite: true }))).toBe(key(total));
      }
    });
  }
});
