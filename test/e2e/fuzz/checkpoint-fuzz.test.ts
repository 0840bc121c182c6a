// Random mutations of files lucid-optim wrote (fast-check, bounded runs): every outcome is a value
// or lucid-optim's own TypeError/RangeError, never another class, a hang or an engine error.
// FUZZ_RUNS sets the runs per property (default 300, over the fixed seeds of seeds.ts); a failure
// prints the command that replays it (FUZZ_SEED, FUZZ_PATH).
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { unzipSync } from 'fflate';
import { beforeAll, describe, expect, test } from 'vitest';
import { Adam, init, loadSafetensors, loadTorch, Parameter, saveSafetensors, saveTorch, type TorchStateDict } from 'lucid-optim';
import { observe } from '../../observe.js';
import { tensor, torchZip, valueOrRefused } from '../../torch/torch-helpers.js';
import { checkSeeds, fuzzSeeds } from './seeds.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 300);
const FILE = 'test/e2e/fuzz/checkpoint-fuzz.test.ts';
/** Each property over the fixed seeds (seeds.ts), RUNS runs in all. */
const check = <T>(property: fc.IProperty<T>) => checkSeeds(FILE, property, Math.ceil(RUNS / fuzzSeeds().length));

// A state dict shaped like PyTorch's Adam state: nested dicts, int keys, lists, floats, tensors.
const value = new Map<string, unknown>([
  ['state', new Map([[0, new Map<string, unknown>([['step', tensor('float32', [], new Float32Array([3]))], ['exp_avg', tensor('float32', [2, 3], new Float32Array(6).fill(0.5))]])], [1, new Map([['exp_avg_sq', tensor('int64', [2], new BigInt64Array([1n, 2n]))]])]])],
  ['param_groups', [new Map<string, unknown>([['lr', 0.001], ['betas', [0.9, 0.999]], ['params', [0, 1]], ['name', 'g'], ['amsgrad', false], ['x', null]])]],
]);
const pt = saveTorch(value);
const pkl = unzipSync(pt)['archive/data.pkl'];
const storages = { '0': unzipSync(pt)['archive/data/0'], '1': unzipSync(pt)['archive/data/1'], '2': unzipSync(pt)['archive/data/2'] };
const st = saveSafetensors({ a: tensor('float32', [2, 2], new Float32Array([1, 2, 3, 4])), b: tensor('int16', [3], new Int16Array([1, 2, 3])) }, { format: 'pt' });

// A file written by real torch.save (scripts/golden/checkpoints.py).
const real = new Uint8Array(readFileSync(new URL('../../fixtures/torch-checkpoints/model.pt', import.meta.url)));
const realSt = new Uint8Array(readFileSync(new URL('../../fixtures/torch-checkpoints/model.safetensors', import.meta.url)));

// An Adam state dict written by real torch.save (scripts/golden/checkpoints.py: two groups, AMSGrad
// in the second, parameters [3], [2, 3] (no state) and [2, 2]).
const realAdam = new Uint8Array(readFileSync(new URL('../../fixtures/torch-checkpoints/adam-resume.pt', import.meta.url)));

beforeAll(() => init());

/** A mutation: byte overwrites at random positions, then an optional truncation or insertion. */
const mutation = (length: number) =>
  fc.record({
    writes: fc.array(fc.tuple(fc.nat({ max: length - 1 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
    cut: fc.option(fc.nat({ max: length }), { nil: undefined }),
    insert: fc.option(fc.tuple(fc.nat({ max: length }), fc.uint8Array({ minLength: 1, maxLength: 16 })), { nil: undefined }),
  });

function mutate(bytes: Uint8Array, m: { writes: [number, number][]; cut?: number; insert?: [number, Uint8Array] }): Uint8Array {
  let out = bytes.slice();
  for (const [i, v] of m.writes) out[i] = v;
  if (m.insert) {
    const [at, b] = m.insert;
    out = Uint8Array.from([...out.subarray(0, at), ...b, ...out.subarray(at)]);
  }
  if (m.cut !== undefined) out = out.subarray(0, m.cut);
  return out;
}

describe('fuzz', () => {
  test('mutations of a whole saveTorch file', () => {
    check(fc.property(mutation(pt.length), (m) => void valueOrRefused(() => loadTorch(mutate(pt, m)))));
  });

  test('mutations of the data.pkl inside an intact zip (reach the unpickler)', () => {
    check(fc.property(mutation(pkl.length), (m) => void valueOrRefused(() => loadTorch(torchZip(mutate(pkl, m), storages)))));
  });

  test('mutations of files written by real torch.save and safetensors', () => {
    check(fc.property(mutation(real.length), (m) => void valueOrRefused(() => loadTorch(mutate(real, m)))));
    check(fc.property(mutation(realSt.length), (m) => void valueOrRefused(() => loadSafetensors(mutate(realSt, m)))));
  });

  test("mutations of real torch's Adam state dict, through loadStateDict: loaded, or refused with nothing changed", () => {
    check(
      fc.property(mutation(realAdam.length), (m) => {
        const ps = [new Parameter([1, 2, 3]), new Parameter(6, { shape: [2, 3] }), new Parameter([1, 2, 3, 4], { shape: [2, 2] })];
        const opt = new Adam([{ params: ps.slice(0, 2) }, { params: ps.slice(2), amsgrad: true }]);
        ps.forEach((p) => (p.grad = new Float32Array(p.length).fill(0.5)));
        opt.step();
        const before = observe(ps, [opt]);
        try {
          opt.loadStateDict(loadTorch(mutate(realAdam, m)) as TorchStateDict);
        } catch (e) {
          if (!((e instanceof TypeError || e instanceof RangeError) && /^(torch pickle|loadTorch|Adam\.loadStateDict): /.test(e.message))) throw e;
          expect(observe(ps, [opt])).toEqual(before);
        } finally {
          opt.dispose();
          ps.forEach((p) => p.dispose());
        }
      }),
    );
  });

  test('mutations of a safetensors file', () => {
    check(fc.property(mutation(st.length), (m) => void valueOrRefused(() => loadSafetensors(mutate(st, m)))));
  });

  test('the unmutated files load', () => {
    expect(valueOrRefused(() => loadTorch(pt))).toBe('value');
    expect(valueOrRefused(() => loadTorch(torchZip(pkl, storages)))).toBe('value');
    expect(valueOrRefused(() => loadSafetensors(st))).toBe('value');
  });
});
