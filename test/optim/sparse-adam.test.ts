// SparseAdam (torch.optim.SparseAdam): a first step derived by hand and bit-exact, the rows it leaves
// alone, sparse gradients and their refusals, torch's own state file, and round trips. Its fixtures
// from real torch (bit for bit, both kernels) run in test/e2e/fidelity/torch-optimizers.test.ts and
// reference-kernel.test.ts; torch's file here is test/fixtures/torch-sparse-adam/defaults-state.pt,
// written with them by `.venv-golden/bin/python scripts/golden/sparse_adam.py`.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, test } from 'vitest';
import { Adam, clipGradNorm, init, loadTorch, Parameter, saveTorch, SparseAdam, type SparseAdamStateDict } from 'lucid-optim';
import { bits } from '../helpers.js';

beforeAll(() => init());

const f = Math.fround;

/**
 * torch's first step of one element, in float32 where torch's tensors are (sparse_adam in
 * torch/optim/_functional.py): the moments start at 0, so old_m = old_v = 0.
 */
function firstStep(p: number, g: number, { lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8 } = {}) {
  const m = f(f(g - 0) * f(1 - beta1)); // grad_values.sub(old).mul_(1 - beta1), then exp_avg.add_
  const v = f(f(f(g * g) - 0) * f(1 - beta2)); // grad_values.pow(2).sub_(old).mul_(1 - beta2)
  const denom = f(f(Math.sqrt(f(v + 0))) + f(eps)); // (update + old).sqrt_().add_(eps)
  const stepSize = (lr * Math.sqrt(1 - beta2)) / (1 - beta1); // Python floats, step 1
  return { p: f(p + f(f(f(m + 0) / denom) * f(-stepSize))), m, v };
}

test("the first step is torch's, derived by hand; a repeated row is the sum of its values, in order; other rows and their moments stay", () => {
  const initial = [0.5, -1.25, 2, 0.75, -0.5, 3];
  const w = new Parameter(initial, { shape: [3, 2] });
  const opt = new SparseAdam([w]);
  // Row 2 twice (coalesce sums 0.25 + 1.5 and -0.75 + 0.125), row 0 once; row 1 untouched.
  w.grad = { indices: [2, 0, 2], values: [0.25, -0.75, 0.1, -2, 1.5, 0.125] };
  opt.step();
  const g = [f(0.1), -2, 0, 0, f(0.25 + 1.5), f(-0.75 + 0.125)]; // the gradient as float32
  const touched = [0, 1, 4, 5];
  const want = initial.map((p, i) => (touched.includes(i) ? firstStep(p, g[i]) : { p: f(p), m: 0, v: 0 }));
  expect(bits(w.data)).toEqual(bits(Float32Array.from(want, (e) => e.p)));
  const state = opt.stateDict().state[0];
  expect(state.step).toBe(1);
  expect(bits(state.expAvg)).toEqual(bits(Float32Array.from(want, (e) => e.m)));
  expect(bits(state.expAvgSq)).toEqual(bits(Float32Array.from(want, (e) => e.v)));
});

test('maximize negates the summed gradient; an empty gradient counts a step and changes nothing else', () => {
  const [a, b] = [0, 1].map(() => new Parameter([1, 2, 3, 4], { shape: [4] }));
  const [up, down] = [a, b].map((w, k) => new SparseAdam([w], { lr: 0.1, maximize: k === 1 }));
  a.grad = { indices: [1, 3], values: [0.5, -2] };
  b.grad = { indices: [1, 3], values: [-0.5, 2] };
  up.step();
  down.step();
  expect(bits(b.data)).toEqual(bits(a.data));
  const before = Float32Array.from(a.data);
  a.zeroGrad(false); // torch's zero_() of a sparse gradient: no rows left
  expect(a.sparseGrad).toEqual({ indices: new Uint32Array(0), values: new Float32Array(0) });
  up.step();
  expect(bits(a.data)).toEqual(bits(before));
  expect(up.stateDict().state[0].step).toBe(2);
});

test("lr: torch's constructor refuses its own 0, not a group's (a scheduler may anneal it to 0, which leaves the rows where they are)", () => {
  const w = new Parameter([1, 2], { shape: [2] });
  expect(() => new SparseAdam([w], { lr: 0 })).toThrow(
    new RangeError('SparseAdam: lr must be a finite number > 0 in the constructor\'s options (torch: "Invalid learning rate: 0.0"; a group\'s lr may be 0), got 0'),
  );
  expect(() => new SparseAdam([w], { lr: -1 })).toThrow(RangeError);
  const opt = new SparseAdam([{ params: [w], lr: 0 }]);
  w.grad = { indices: [0], values: [3] };
  opt.step();
  expect(Array.from(w.data)).toEqual([1, 2]);
  expect(opt.stateDict().state[0].expAvg[0]).toBe(Math.fround(Math.fround(3) * Math.fround(0.1)));
});

describe('gradients', () => {
  test('a dense gradient is refused in torch\'s words and changes nothing; Adam refuses a sparse one', () => {
    const w = new Parameter([1, 2, 3, 4], { shape: [2, 2] });
    const opt = new SparseAdam([w]);
    w.grad = { indices: [0], values: [1, 1] };
    opt.step();
    const [data, state] = [Float32Array.from(w.data), opt.stateDict()];
    w.grad = [1, 1, 1, 1];
    expect(() => opt.step()).toThrow(new TypeError("SparseAdam.step: parameter 0 (Parameter) has a dense gradient; SparseAdam takes sparse ones, p.grad = { indices, values } (torch: \"SparseAdam does not support dense gradients, please consider Adam instead\"); nothing was changed"));
    expect(bits(w.data)).toEqual(bits(data));
    expect(opt.stateDict()).toEqual(state);

    const adam = new Adam([w]);
    w.grad = { indices: [1], values: [1, 1] };
    expect(() => adam.step()).toThrow(/^Adam\.step: parameter 0 .* has a sparse gradient, which Adam does not take \(torch: "Adam does not support sparse gradients"\); nothing was changed$/);
    expect(bits(w.data)).toEqual(bits(data));
  });

  test('clipGradNorm refuses a sparse gradient (it does not coalesce one yet) and changes nothing', () => {
    const [dense, sparse] = [new Parameter([1, 2]), new Parameter([0, 0, 0, 0], { shape: [2, 2] })];
    dense.grad = [3, 4];
    sparse.grad = { indices: [1, 1], values: [1, 1, 1, 1] };
    expect(() => clipGradNorm([dense, sparse], 1)).toThrow(
      new TypeError("clipGradNorm: params[1] (Parameter) has a sparse gradient, which clipGradNorm does not take yet (torch's clip_grad_norm_ takes the norm of the coalesced gradient); nothing was changed"),
    );
    expect(Array.from(dense.grad!)).toEqual([3, 4]);
    expect(sparse.sparseGrad).toEqual({ indices: Uint32Array.of(1, 1), values: Float32Array.of(1, 1, 1, 1) });
  });

  test('a bad sparse gradient is refused by name and value, and the one before stays', () => {
    const w = new Parameter(new Float32Array(6), { shape: [3, 2] });
    w.grad = { indices: [1], values: [1, 2] };
    const expectKept = () => expect(w.sparseGrad).toEqual({ indices: Uint32Array.of(1), values: Float32Array.of(1, 2) });
    expect(() => (w.grad = { indices: [3], values: [0, 0] })).toThrow(new RangeError('Parameter: grad.indices[0] must be a row of the first dimension, an integer in [0, 2], got 3'));
    expectKept();
    expect(() => (w.grad = { indices: [0, 1.5], values: [0, 0, 0, 0] })).toThrow(RangeError);
    expectKept();
    expect(() => (w.grad = { indices: [0], values: [0, 0, 0] })).toThrow(/grad\.values/);
    expectKept();
    expect(() => (w.grad = { indices: 'ab' as never, values: [] })).toThrow(TypeError);
    expect(() => (w.grad = { indices: [0], values: [0, 0], extra: 1 } as never)).toThrow(/grad\.extra/);
    expectKept();
  });
});

describe('state', () => {
  const dir = new URL('../fixtures/torch-sparse-adam/', import.meta.url);
  const fixture = JSON.parse(readFileSync(new URL('defaults.json', dir), 'utf8')) as {
    params: { shape: number[] }[];
    checkpoints: { params: number[][]; state: { step: number; expAvg: number[]; expAvgSq: number[] }[] }[];
  };

  test("torch's own file (defaults-state.pt: optimizer.state_dict() after the case's 12 steps) loads with torch's int steps and buffers", () => {
    const params = fixture.params.map(({ shape }) => new Parameter(new Float32Array(shape.reduce((a, b) => a * b, 1)), { shape }));
    const opt = new SparseAdam(params);
    opt.loadStateDict(loadTorch(readFileSync(new URL('defaults-state.pt', dir))) as never);
    const last = fixture.checkpoints.at(-1)!;
    const state = opt.stateDict().state;
    last.state.forEach((s, i) => {
      expect(state[i].step).toBe(s.step);
      expect(bits(state[i].expAvg)).toEqual(bits(Float32Array.from(s.expAvg)));
      expect(bits(state[i].expAvgSq)).toEqual(bits(Float32Array.from(s.expAvgSq)));
    });
    // And it writes torch's layout back: step a Python int, not a tensor.
    const torchShaped = opt.stateDict({ format: 'torch' }) as Map<string, unknown>;
    const first = (torchShaped.get('state') as Map<number, Map<string, unknown>>).get(0)!;
    expect(first.get('step')).toBe(last.state[0].step);
    expect((first.get('exp_avg') as { shape: number[] }).shape).toEqual(fixture.params[0].shape);
  });

  test.each(['JSON', 'torch file'])('a %s round trip resumes with the same bits', (how) => {
    const make = () => {
      const w = new Parameter(Float32Array.from({ length: 12 }, (_, i) => Math.cos(i)), { shape: [4, 3] });
      return { w, opt: new SparseAdam([w], { lr: 0.05 }) };
    };
    const grads = [0, 1, 2, 3].map((t) => ({ indices: [t % 4, (t + 2) % 4], values: Array.from({ length: 6 }, (_, k) => Math.sin(t + k)) }));
    const a = make();
    for (const g of grads.slice(0, 2)) (a.w.grad = g), a.opt.step();
    const saved = how === 'JSON' ? JSON.parse(JSON.stringify(a.opt.stateDict())) : loadTorch(saveTorch(a.opt.stateDict({ format: 'torch' })));
    const b = make();
    b.w.data.set(a.w.data);
    b.opt.loadStateDict(saved as SparseAdamStateDict);
    for (const g of grads.slice(2)) for (const { w, opt } of [a, b]) (w.grad = g), opt.step();
    expect(bits(b.w.data)).toEqual(bits(a.w.data));
  });
});
