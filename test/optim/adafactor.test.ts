// Adafactor through what is its own: state buffers whose shape is not the parameter's (rowVar and
// colVar for 2 or more dimensions, variance otherwise), an option that may be torch's None
// (eps[0]), torch's constructor checks, both state-dict shapes with torch's keys and shapes,
// torch's own saved file (test/fixtures/torch-adafactor/defaults-state.pt, written by
// scripts/golden/adafactor.py with torch 2.15) loaded and checked, and round trips that continue
// bit for bit. Its arithmetic against real torch: test/e2e/fidelity/torch-adafactor.test.ts.
//
// Where an expected value comes from: torch/optim/_adafactor.py (torch 2.15): the constructor's
// ValueErrors, its `defaults` dict, `_init_group` (`step`, then `row_var` of the gradient's shape
// with its last dimension 1 and `col_var` with its second-to-last 1, or `variance`).
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, test } from 'vitest';
import { Adafactor, init, loadTorch, Parameter, saveTorch, type TorchTensor } from 'lucid-optim';
import { bits, thrownBy } from '../helpers.js';
import { observe } from '../observe.js';

beforeAll(() => init());

describe("torch's constructor checks", () => {
  test.each([
    [{ lr: -1 }, 'lr must be a finite number >= 0, got -1'], // "Learning rate should be >= 0 but is: -1"
    [{ beta2Decay: 0.5 }, 'beta2Decay must be a finite number <= 0, got 0.5'], // "beta2_decay should be <= 0 but is: 0.5"
    [{ eps: [-1, 1e-3] }, "eps[0] must be a finite number >= 0, or null (torch's None), got -1"], // "epsilon1 should be >= 0 but is: -1"
    [{ eps: [null, -1] }, 'eps[1] must be a finite number >= 0, got -1'], // "epsilon2 should be >= 0 but is: -1"
    [{ d: 0.5 }, 'd must be a finite number >= 1, got 0.5'], // "Clipping threshold d should be >= 1 but is: 0.5"
    [{ weightDecay: -1 }, 'weightDecay must be a finite number >= 0, got -1'], // "weight_decay should be >= 0 but is: -1"
    // NaN is not None: only null is.
    [{ eps: [NaN, 1e-3] }, "eps[0] must be a finite number >= 0, or null (torch's None), got NaN"],
  ])('%o: a RangeError naming the field and the value; at the next step too, changing nothing', (options, message) => {
    const w = new Parameter([1, 2, 3, 4], { shape: [2, 2] });
    expect(thrownBy(() => new Adafactor([w], options as never))).toEqual(new RangeError(`Adafactor: ${message}`));
    const opt = new Adafactor([w]);
    w.grad = [1, -1, 0.5, 2];
    opt.step();
    Object.assign(opt.paramGroups[0], options);
    const before = observe([w], [opt]);
    expect(thrownBy(() => opt.step())).toEqual(new RangeError(`Adafactor.step: paramGroups[0].${message}`));
    expect(observe([w], [opt])).toEqual(before);
    opt.dispose();
  });

  test('what torch accepts at the edges: beta2Decay 0, d 1, eps1 0 or None, every weight decay', () => {
    for (const options of [{ beta2Decay: 0 }, { d: 1 }, { eps: [0, 0] }, { eps: [null, 1e-3] }, { weightDecay: 0.5, maximize: true }]) {
      const w = new Parameter([1, 2, 3, 4, 5, 6], { shape: [3, 2] });
      const opt = new Adafactor([w], options as never);
      w.grad = [0.5, -0.5, 1, 2, 0, -1];
      expect(() => opt.step(), JSON.stringify(options)).not.toThrow();
      expect(w.data.every(Number.isFinite)).toBe(true);
      opt.dispose();
    }
  });
});

test("a first step of a vector by hand: variance is the squared gradient, and the update is clipped to rms 1", () => {
  // step 1: one_minus_beta2_t = 1 ** -0.8 = 1, so variance = g²; u = g / sqrt(max(g², eps1²)) =
  // sign(g) (|g| > eps1), whose rms is 1 = d: no clipping. rho = min(lr, 1) = lr; alpha =
  // max(eps2, rms(p)) * lr. p = [3, 4]: rms 3.5355339059327378 (sqrt(12.5)).
  const w = new Parameter([3, 4]);
  const opt = new Adafactor([w], { lr: 0.1 });
  w.grad = [0.5, -2];
  opt.step();
  const alpha = Math.fround(-Math.sqrt(12.5) * 0.1);
  expect(Array.from(w.data)).toEqual([Math.fround(3 + alpha), Math.fround(4 - alpha)]);
  expect(opt.stateDict().state[0]).toEqual({ step: 1, variance: Float32Array.of(0.25, 4) });
  opt.dispose();
});

/** Two groups over a matrix, a 3-D tensor and a vector, three steps of made-up gradients. */
function trained() {
  const a = new Parameter([1, -2, 3, 0.5, 0.25, -4], { shape: [2, 3] });
  const b = new Parameter(Array.from({ length: 12 }, (_, i) => i / 4 - 1), { shape: [2, 3, 2] });
  const c = new Parameter([0.5, 1, -1]);
  const opt = new Adafactor([{ params: [a, b], lr: 0.05 }, { params: [c], eps: [1e-3, 1e-2], weightDecay: 0.1 }]);
  for (let t = 1; t <= 3; t++) {
    for (const p of [a, b, c]) p.grad = p.data.map((x, i) => x * t - (i % 3) + 0.25);
    opt.step();
  }
  return { params: [a, b, c], opt };
}

describe('state dicts', () => {
  test("torch's keys and shapes: rowVar and colVar of the shape with its last, or second-to-last, dimension 1; variance of the parameter's", () => {
    const { opt } = trained();
    const state = opt.stateDict({ format: 'torch' }).get('state') as Map<number, Map<string, TorchTensor>>;
    const shapes = (i: number) => [...state.get(i)!].map(([k, t]) => [k, t.shape]);
    expect(shapes(0)).toEqual([['step', []], ['row_var', [2, 1]], ['col_var', [1, 3]]]);
    expect(shapes(1)).toEqual([['step', []], ['row_var', [2, 3, 1]], ['col_var', [2, 1, 2]]]);
    expect(shapes(2)).toEqual([['step', []], ['variance', [3]]]);
    const group = (opt.stateDict({ format: 'torch' }).get('param_groups') as Map<string, unknown>[])[0];
    expect([...group.keys()]).toEqual(['lr', 'beta2_decay', 'eps', 'd', 'weight_decay', 'foreach', 'maximize', 'params']);
    expect(group.get('eps')).toEqual([null, 1e-3]);
    const lucid = opt.stateDict().state;
    expect([lucid[0].rowVar!.length, lucid[0].colVar!.length, lucid[1].rowVar!.length, lucid[1].colVar!.length, lucid[2].variance!.length]).toEqual([2, 3, 6, 4, 3]);
    opt.dispose();
  });

  test.each(['lucid', 'JSON', 'torch file'])('saved as %s and loaded into a new optimizer, it continues bit for bit', (how) => {
    const { params, opt } = trained();
    const saved = how === 'torch file' ? loadTorch(saveTorch(opt.stateDict({ format: 'torch' }))) : how === 'JSON' ? JSON.parse(JSON.stringify(opt.stateDict())) : opt.stateDict();
    const copies = params.map((p) => new Parameter(Array.from(p.data), { shape: p.shape }));
    const resumed = new Adafactor([{ params: copies.slice(0, 2) }, { params: copies.slice(2) }]);
    resumed.loadStateDict(saved);
    for (const set of [params, copies]) for (const p of set) p.grad = p.data.map((x, i) => 0.5 - x * (i % 2));
    opt.step();
    resumed.step();
    expect(copies.map((p) => bits(p.data))).toEqual(params.map((p) => bits(p.data)));
    expect(resumed.paramGroups[0].eps).toEqual([null, 1e-3]);
    opt.dispose();
    resumed.dispose();
  });

  test('a buffer of the wrong length or shape is refused by name, changing nothing', () => {
    const { params, opt } = trained();
    const before = observe(params, [opt]);
    const sd = opt.stateDict();
    sd.state[0].rowVar = new Float32Array(3);
    expect(thrownBy(() => opt.loadStateDict(sd))).toEqual(
      new RangeError("Adafactor.loadStateDict: stateDict.state[0].rowVar.length must be 2 (its length for the parameter's shape [2, 3]), got 3"),
    );
    const torch = opt.stateDict({ format: 'torch' });
    const entry = (torch.get('state') as Map<number, Map<string, TorchTensor>>).get(1)!;
    entry.set('col_var', { ...entry.get('col_var')!, shape: [2, 2, 1] });
    expect((thrownBy(() => opt.loadStateDict(torch)) as Error).message).toContain('stateDict.state[1].col_var.shape must be [2, 1, 2]');
    expect(observe(params, [opt])).toEqual(before);
    opt.dispose();
  });
});

test("torch's own file (test/fixtures/torch-adafactor/defaults-state.pt: optimizer.state_dict() after the case's 10 steps) loads, with torch's buffers", () => {
  const dir = new URL('../fixtures/torch-adafactor/', import.meta.url);
  const fx = JSON.parse(readFileSync(new URL('defaults.json', dir), 'utf8'));
  const last = fx.checkpoints.at(-1);
  const params = fx.params.map((p: { shape: number[] }, i: number) => new Parameter(last.params[i], { shape: p.shape }));
  const opt = new Adafactor([{ params }]);
  opt.loadStateDict(loadTorch(readFileSync(new URL('defaults-state.pt', dir))) as never);
  const state = opt.stateDict().state;
  last.state.forEach((want: Record<string, number | number[]>, i: number) => {
    const got = state[i] as unknown as Record<string, number | Float32Array>;
    expect(Object.keys(got), `parameter ${i}`).toEqual(Object.keys(want));
    for (const [key, value] of Object.entries(want)) {
      expect(typeof value === 'number' ? got[key] : Array.from(got[key] as Float32Array), `${key} of parameter ${i}`).toEqual(
        typeof value === 'number' ? value : value.map(Math.fround),
      );
    }
  });
  expect(opt.paramGroups[0].eps).toEqual([null, 1e-3]);
  opt.dispose();
});
