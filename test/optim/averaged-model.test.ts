// AveragedModel against real torch 2.15: test/fixtures/torch-averaging/<case>.json, written by
//   .venv-golden/bin/python scripts/golden/averaging.py
// (torch.optim.swa_utils.AveragedModel over a Linear-Tanh-Linear model, ATEN_CPU_CAPABILITY=default;
// scripts/golden/averaging.py says how). Each case sets the model's parameters to new values before
// each update_parameters; every averaged parameter after every update must equal torch's bit for
// bit (the fixture's float32 bit patterns), with n_averaged. Then the checkpoint in torch's shape
// (torch's own ema-state-dict.pt in, lucid's out), lucid's JSON state dict, and bad input.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, test } from 'vitest';
import { AveragedModel, Parameter, init, loadTorch, namedTensors, saveTorch, type TorchTensor } from 'lucid-optim';
import { goldenNames } from '../e2e/fidelity/golden';
import { bits } from '../helpers';

beforeAll(() => init());

interface Fixture {
  name: string;
  average: 'swa' | 'ema';
  decay?: number;
  params: { name: string; shape: number[] }[];
  stateDictKeys: string[];
  steps: { source: string[][]; averaged: string[][]; nAveraged: number }[];
}

const fixtureDir = new URL('../fixtures/torch-averaging/', import.meta.url);
/** Every case in the directory (goldenNames fails the suite if it holds other than the expected files). */
const CASES = goldenNames('torch-averaging').filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -'.json'.length));
const load = (name: string) => JSON.parse(readFileSync(new URL(`${name}.json`, fixtureDir), 'utf8')) as Fixture;

/** float32 values from the fixture's "0x%08x" bit patterns. */
const fromBits = (hex: string[]) => new Float32Array(Uint32Array.from(hex, (h) => parseInt(h, 16)).buffer);
const hex = (values: Float32Array) => bits(values).map((b) => `0x${b.toString(16).padStart(8, '0')}`);

/** The fixture's model as lucid Parameters (zeros: the first update copies the source anyway). */
const modelOf = (fixture: Fixture) => fixture.params.map((p) => new Parameter(p.shape.reduce((a, b) => a * b, 1), { shape: p.shape, name: p.name }));
const averagedOf = (fixture: Fixture, model: Parameter[]) =>
  new AveragedModel(model, fixture.average === 'ema' ? { average: 'ema', decay: fixture.decay } : {});

describe.each(CASES)('%s against torch', (name) => {
  const fixture = load(name);

  test(`every averaged parameter after each of ${fixture.steps.length} updates is torch's, bit for bit`, () => {
    const model = modelOf(fixture);
    const averaged = averagedOf(fixture, model);
    expect(averaged.params.map((p) => [p.name, p.shape])).toEqual(fixture.params.map((p) => [p.name, p.shape]));
    fixture.steps.forEach((step, k) => {
      model.forEach((p, i) => p.data.set(fromBits(step.source[i])));
      averaged.update();
      expect(averaged.nAveraged, `n_averaged after update ${k + 1}`).toBe(step.nAveraged);
      averaged.params.forEach((p, i) => expect(hex(p.data), `${p.name} after update ${k + 1}`).toEqual(step.averaged[i]));
    });
    // The source is only read.
    model.forEach((p, i) => expect(hex(p.data)).toEqual(fixture.steps.at(-1)!.source[i]));
  });

  test("stateDict({ format: 'torch' }) has torch's keys in torch's order: n_averaged, then module.<name>", () => {
    const model = modelOf(fixture);
    const averaged = averagedOf(fixture, model);
    averaged.update();
    const state = averaged.stateDict({ format: 'torch' });
    expect([...state.keys()]).toEqual(fixture.stateDictKeys);
    expect(state.get('n_averaged')).toEqual({ dtype: 'int64', shape: [], data: BigInt64Array.of(1n) });
  });

  test('resumed from its JSON state dict mid-run, it continues bit for bit', () => {
    const model = modelOf(fixture);
    const averaged = averagedOf(fixture, model);
    const half = Math.floor(fixture.steps.length / 2);
    const feed = (target: AveragedModel, k: number) => {
      model.forEach((p, i) => p.data.set(fromBits(fixture.steps[k].source[i])));
      target.update();
    };
    for (let k = 0; k < half; k++) feed(averaged, k);
    const saved = JSON.parse(JSON.stringify(averaged.stateDict()));
    const resumed = averagedOf(fixture, model);
    resumed.loadStateDict(saved);
    expect(resumed.nAveraged).toBe(half);
    for (let k = half; k < fixture.steps.length; k++) feed(resumed, k);
    resumed.params.forEach((p, i) => expect(hex(p.data)).toEqual(fixture.steps.at(-1)!.averaged[i]));
  });
});

describe("checkpoints in torch's shape", () => {
  const fixture = load('ema-0.9');

  test("torch's own AveragedModel.state_dict() file loads: the averaged parameters and n_averaged of its last update", () => {
    const saved = loadTorch(readFileSync(new URL('ema-state-dict.pt', fixtureDir))) as Map<string, unknown>;
    const averaged = averagedOf(fixture, modelOf(fixture));
    averaged.loadStateDict(saved);
    expect(averaged.nAveraged).toBe(fixture.steps.length);
    averaged.params.forEach((p, i) => expect(hex(p.data)).toEqual(fixture.steps.at(-1)!.averaged[i]));
  });

  test("lucid's file holds what torch's does: the same keys, dtypes, shapes and bits", () => {
    const model = modelOf(fixture);
    const averaged = averagedOf(fixture, model);
    for (const step of fixture.steps) {
      model.forEach((p, i) => p.data.set(fromBits(step.source[i])));
      averaged.update();
    }
    const ours = loadTorch(saveTorch(averaged.stateDict({ format: 'torch' }))) as Map<string, TorchTensor>;
    const torch = loadTorch(readFileSync(new URL('ema-state-dict.pt', fixtureDir))) as Map<string, TorchTensor>;
    expect(ours).toEqual(torch);
    // And the averaged weights alone, as a model's state dict (namedTensors): what torch's averaged.module holds.
    expect([...namedTensors(averaged.params).keys()]).toEqual(fixture.params.map((p) => p.name));
  });
});

describe('bad input: an error naming the field and the value, and nothing changed', () => {
  const make = () => [new Parameter([1, 2, 3], { name: 'w' }), new Parameter([4], { name: 'b' })];

  test('construction', () => {
    const [w] = make();
    expect(() => new AveragedModel(5 as never)).toThrow(new TypeError('AveragedModel: params must be an iterable of Parameters, got 5'));
    expect(() => new AveragedModel([w, 'x' as never])).toThrow(new TypeError('AveragedModel: params[1] must be a Parameter, got "x"'));
    expect(() => new AveragedModel([w, w])).toThrow(RangeError);
    expect(() => new AveragedModel([w], { average: 'mean' as never })).toThrow(new RangeError('AveragedModel: average must be one of "swa", "ema", got "mean"'));
    expect(() => new AveragedModel([w], { average: 'ema', decay: 1.5 })).toThrow(new RangeError('AveragedModel: decay must be in [0, 1], got 1.5'));
    expect(() => new AveragedModel([w], { decay: 0.9 })).toThrow(TypeError);
    expect(() => new AveragedModel([w], { avg: 1 } as never)).toThrow(TypeError);
    const gone = new Parameter([1]);
    gone.dispose();
    expect(() => new AveragedModel([gone])).toThrow(/AveragedModel: params\[0\].*disposed/);
  });

  test('update() with a disposed source, and after dispose()', () => {
    const params = make();
    const averaged = new AveragedModel(params);
    averaged.update();
    params[0].data[0] = 10;
    const before = averaged.params.map((p) => Array.from(p.data));
    params[1].dispose();
    expect(() => averaged.update()).toThrow(/AveragedModel\.update: source\[1\] \(Parameter "b"\).*disposed/);
    expect(averaged.params.map((p) => Array.from(p.data))).toEqual(before);
    expect(averaged.nAveraged).toBe(1);
    averaged.dispose();
    averaged.dispose(); // idempotent
    expect(() => averaged.stateDict()).toThrow(/params\[0\] \(Parameter "w"; the AveragedModel was disposed\)/);
  });

  test('loadStateDict refuses a state of another model, changing nothing', () => {
    const params = make();
    const averaged = new AveragedModel(params, { average: 'ema' });
    averaged.update();
    const saved = averaged.stateDict();
    const before = JSON.stringify(saved);
    expect(() => averaged.loadStateDict({ ...saved, params: [saved.params[0]] })).toThrow(new RangeError("AveragedModel.loadStateDict: stateDict.params.length must be 2 (this model's parameter count), got 1"));
    expect(() => averaged.loadStateDict({ ...saved, nAveraged: -1 })).toThrow(RangeError);
    expect(() => averaged.loadStateDict({ ...saved, params: [[1, 2, 'x'], [4]] } as never)).toThrow(/stateDict\.params\[0\]\[2\] must be a number/);
    expect(() => averaged.loadStateDict({ ...saved, extra: 1 } as never)).toThrow(TypeError);
    const torchShaped = averaged.stateDict({ format: 'torch' });
    torchShaped.set('module.w', { dtype: 'float32', shape: [4], data: new Float32Array(4) });
    expect(() => averaged.loadStateDict(torchShaped)).toThrow(new RangeError('AveragedModel.loadStateDict: module.w.shape must be [3], got [4]'));
    expect(JSON.stringify(averaged.stateDict())).toBe(before);
  });
});
