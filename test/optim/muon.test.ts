// Muon through everything the engine gives an algorithm, and what is Muon's own: matrices only
// (torch's constructor: "Muon only supports 2D parameters"), torch's other constructor checks,
// a hand-derived step, both state-dict shapes with torch's keys, torch's own saved file
// (test/fixtures/torch-muon/*-state.pt, written by scripts/golden/muon.py with torch 2.15) loaded
// and continued, and round trips that continue bit for bit. Its arithmetic against real torch:
// test/e2e/fidelity/torch-muon.test.ts.
//
// Where an expected value comes from: torch/optim/_muon.py (torch 2.15): the constructor's
// ValueErrors, its `defaults` dict (the order of a saved group's keys), `_init_group` (the state:
// `momentum_buffer` only), `_zeropower_via_newtonschulz` ("Number of steps must be less than 100")
// and `_adjust_lr`.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, test } from 'vitest';
import { init, loadTorch, Muon, Parameter, saveTorch, type TorchTensor } from 'lucid-optim';
import { bits, expectCloseF32, thrownBy } from '../helpers.js';
import { observe } from '../observe.js';

beforeAll(() => init());

const matrix = (values: number[], rows: number, cols: number, name?: string) => new Parameter(values, { shape: [rows, cols], name });

describe('matrices only, as torch', () => {
  test('a parameter that is not 2-D is refused by the constructor, addParamGroup and addParams, changing nothing', () => {
    const w = matrix([1, 2, 3, 4, 5, 6], 2, 3, 'w');
    const bias = new Parameter([1, 2, 3], { name: 'bias' });
    const cube = new Parameter(8, { shape: [2, 2, 2], name: 'cube' });
    const hint = 'but Muon takes only 2-D parameters (torch: "Muon only supports 2D parameters")';
    expect(thrownBy(() => new Muon([w, bias])).message).toContain(`Muon: params[1] (Parameter "bias") has shape [3], ${hint}`);
    expect(thrownBy(() => new Muon([{ params: [w] }, { params: [cube] }])).message).toContain(`paramGroups[1].params[0] (Parameter "cube") has shape [2, 2, 2]`);
    const opt = new Muon([w]);
    w.grad = [1, 0, 0, 0, 1, 0];
    opt.step();
    const before = observe([w, bias, cube], [opt]);
    expect(thrownBy(() => opt.addParamGroup({ params: [bias] }))).toBeInstanceOf(TypeError);
    expect(thrownBy(() => opt.addParams([cube]))).toBeInstanceOf(TypeError);
    expect(observe([w, bias, cube], [opt])).toEqual(before);
    // A 1×n or n×1 matrix is a matrix.
    expect(() => opt.addParams([matrix([1, 2, 3], 1, 3), matrix([1, 2, 3], 3, 1)])).not.toThrow();
    opt.dispose();
  });
});

describe("torch's constructor checks", () => {
  test.each([
    [{ lr: -1 }, 'lr must be a finite number >= 0, got -1'], // "Learning rate should be >= 0 but is: -1"
    [{ momentum: -0.5 }, 'momentum must be a finite number >= 0, got -0.5'], // "momentum should be >= 0 but is: -0.5"
    [{ weightDecay: -1 }, 'weightDecay must be a finite number >= 0, got -1'], // "weight decay should be >= 0 but is: -1"
    // "Adjust learning rate function bogus is not supported"
    [{ adjustLrFn: 'bogus' }, 'adjustLrFn must be one of null, "original", "match_rms_adamw", "spectral_unclamped", got "bogus"'],
    // torch raises this one at the first step ("Number of steps must be less than 100 for
    // computational efficiency"); lucid refuses it where it is given.
    [{ nsSteps: 100 }, 'nsSteps must be an integer in [0, 99], got 100'],
    [{ nsSteps: 2.5 }, 'nsSteps must be an integer in [0, 99], got 2.5'],
    [{ nsCoefficients: [1, 2] }, 'nsCoefficients.length must be 3, got 2'],
    [{ nsCoefficients: [1, 2, NaN] }, 'nsCoefficients[2] must be a finite number, got NaN'],
  ])('%o: a RangeError naming the field and the value', (options, message) => {
    const w = matrix([1, 2], 1, 2);
    expect(thrownBy(() => new Muon([w], options as never))).toEqual(new RangeError(`Muon: ${message}`));
    const opt = new Muon([w]);
    w.grad = [1, -1];
    opt.step();
    Object.assign(opt.paramGroups[0], options);
    const before = observe([w], [opt]);
    expect(thrownBy(() => opt.step())).toEqual(new RangeError(`Muon.step: paramGroups[0].${message}`));
    expect(observe([w], [opt])).toEqual(before);
    opt.dispose();
  });

  test('what torch accepts at the edges: lr, momentum and weight decay 0, any eps, 0 and 99 iterations, every adjustLrFn', () => {
    for (const options of [{ lr: 0, momentum: 0, weightDecay: 0 }, { eps: -1 }, { nsSteps: 0 }, { nsSteps: 99 }, { momentum: 2 }, ...['original', 'match_rms_adamw', 'spectral_unclamped', null].map((f) => ({ adjustLrFn: f }))]) {
      const w = matrix([1, 2, 3, 4], 2, 2);
      const opt = new Muon([w], options as object);
      w.grad = [0.5, -0.5, 1, 2];
      expect(() => opt.step(), JSON.stringify(options)).not.toThrow();
      opt.dispose();
    }
  });
});

test('a step by hand: no momentum, no iteration, no decay: p - lr * sqrt(max(1, A / B)) * g / ||g||', () => {
  // momentum 0: buf.lerp_(grad, 1) is the gradient; nesterov off: the update is the buffer;
  // nsSteps 0: X = g / ||g||_2 (here ||(3, 4, 0, 0, 0, 12)|| = 13), transposed and back for the tall
  // 3×2 matrix; _adjust_lr('original') for 3×2: sqrt(max(1, 3 / 2)).
  const w = matrix([1, 1, 1, 1, 1, 1], 3, 2);
  const opt = new Muon([w], { lr: 0.1, momentum: 0, nesterov: false, nsSteps: 0, weightDecay: 0 });
  w.grad = [3, 4, 0, 0, 0, 12];
  opt.step();
  const lr = 0.1 * Math.sqrt(1.5);
  expectCloseF32(w.data, [1 - (lr * 3) / 13, 1 - (lr * 4) / 13, 1, 1, 1, 1 - (lr * 12) / 13], 4);
  expect(Array.from(opt.stateDict().state[0].momentumBuffer)).toEqual([3, 4, 0, 0, 0, 12]);
  opt.dispose();
});

/** Two groups over a wide and a tall matrix (the second with Nesterov off and 'match_rms_adamw'), three steps of made-up gradients. */
function trained() {
  const a = matrix([1, -2, 3, 0.5, 0.25, -4], 2, 3);
  const b = matrix([0.5, 1, -1, 2, 0, 3, 1, 1], 4, 2);
  const opt = new Muon([{ params: [a], lr: 0.05 }, { params: [b], nesterov: false, adjustLrFn: 'match_rms_adamw', momentum: 0.5 }]);
  for (let t = 1; t <= 3; t++) {
    a.grad = a.data.map((x, i) => x * 0.1 * t - i);
    b.grad = b.data.map((x, i) => (i % 3) - x * t);
    opt.step();
  }
  return { a, b, opt };
}

describe('state dicts', () => {
  test("torch's keys, in torch's order: the state is momentum_buffer only (no step)", () => {
    const { opt } = trained();
    const torch = opt.stateDict({ format: 'torch' });
    const groups = torch.get('param_groups') as Map<string, unknown>[];
    expect([...groups[1].keys()]).toEqual(['lr', 'weight_decay', 'momentum', 'nesterov', 'ns_coefficients', 'eps', 'ns_steps', 'adjust_lr_fn', 'params']);
    expect([groups[0].get('adjust_lr_fn'), groups[1].get('adjust_lr_fn'), groups[1].get('ns_steps')]).toEqual([null, 'match_rms_adamw', 5]);
    const state = torch.get('state') as Map<number, Map<string, TorchTensor>>;
    expect([...state.get(1)!.keys()]).toEqual(['momentum_buffer']);
    expect(state.get(1)!.get('momentum_buffer')!.shape).toEqual([4, 2]);
    expect(Object.keys(opt.stateDict().state[0])).toEqual(['momentumBuffer']);
    opt.dispose();
  });

  test.each(['lucid', 'JSON', 'torch file'])('saved as %s and loaded into a new optimizer, it continues bit for bit', (how) => {
    const { a, b, opt } = trained();
    const saved = how === 'torch file' ? loadTorch(saveTorch(opt.stateDict({ format: 'torch' }))) : how === 'JSON' ? JSON.parse(JSON.stringify(opt.stateDict())) : opt.stateDict();
    const a2 = matrix(Array.from(a.data), 2, 3);
    const b2 = matrix(Array.from(b.data), 4, 2);
    const resumed = new Muon([{ params: [a2] }, { params: [b2] }]);
    resumed.loadStateDict(saved);
    for (const [x, y, g] of [
      [a, a2, [1, 2, 3, -1, -2, -3]],
      [b, b2, [0.5, 0, -0.5, 1, 2, -2, 0, 1]],
    ] as const) {
      x.grad = g;
      y.grad = g;
    }
    opt.step();
    resumed.step();
    expect([bits(a2.data), bits(b2.data)]).toEqual([bits(a.data), bits(b.data)]);
    expect(resumed.paramGroups[1].adjustLrFn).toBe('match_rms_adamw');
    opt.dispose();
    resumed.dispose();
  });
});

describe("torch's own file (test/fixtures/torch-muon/<case>-state.pt: optimizer.state_dict() after the case's last step)", () => {
  test.each(['defaults', 'no-nesterov'])('%s: loaded, its momentum buffers and groups are torch’s', (name) => {
    const dir = new URL('../fixtures/torch-muon/', import.meta.url);
    const fx = JSON.parse(readFileSync(new URL(`${name}.json`, dir), 'utf8'));
    const last = fx.runs.float32.at(-1);
    const params = fx.params.map((p: { shape: number[] }, i: number) => new Parameter(last.params[i], { shape: p.shape }));
    const opt = new Muon(fx.groups.map((g: { params: number[] }) => ({ params: g.params.map((i) => params[i]) })));
    opt.loadStateDict(loadTorch(readFileSync(new URL(`${name}-state.pt`, dir))) as never);
    const state = opt.stateDict().state;
    last.momentumBuffers.forEach((buffer: number[], i: number) => {
      expect(Array.from(state[i].momentumBuffer), `momentum_buffer of parameter ${i}`).toEqual(buffer.map(Math.fround));
    });
    const { params: _p, ...options } = fx.groups[0];
    expect({ ...opt.paramGroups[0], params: undefined }).toEqual({ ...options, params: undefined });
    opt.dispose();
  });
});
