// namedTensors: named Parameters -> the Map of float32 tensors PyTorch's model.state_dict() holds.
// Expected values: the float32 entries of test/fixtures/torch-checkpoints/model.pt, written by real
// torch 2.15 (scripts/golden/checkpoints.py), made into Parameters and back: the same names in the
// same order, shapes and bits; and through saveTorch/loadTorch unchanged.
import { readFileSync } from 'node:fs';
import { beforeAll, expect, test } from 'vitest';
import { init, loadTorch, namedTensors, Parameter, saveTorch, type TorchTensor } from 'lucid-optim';
import { thrownBy } from '../helpers.js';

beforeAll(() => init());

const torchModel = () => {
  const loaded = loadTorch(readFileSync(new URL('../fixtures/torch-checkpoints/model.pt', import.meta.url))) as Map<string, TorchTensor>;
  // A Parameter has at least one element: the fixture's empty tensor is left out.
  return [...loaded].filter(([, t]) => t.dtype === 'float32' && t.data.length > 0);
};

test("torch's float32 weights made into Parameters come back as torch's state dict: names, order, shapes, bits", () => {
  const weights = torchModel();
  expect(weights.length).toBeGreaterThanOrEqual(2); // the fixture's module has several float32 tensors
  const params = weights.map(([name, t]) => new Parameter(t.data as Float32Array, { name, shape: t.shape }));
  const map = namedTensors(params);
  expect([...map.keys()]).toEqual(weights.map(([name]) => name));
  for (const [name, t] of weights) {
    const got = map.get(name)!;
    expect(got.dtype).toBe('float32');
    expect(got.shape).toEqual(t.shape);
    expect(new Uint32Array(got.data.buffer, got.data.byteOffset, got.data.length)).toEqual(
      new Uint32Array(t.data.buffer, t.data.byteOffset, t.data.length),
    );
  }
  const back = loadTorch(saveTorch(map)) as Map<string, TorchTensor>;
  expect([...back.keys()]).toEqual([...map.keys()]);
  for (const [name, t] of map) expect(Array.from(back.get(name)!.data as Float32Array)).toEqual(Array.from(t.data as Float32Array));
  params.forEach((p) => p.dispose());
});

test('the tensors are copies: later steps and disposing the Parameter leave them as they were', () => {
  const p = new Parameter([1, 2, 3, 4], { name: 'w', shape: [2, 2] });
  const t = namedTensors([p]).get('w')!;
  p.data[0] = 9;
  p.dispose();
  expect(t.shape).toEqual([2, 2]);
  expect(Array.from(t.data as Float32Array)).toEqual([1, 2, 3, 4]);
});

test('refused: not an iterable, not a Parameter, a disposed or unnamed one, a name used twice (TypeError/RangeError naming the field)', () => {
  const a = new Parameter([1], { name: 'a' });
  const twin = new Parameter([2], { name: 'a' });
  const unnamed = new Parameter([3]);
  const gone = new Parameter([4], { name: 'gone' });
  gone.dispose();
  const cases: [unknown, ErrorConstructor, string][] = [
    [42, TypeError, 'namedTensors: params must be an iterable of named Parameters, got 42'],
    [[a, { name: 'x' }], TypeError, 'namedTensors: params[1] must be a Parameter, got'],
    [[unnamed], TypeError, 'namedTensors: params[0].name must be a string'],
    [[a, twin], RangeError, 'namedTensors: params[1].name must be unique (a state dict has one entry per name), got "a"'],
    [[gone], TypeError, 'namedTensors: params[0] (Parameter "gone") was disposed'],
  ];
  for (const [input, kind, message] of cases) {
    const error = thrownBy(() => namedTensors(input as Parameter[]));
    expect(error, message).toBeInstanceOf(kind);
    expect((error as Error).message.startsWith(message), `${(error as Error).message} starts with ${message}`).toBe(true);
  }
  expect(Array.from(a.data)).toEqual([1]); // nothing changed
});
