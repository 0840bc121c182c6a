// clipGradNorm = torch.nn.utils.clip_grad_norm_: hand-derived norms (2, infinity, other orders),
// gradients left alone or clipped, null gradients ignored, the float32 coefficient
// `clamp(max_norm / (total + 1e-6), max=1)` as torch computes it, errorIfNonfinite, bad input
// (with observe(): nothing changes), disposed and reused parameters.
//
// torch's arithmetic, from torch/nn/utils/clip_grad.py (torch 2.x):
//   total_norm = vector_norm(stack([vector_norm(g, p) for g in grads]), p)     float32 tensors
//   clip_coef = max_norm / (total_norm + 1e-6)     Tensor.__rtruediv__: (total + 1e-6f).reciprocal() * max_norm
//   clip_coef_clamped = torch.clamp(clip_coef, max=1.0);  g.mul_(clip_coef_clamped) for every grad
import { beforeAll, describe, expect, test } from 'vitest';
import { clipGradNorm, init, Parameter } from 'lucid-optim';
import { bits } from '../helpers.js';
import { observe } from '../observe.js';

beforeAll(() => init());

const f32 = Math.fround;

/** torch's coefficient from a float32 total: float32 reciprocal, product, clamp (NaN-propagating). */
function coefficient(maxNorm: number, total: number): number {
  const coef = f32(f32(1 / f32(total + f32(1e-6))) * f32(maxNorm));
  return Number.isNaN(coef) ? NaN : Math.min(coef, 1);
}

function withGrad(grad: number[] | null, name?: string): Parameter {
  const p = new Parameter(grad?.length ?? 2, name === undefined ? {} : { name });
  if (grad !== null) p.grad = grad;
  return p;
}

describe('the total norm, and the clipping', () => {
  test('2-norm: grads [3, 4] and [12] (and one null) give 13; clipped to 6.5, every grad is multiplied by the float32 coefficient', () => {
    const [a, none, b] = [withGrad([3, 4]), withGrad(null), withGrad([12])];
    // norms 5 and 12 -> sqrt(25 + 144) = 13;  coef = (1 / (13 + 1e-6f)) * 6.5 in float32, just under 0.5
    expect(clipGradNorm([a, none, b], 6.5)).toBe(13);
    const coef = coefficient(6.5, 13);
    expect(coef).toBeLessThan(0.5);
    expect(Array.from(a.grad!)).toEqual([f32(3 * coef), f32(4 * coef)]);
    expect(Array.from(b.grad!)).toEqual([f32(12 * coef)]);
    expect(none.grad).toBeNull();
  });

  test('below maxNorm nothing changes (the coefficient clamps to exactly 1), and the norm is still returned', () => {
    const [a, b] = [withGrad([3, 4]), withGrad([12])];
    const before = [bits(a.grad!), bits(b.grad!)];
    expect(clipGradNorm([a, b], 100)).toBe(13);
    expect(clipGradNorm([a, b], Infinity)).toBe(13);
    expect([bits(a.grad!), bits(b.grad!)]).toEqual(before);
  });

  test('normType Infinity: the largest magnitude over all gradients', () => {
    const [a, b] = [withGrad([3, -4]), withGrad([-12])];
    // max |g| = 12;  coef = (1 / (12 + 1e-6f)) * 3
    expect(clipGradNorm([a, b], 3, Infinity)).toBe(12);
    const coef = coefficient(3, 12);
    expect(Array.from(a.grad!)).toEqual([f32(3 * coef), f32(-4 * coef)]);
    expect(Array.from(b.grad!)).toEqual([f32(-12 * coef)]);
  });

  test('other orders: 1 sums the magnitudes, 3 is (sum |g|^3)^(1/3), of the per-gradient norms', () => {
    const make = () => [withGrad([3, -4]), withGrad([-12])];
    // 1-norm: (3 + 4) + 12 = 19
    expect(clipGradNorm(make(), 100, 1)).toBe(19);
    // 3-norm: per gradient (27 + 64)^(1/3) and 12, rounded to float32; then the 3-norm of those
    const n1 = f32(91 ** (1 / 3));
    expect(clipGradNorm(make(), 100, 3)).toBe(f32((n1 ** 3 + 12 ** 3) ** (1 / 3)));
  });

  test('no gradients at all: a total of 0, as torch returns tensor(0.)', () => {
    expect(clipGradNorm([withGrad(null), withGrad(null)], 1)).toBe(0);
    expect(clipGradNorm([], 1)).toBe(0);
  });

  test('the total is the float32 value torch returns (one parameter: its own norm, rounded to float32)', () => {
    const p = withGrad([0.1]);
    const total = clipGradNorm(p, 1); // a single Parameter is accepted, as torch accepts a single tensor
    expect(total).toBe(f32(0.1));
    expect(total).not.toBe(0.1);
  });

  test('any iterable: a generator, a Set, a frozen group list', () => {
    const ps = [withGrad([3, 4]), withGrad([12])];
    expect(clipGradNorm((function* () { yield* ps; })(), 100)).toBe(13);
    expect(clipGradNorm(new Set(ps), 100)).toBe(13);
    expect(clipGradNorm(Object.freeze([...ps]), 100)).toBe(13);
  });

  test('many parameters of many sizes: the scaling is exactly g * coef for the returned total, and the total matches a float64 model', () => {
    // 300 parameters (past the first id buffer of 16, and its doublings), lengths 1..67 (SIMD tails).
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
    const grads = Array.from({ length: 300 }, (_, i) => Float32Array.from({ length: 1 + (i % 67) }, () => rand() * 10 ** Math.round(rand() * 3)));
    const params = grads.map((g) => {
      const p = new Parameter(g.length);
      p.grad = g;
      return p;
    });
    const total = clipGradNorm(params, 1.0);
    // float64 model: per-gradient norms rounded to float32, then the 2-norm of those, rounded once.
    const norms = grads.map((g) => f32(Math.sqrt(g.reduce((s, x) => s + x * x, 0))));
    const model = f32(Math.sqrt(norms.reduce((s, n) => s + n * n, 0)));
    expect(Math.abs(total - model)).toBeLessThanOrEqual(2 ** -23 * model); // within an ulp (the sums' order differs)
    const coef = coefficient(1.0, total);
    params.forEach((p, i) => expect(bits(p.grad!), `params[${i}]`).toEqual(bits(grads[i].map((x) => f32(x * coef)))));
  });

  test('a parameter listed twice counts twice and is scaled twice, as in torch', () => {
    const a = withGrad([3, 4]);
    const total = clipGradNorm([a, a], 1);
    expect(total).toBe(f32(Math.sqrt(50)));
    const coef = coefficient(1, total);
    expect(Array.from(a.grad!)).toEqual([f32(f32(3 * coef) * coef), f32(f32(4 * coef) * coef)]);
  });
});

describe('non-finite gradients', () => {
  test('errorIfNonfinite: a NaN or infinite total is a RangeError, and no gradient changes', () => {
    for (const bad of [NaN, Infinity, -Infinity]) {
      const [a, b] = [withGrad([1, 2]), withGrad([3, bad])];
      clipGradNorm([withGrad(null), withGrad(null)], 1); // sizes the id buffer: the refused call below allocates nothing
      const before = observe([a, b]);
      const shown = Number.isNaN(bad) ? 'NaN' : 'Infinity';
      expect(() => clipGradNorm([a, b], 1, 2, { errorIfNonfinite: true })).toThrow(
        new RangeError(
          `clipGradNorm: the total norm of order 2 of the gradients is ${shown}, so they cannot be clipped (errorIfNonfinite: true); ` +
            'nothing was changed. With errorIfNonfinite: false they are scaled by it anyway, as in torch',
        ),
      );
      expect(observe([a, b])).toEqual(before);
    }
  });

  test('without it, as torch: a NaN total makes every gradient NaN; an infinite one zeroes the finite values', () => {
    const [a, b] = [withGrad([1, -2]), withGrad([NaN, 3])];
    expect(clipGradNorm([a, b], 1)).toBeNaN();
    expect([...a.grad!, ...b.grad!].every(Number.isNaN)).toBe(true);
    const [c, d] = [withGrad([1, -2]), withGrad([Infinity, 3])];
    expect(clipGradNorm([c, d], 1)).toBe(Infinity);
    // coef = (1 / inf) * 1 = 0: 1 * 0 = 0, -2 * 0 = -0, inf * 0 = NaN
    expect(Array.from(c.grad!)).toEqual([0, -0]);
    expect(d.grad![0]).toBeNaN();
    expect(d.grad![1]).toBe(0);
  });
});

describe('bad input: a TypeError or RangeError naming the argument and the value, and nothing changes', () => {
  const cases: [string, (ps: Parameter[]) => unknown, ErrorConstructor, string][] = [
    ['maxNorm negative', (ps) => clipGradNorm(ps, -1), RangeError, 'clipGradNorm: maxNorm must be a number >= 0 (Infinity: never clip), got -1'],
    ['maxNorm NaN', (ps) => clipGradNorm(ps, NaN), RangeError, 'clipGradNorm: maxNorm must be a number >= 0 (Infinity: never clip), got NaN'],
    ['maxNorm a string', (ps) => clipGradNorm(ps, '1' as never), TypeError, 'clipGradNorm: maxNorm must be a number, got "1"'],
    ['normType 0', (ps) => clipGradNorm(ps, 1, 0), RangeError, 'clipGradNorm: normType must be a number > 0 (the order of a norm; Infinity: the largest magnitude), got 0'],
    ['normType negative', (ps) => clipGradNorm(ps, 1, -2), RangeError, 'clipGradNorm: normType must be a number > 0 (the order of a norm; Infinity: the largest magnitude), got -2'],
    ['normType -Infinity', (ps) => clipGradNorm(ps, 1, -Infinity), RangeError, 'clipGradNorm: normType must be a number > 0 (the order of a norm; Infinity: the largest magnitude), got -Infinity'],
    ['normType NaN', (ps) => clipGradNorm(ps, 1, NaN), RangeError, 'clipGradNorm: normType must be a number > 0 (the order of a norm; Infinity: the largest magnitude), got NaN'],
    ["normType 'inf'", (ps) => clipGradNorm(ps, 1, 'inf' as never), TypeError, 'clipGradNorm: normType must be a number, got "inf"'],
    ['params not iterable', () => clipGradNorm(42 as never, 1), TypeError, 'clipGradNorm: params must be an iterable of Parameters (or a Parameter), got 42'],
    ['params[1] not a Parameter', (ps) => clipGradNorm([ps[0], ps[1].grad!] as never, 1), TypeError, 'clipGradNorm: params[1] must be a Parameter, got a Float32Array of length 1'],
    ['an unknown option', (ps) => clipGradNorm(ps, 1, 2, { foreach: true } as never), TypeError, 'clipGradNorm: options.foreach is not an option (known: errorIfNonfinite), got true'],
    ['a misspelt option', (ps) => clipGradNorm(ps, 1, 2, { error_if_nonfinite: true } as never), TypeError, 'clipGradNorm: options.error_if_nonfinite is not an option (did you mean errorIfNonfinite?), got true'],
    ['errorIfNonfinite not a boolean', (ps) => clipGradNorm(ps, 1, 2, { errorIfNonfinite: 1 } as never), TypeError, 'clipGradNorm: options.errorIfNonfinite must be a boolean, got 1'],
    ['options not an object', (ps) => clipGradNorm(ps, 1, 2, null as never), TypeError, 'clipGradNorm: options must be an object, got null'],
  ];
  for (const [name, call, type, message] of cases) {
    test(name, () => {
      const ps = [withGrad([3, 4], 'w'), withGrad([12], 'b')];
      clipGradNorm([withGrad(null), withGrad(null)], 1); // sizes the id buffer: a refused call allocates nothing
      const before = observe(ps);
      expect(() => call(ps)).toThrow(new type(message));
      expect(observe(ps)).toEqual(before);
    });
  }

  test('a disposed parameter is a TypeError naming it; nothing changes', () => {
    const ps = [withGrad([3, 4], 'w'), withGrad([12], 'b'), withGrad([1], 'gone')];
    clipGradNorm([withGrad(null), withGrad(null)], 1);
    ps[2].dispose();
    const before = observe(ps);
    expect(() => clipGradNorm(ps, 1)).toThrow(new TypeError("clipGradNorm: params[2] (Parameter \"gone\") was disposed"));
    expect(observe(ps)).toEqual(before);
  });

  test("a freed parameter's id, reused by a new parameter, names the new one only", () => {
    const old = withGrad([100], 'old');
    // The registry id is internal (not in the published types); read it to prove the reuse happened.
    const idOf = (p: Parameter) => (p as unknown as { id: number }).id;
    const oldId = idOf(old);
    old.dispose(); // frees its id...
    const fresh = withGrad([3, 4], 'fresh'); // ...which the next parameter takes
    expect(idOf(fresh)).toBe(oldId);
    const other = withGrad([12], 'other');
    // The id clips the new parameter's gradient: norm sqrt(3² + 4² + 12²) = 13, clipped to 6.5.
    expect(clipGradNorm([fresh, other], 6.5)).toBe(13);
    const clipped = [Array.from(fresh.grad!), Array.from(other.grad!)];
    expect(clipped[0][0]).toBeCloseTo(1.5, 5);
    // The old handle names itself, disposed, and reaches nothing through the reused id.
    expect(() => clipGradNorm([old], 1)).toThrow(new TypeError('clipGradNorm: params[0] (Parameter "old") was disposed'));
    expect([Array.from(fresh.grad!), Array.from(other.grad!)]).toEqual(clipped);
  });
});
