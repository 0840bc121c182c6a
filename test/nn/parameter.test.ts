// Parameter: values in WebAssembly memory, live views, gradients, shape and name.
import { beforeAll, describe, expect, test } from 'vitest';
import { init, Parameter } from 'lucid-optim';

beforeAll(() => init());

describe('Parameter', () => {
  test('copies initial values in (as f32) and exposes length, shape and name', () => {
    const w = new Parameter([1, 2.5, 0.1], { name: 'w', shape: [3, 1] });
    expect(w.length).toBe(3);
    expect(w.shape).toEqual([3, 1]);
    expect(w.name).toBe('w');
    expect(Array.from(w.data)).toEqual([1, 2.5, Math.fround(0.1)]);
    expect(new Parameter(4).data).toEqual(new Float32Array(4));
    expect(new Parameter(new Float32Array([7, 8])).shape).toEqual([2]);
  });

  test('data is a live view: writes through it are the parameter\'s values', () => {
    const w = new Parameter(3);
    w.data[1] = 5;
    w.data.set([9], 2);
    expect(Array.from(w.data)).toEqual([0, 5, 9]);
    expect(w.data.buffer).toBeInstanceOf(ArrayBuffer); // WebAssembly memory, not a copy
    w.data = [1, 2, 3];
    expect(Array.from(w.data)).toEqual([1, 2, 3]);
  });

  test('grad is null until set, copies in on assignment, is a live view afterwards, and clears with null', () => {
    const w = new Parameter(2);
    expect(w.grad).toBeNull();
    w.grad = [0.5, -1];
    expect(Array.from(w.grad!)).toEqual([0.5, -1]);
    w.grad![0] = 3;
    expect(w.grad![0]).toBe(3);
    w.grad = null;
    expect(w.grad).toBeNull();
    w.grad = new Float32Array([1, 1]);
    expect(Array.from(w.grad!)).toEqual([1, 1]);
  });

  test('zeroGrad(false) zero-fills, zeroGrad() clears', () => {
    const w = new Parameter(2);
    w.grad = [1, 2];
    w.zeroGrad(false);
    expect(Array.from(w.grad!)).toEqual([0, 0]);
    w.zeroGrad();
    expect(w.grad).toBeNull();
  });

  test('views stay correct when WebAssembly memory grows between two reads', () => {
    const w = new Parameter([1, 2, 3]);
    w.grad = [4, 5, 6];
    const before = w.data;
    const big = new Parameter(4 * 1024 * 1024); // 16 MB: forces memory.grow
    expect(before.length).toBe(0); // the old view was detached: memory really grew
    expect(w.data === before).toBe(false);
    expect(Array.from(w.data)).toEqual([1, 2, 3]);
    expect(Array.from(w.grad!)).toEqual([4, 5, 6]);
    big.dispose();
  });
});
