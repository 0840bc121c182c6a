// stateDict returns deep copies; loadStateDict restores state and hyperparameters so that training
// continues bit-identically to a run that was never interrupted.
import { beforeAll, describe, expect, test } from 'vitest';
import { Adam, init, Parameter, type StateDict } from 'lucid-optim';
import { bits } from '../helpers.js';

beforeAll(() => init());

/** A deterministic gradient for parameter `i` at step `t` (no RNG needed). */
function gradient(i: number, t: number, length: number): Float32Array {
  return Float32Array.from({ length }, (_, k) => Math.sin(1.3 * t + 0.7 * k + i) * 10 ** ((k % 5) - 2));
}

function makeModel() {
  const params = [new Parameter(Float32Array.from({ length: 37 }, (_, k) => k / 7 - 2)), new Parameter(9), new Parameter(5)];
  const opt = new Adam(
    [
      { params: [params[0]], amsgrad: true, weightDecay: 1e-2 },
      { params: [params[1], params[2]], lr: 3e-2, betas: [0.8, 0.95] },
    ],
    { lr: 1e-2 },
  );
  return { params, opt };
}

function train(model: ReturnType<typeof makeModel>, from: number, to: number) {
  for (let t = from; t < to; t++) {
    model.params.forEach((p, i) => {
      // parameter 2 has no gradient on odd steps: its step count falls behind, and must survive the reload
      p.grad = i === 2 && t % 2 === 1 ? null : gradient(i, t, p.length);
    });
    if (t === 20) model.opt.paramGroups[1].lr = 1e-3;
    model.opt.step();
  }
}

describe('stateDict', () => {
  test('is a deep copy: later steps do not change it, and changing it does not change the optimizer', () => {
    const model = makeModel();
    train(model, 0, 3);
    const sd = model.opt.stateDict();
    const before = bits(sd.state[0].expAvg);
    train(model, 3, 4);
    expect(bits(sd.state[0].expAvg)).toEqual(before);
    sd.state[0].expAvg.fill(123);
    sd.paramGroups[0].betas[0] = 0.1;
    const again = model.opt.stateDict();
    expect(again.state[0].expAvg[0]).not.toBe(123);
    expect(model.opt.paramGroups[0].betas[0]).toBe(0.9);
    expect(sd.state[0].expAvg.buffer).not.toBe(model.params[0].data.buffer); // not a view into WASM memory
  });

  test('has PyTorch\'s shape: state by parameter index across groups, groups with param indices', () => {
    const model = makeModel();
    train(model, 0, 2);
    const sd = model.opt.stateDict();
    expect(Object.keys(sd.state)).toEqual(['0', '1', '2']);
    expect(sd.state[0]).toMatchObject({ step: 2 });
    expect(sd.state[0].maxExpAvgSq).toBeInstanceOf(Float32Array);
    expect(sd.state[1].maxExpAvgSq).toBeUndefined();
    expect(sd.state[2].step).toBe(1); // skipped at t = 1
    expect(sd.paramGroups).toEqual([
      { lr: 1e-2, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 1e-2, amsgrad: true, maximize: false, decoupledWeightDecay: false, params: [0] },
      { lr: 3e-2, betas: [0.8, 0.95], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false, decoupledWeightDecay: false, params: [1, 2] },
    ]);
  });
});

describe('loadStateDict', () => {
  test('save at step 15, load into a fresh optimizer, continue: bit-identical to an uninterrupted run', () => {
    const uninterrupted = makeModel();
    train(uninterrupted, 0, 40);

    const first = makeModel();
    train(first, 0, 15);
    const saved = first.opt.stateDict();
    const weights = first.params.map((p) => p.data.slice());

    const resumed = makeModel();
    resumed.params.forEach((p, i) => (p.data = weights[i]));
    resumed.opt.paramGroups[0].lr = 99; // overwritten by the saved hyperparameters
    resumed.opt.loadStateDict(saved);
    expect(resumed.opt.paramGroups[0].lr).toBe(1e-2);
    train(resumed, 15, 40);

    resumed.params.forEach((p, i) => expect(bits(p.data), `param ${i}`).toEqual(bits(uninterrupted.params[i].data)));
    const a = resumed.opt.stateDict();
    const b = uninterrupted.opt.stateDict();
    for (const i of [0, 1, 2]) {
      expect(a.state[i].step).toBe(b.state[i].step);
      expect(bits(a.state[i].expAvg)).toEqual(bits(b.state[i].expAvg));
      expect(bits(a.state[i].expAvgSq)).toEqual(bits(b.state[i].expAvgSq));
    }
    expect(bits(a.state[0].maxExpAvgSq!)).toEqual(bits(b.state[0].maxExpAvgSq!));
  });

  test('survives a JSON round trip (buffers as plain arrays)', () => {
    const model = makeModel();
    train(model, 0, 5);
    const sd = model.opt.stateDict();
    const json = JSON.stringify(sd, (_k, v) => (v instanceof Float32Array ? Array.from(v) : v));
    const other = makeModel();
    other.opt.loadStateDict(JSON.parse(json) as StateDict);
    expect(bits(other.opt.stateDict().state[1].expAvgSq)).toEqual(bits(sd.state[1].expAvgSq));
  });

  test('replaces state wholesale: parameters absent from the saved state start fresh', () => {
    const model = makeModel();
    train(model, 0, 3);
    const other = makeModel();
    train(other, 0, 1);
    const sd = other.opt.stateDict();
    delete (sd.state as Record<number, unknown>)[1];
    model.opt.loadStateDict(sd);
    expect(Object.keys(model.opt.stateDict().state)).toEqual(['0', '2']);
  });
});
