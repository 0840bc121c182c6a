// What saveTorch writes, read by Python's standard library alone (test/torch/stdlib_check.py:
// zipfile and a restricted pickle.Unpickler); structure and values compared exactly through the
// canonical JSON form both sides produce.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { Adam, AdamW, init, loadTorch, Parameter, saveTorch } from 'lucid-optim';
import { canonical, tensor } from './torch-helpers.js';

beforeAll(() => init());

const script = fileURLToPath(new URL('./stdlib_check.py', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'lucid-optim-stdlib-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs stdlib_check.py on `file` (60 s timeout) and returns its canonical JSON. */
function python(file: Uint8Array, name: string): unknown {
  const path = join(dir, name);
  writeFileSync(path, file);
  const r = spawnSync('python3', [script, path], { encoding: 'utf8', timeout: 60_000 });
  expect(r.error).toBeUndefined();
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout);
}

test('every dtype and structure, as an optimizer state dict would hold them', () => {
  const value = new Map<unknown, unknown>([
    [
      'state',
      new Map([
        [0, new Map([['step', tensor('float32', [], new Float32Array([3]))], ['exp_avg', tensor('float32', [2, 3], new Float32Array([1, -2, 0.5, -0, Infinity, NaN]))]])],
        [1, new Map()],
      ]),
    ],
    ['param_groups', [new Map<string, unknown>([['lr', 0.001], ['betas', [0.9, 0.999]], ['eps', 1e-8], ['amsgrad', true], ['params', [0, 1]], ['foreach', null]])]],
    ['f64', tensor('float64', [2], new Float64Array([Math.PI, -1e-300]))],
    ['f16', tensor('float16', [2], new Uint16Array([0x3c00, 0x7e00]))],
    ['bf16', tensor('bfloat16', [2], new Uint16Array([0x3f80, 0x8000]))],
    ['i64', tensor('int64', [2], new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n]))],
    ['i32', tensor('int32', [1], new Int32Array([-7]))],
    ['i16', tensor('int16', [1], new Int16Array([-300]))],
    ['i8', tensor('int8', [2], new Int8Array([-128, 127]))],
    ['u8', tensor('uint8', [2], new Uint8Array([0, 255]))],
    ['bool', tensor('bool', [2, 1], new Uint8Array([1, 0]))],
    ['empty', tensor('float32', [0], new Float32Array(0))],
    ['ints', [0, 255, 256, 65536, -1, -(2 ** 31), 2 ** 31, 2 ** 53 - 1, 2n ** 64n, -(2n ** 70n)]],
    ['floats', [0.1, -0, Infinity, -Infinity, NaN]],
    ['strings', ['', 'ünïcødé 𝄞']],
    [7, [true, false, null, [[]], new Map([[-1, 'neg']])]],
  ]);
  expect(python(saveTorch(value), 'all.pt')).toEqual(canonical(value));
});

test('more than 1000 list items and dict entries (APPENDS/SETITEMS batches)', () => {
  const value = new Map(Array.from({ length: 2500 }, (_, i) => [i, Array.from({ length: 3 }, (_, j) => i * j)] as [number, number[]]));
  value.set(-1, Array.from({ length: 1001 }, (_, i) => i));
  expect(python(saveTorch(value), 'batches.pt')).toEqual(canonical(value));
});

// opt.stateDict({ format: 'torch' }) of lucid's Adam and AdamW, stepped K steps on the data of the
// real-torch fixtures test/fixtures/torch-checkpoints/{adam,adamw}-resume.{json,pt} (written by
// `.venv-golden/bin/python scripts/golden/checkpoints.py`: torch 2.15.0 took the same K steps and saved
// its state_dict): Python reads lucid's file as lucid meant it, and its state is the one torch saved,
// bit for bit. Its groups hold torch's keys and values; only `foreach` differs (the fixture's torch
// ran foreach=False; lucid writes torch's default, None) and the key order of group 1 (torch keeps the
// order the user gave its options in).
for (const name of ['adam', 'adamw']) {
  test(`${name}: saveTorch(opt.stateDict({ format: 'torch' })) after K steps is torch's state_dict of the same run`, () => {
    const dir = new URL('../fixtures/torch-checkpoints/', import.meta.url);
    const fx = JSON.parse(readFileSync(new URL(`${name}-resume.json`, dir), 'utf8'));
    const params: Parameter[] = fx.initial.map((v: number[], i: number) => new Parameter(v, { shape: fx.shapes[i] }));
    const groups = fx.groups.map((g: { params: number[]; lr?: number; betas: [number, number]; weight_decay: number; amsgrad?: boolean }) => ({
      params: g.params.map((i) => params[i]),
      ...(g.lr === undefined ? {} : { lr: g.lr }),
      betas: g.betas,
      weightDecay: g.weight_decay,
      amsgrad: g.amsgrad ?? false,
    }));
    const opt = new (fx.optimizer === 'AdamW' ? AdamW : Adam)(groups);
    for (let t = 1; t <= fx.savedAfterStep; t++) {
      fx.grads[t - 1].forEach((g: number[] | null, i: number) => (params[i].grad = g));
      opt.step();
    }
    const sd = opt.stateDict({ format: 'torch' });
    const py = python(saveTorch(sd), `${name}.pt`) as { dict: [unknown, unknown][] };
    expect(py).toEqual(canonical(sd));
    const torch = canonical(loadTorch(new Uint8Array(readFileSync(new URL(`${name}-resume.pt`, dir))))) as { dict: [unknown, unknown][] };
    expect(py.dict.map(([k]) => k)).toEqual(torch.dict.map(([k]) => k));
    expect(py.dict[0]).toEqual(torch.dict[0]); // 'state'
    const groupsOf = (c: { dict: [unknown, unknown][] }) =>
      (c.dict[1][1] as { list: { dict: [{ str: string }, unknown][] }[] }).list.map((g) =>
        g.dict.filter(([k]) => k.str !== 'foreach').sort(([a], [b]) => (a.str < b.str ? -1 : 1)),
      );
    expect(groupsOf(py)).toEqual(groupsOf(torch));
  });
}
