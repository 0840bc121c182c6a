// Files written by real torch.save and safetensors.torch.save_file (scripts/golden/checkpoints.py,
// torch 2.15.0, safetensors 0.7.0: test/fixtures/torch-checkpoints/versions.json) load exactly:
// expected.json holds what torch.load(weights_only=True) read back from the same files, in the
// canonical form of test/torch/torch-helpers.ts.
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { loadSafetensors, loadTorch, saveSafetensors, saveTorch, type TorchTensor } from 'lucid-optim';
import { canonical } from './torch-helpers.js';

const dir = new URL('../fixtures/torch-checkpoints/', import.meta.url);
const read = (name: string) => new Uint8Array(readFileSync(new URL(name, dir)));
const expected = JSON.parse(readFileSync(new URL('expected.json', dir), 'utf8'));

describe('real torch files', () => {
  test('model.pt: an OrderedDict state dict with every dtype and views of a shared storage', () => {
    const value = loadTorch(read('model.pt')) as Map<string, TorchTensor>;
    expect(canonical(value)).toEqual(expected['model.pt']);
    // Spelled out for the views (base = torch.arange(12.).reshape(3, 4)):
    expect(Array.from(value.get('views.t')!.data as Float32Array)).toEqual([0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11]);
    expect(Array.from(value.get('views.slice')!.data as Float32Array)).toEqual([6, 7, 10, 11]);
    expect(value.get('views.scalar')!.shape).toEqual([]);
  });

  test('adam.pt: torch.optim.Adam(amsgrad=True) state_dict, two groups, int state keys', () => {
    const value = loadTorch(read('adam.pt')) as Map<string, unknown>;
    expect(canonical(value)).toEqual(expected['adam.pt']);
    const state = value.get('state') as Map<number, Map<string, TorchTensor>>;
    expect([...state.keys()]).toEqual([0, 1]);
    expect(state.get(0)!.get('step')!.shape).toEqual([]);
  });

  test('model.safetensors: every dtype and the metadata', () => {
    const { tensors, metadata } = loadSafetensors(read('model.safetensors'));
    const sorted = new Map([...tensors.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));
    expect(canonical(sorted)).toEqual(expected['model.safetensors'].tensors);
    expect(metadata).toEqual(expected['model.safetensors'].metadata);
  });

  test('written again by lucid-optim, they read back the same', () => {
    for (const name of ['model.pt', 'adam.pt']) expect(canonical(loadTorch(saveTorch(loadTorch(read(name)))))).toEqual(expected[name]);
    const { tensors, metadata } = loadSafetensors(read('model.safetensors'));
    const again = loadSafetensors(saveSafetensors(tensors, metadata));
    expect(canonical(new Map([...again.tensors.entries()].sort(([a], [b]) => (a < b ? -1 : 1))))).toEqual(expected['model.safetensors'].tensors);
  });
});
