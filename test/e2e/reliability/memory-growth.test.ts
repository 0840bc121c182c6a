// Reliability, memory growth: WebAssembly memory grows (never shrinks) when lucid-optim allocates,
// and every Float32Array over the old memory is then detached (length 0; writes to it are lost).
// The rule (README "Safety", Parameter docs): read `param.data` / `param.grad` again after
// anything that may allocate; the getters always return a live view, so values written through
// them are never lost. `reserve(bytes)` grows memory once, up front, so that later allocations
// up to that size leave views attached.
//
// Two tests need an instance of their own (freshInstance): one whose free memory must be small,
// and one that grows memory by gigabytes (which would make growing it again, in the tests after,
// touch gigabytes). The others share this file's instance and pass in any order.
import { beforeAll, describe, expect, test } from 'vitest';
import { Adam, init, memoryStats, Parameter, reserve } from 'lucid-optim';
import { freshInstance, growMemory, type Lucid } from './reliability-helpers.js';

beforeAll(() => init());

const MB = 1 << 20;

/** Bytes `lucid`'s instance can allocate without growing memory. */
function freeBytes({ memoryStats }: Lucid): number {
  const { memoryBytes, allocatedBytes } = memoryStats();
  return memoryBytes - allocatedBytes;
}

/** A small parameter whose creation grows memory (growMemory, keeping the new parameter). */
function paramThatGrowsMemory(): Parameter {
  const before = memoryStats().memoryBytes;
  growMemory();
  expect(memoryStats().memoryBytes).toBeGreaterThan(before);
  return new Parameter(4);
}

// A copy from a live view across the growth of the very call that reads it. In a fresh instance,
// whose free memory is small (this file's may have grown by gigabytes).
test('new Parameter(otherParam.data) and p.grad = otherParam.data copy the view before growing memory', async () => {
  const lucid = await freshInstance();
  const { memoryStats, Parameter } = lucid;
  // Bigger than all free memory: creating it grows memory; free memory is then about what it was.
  const src = new Parameter(Math.ceil((freeBytes(lucid) + MB) / 4));
  src.data.set([1, 2, 3]);
  src.data[src.length - 1] = 42;
  let before = memoryStats().memoryBytes;
  const clone = new Parameter(src.data); // needs src.length more elements: grows
  expect(memoryStats().memoryBytes).toBeGreaterThan(before);
  expect(Array.from(clone.data.subarray(0, 3))).toEqual([1, 2, 3]);
  expect(clone.data[clone.length - 1]).toBe(42);
  clone.dispose();

  const target = new Parameter(src.length); // reuses clone's block
  const view = src.data;
  before = memoryStats().memoryBytes;
  // Leave less than 2 MB free (less than a gradient of src.length needs) without growing memory.
  const filler = freeBytes(lucid) > 2 * MB ? new Parameter(Math.floor((freeBytes(lucid) - 2 * MB) / 4)) : undefined;
  const filledTo = memoryStats().memoryBytes;
  expect(filledTo).toBe(before);
  target.grad = src.data; // the first grad allocates (growing memory), then copies
  expect(memoryStats().memoryBytes).toBeGreaterThan(filledTo);
  expect(before).toBeLessThanOrEqual(filledTo);
  expect(view.length).toBe(0); // taken before the growth: detached
  expect(Array.from(target.grad!.subarray(0, 3))).toEqual([1, 2, 3]);
  expect(target.grad![target.length - 1]).toBe(42);
  [src, target, filler].forEach((p) => p?.dispose());
});

describe('views and growth', () => {
  test('creating a parameter grows memory and detaches views taken before; the getters give live ones', () => {
    const p = new Parameter([1, 2, 3], { name: 'p' });
    p.grad = [0.5, 0.5, 0.5];
    const oldData = p.data;
    const oldGrad = p.grad!;
    const before = memoryStats().memoryBytes;
    const big = paramThatGrowsMemory();
    expect(memoryStats().memoryBytes).toBeGreaterThan(before);
    // Detached: length 0, and a write through it goes nowhere.
    expect(oldData.length).toBe(0);
    expect(oldGrad.length).toBe(0);
    oldData[0] = 99;
    expect(oldData[0]).toBeUndefined();
    // The getters return new, live views with the same values.
    expect(p.data === oldData).toBe(false);
    expect(Array.from(p.data)).toEqual([1, 2, 3]);
    expect(Array.from(p.grad!)).toEqual([0.5, 0.5, 0.5]);
    big.dispose();
  });

  test('values written through the getters survive growth between two accesses, and steps see them', () => {
    const n = 1000;
    const w = new Parameter(n, { name: 'w' });
    const twin = new Parameter(n, { name: 'twin' }); // the same steps without any growth in between
    const opt = new Adam([w], { lr: 0.01 });
    const optTwin = new Adam([twin], { lr: 0.01 });
    const keep: Parameter[] = [];
    for (let step = 0; step < 5; step++) {
      for (let i = 0; i < n; i++) {
        w.data[i] += i % 7; // read-modify-write through the getter, element by element
        twin.data[i] += i % 7;
      }
      keep.push(paramThatGrowsMemory()); // between the writes above and the reads below
      w.grad = Float32Array.from({ length: n }, (_, i) => Math.sin(i + step));
      twin.grad = Float32Array.from({ length: n }, (_, i) => Math.sin(i + step));
      keep.push(paramThatGrowsMemory());
      w.grad[3] = 2; // through the getter again, after growth
      twin.grad![3] = 2;
      opt.step();
      optTwin.step();
      expect(Array.from(w.data)).toEqual(Array.from(twin.data));
      expect(opt.stateDict()).toEqual(optTwin.stateDict());
      keep.splice(0).forEach((p) => p.dispose());
    }
  });

  test("a parameter's first step allocates its state and may grow memory: views taken before detach", () => {
    const { memoryBytes, allocatedBytes } = memoryStats();
    const p = new Parameter(Math.ceil((memoryBytes - allocatedBytes + MB) / 8)); // state (8 bytes/element) cannot fit
    p.grad = new Float32Array(p.length).fill(1);
    const view = p.data;
    const opt = new Adam([p], { lr: 0.5 });
    const before = memoryStats().memoryBytes;
    opt.step();
    expect(memoryStats().memoryBytes).toBeGreaterThan(before);
    expect(view.length).toBe(0);
    expect(p.data[0]).toBeCloseTo(-0.5, 6); // 0 - lr * sign(grad) on the first step
    opt.dispose();
    p.dispose();
  });

  test('stateDict() buffers are copies: growth does not touch them', () => {
    const p = new Parameter([1, 2]);
    const opt = new Adam([p]);
    p.grad = [1, -1];
    opt.step();
    const sd = opt.stateDict();
    growMemory();
    expect(sd.state[0].expAvg.length).toBe(2);
    expect(Array.from(sd.state[0].expAvg)).toEqual(Array.from(opt.stateDict().state[0].expAvg));
  });
});

describe('reserve(bytes)', () => {
  test('grows memory once so that parameters, gradients and state up to that size do not grow it again', () => {
    const n = 2_000_000; // 16 bytes per trained element: data, grad, expAvg, expAvgSq
    const before = memoryStats();
    reserve(16 * n);
    const reserved = memoryStats();
    expect(reserved.allocatedBytes).toBe(before.allocatedBytes); // reserving allocates nothing lasting
    expect(reserved.memoryBytes - before.allocatedBytes).toBeGreaterThanOrEqual(16 * n);

    const anchor = new Parameter([1, 2, 3]);
    const view = anchor.data; // must stay attached through everything below
    const params = [n / 2, n / 4, n / 4].map((len) => new Parameter(len));
    params.forEach((p) => (p.grad = new Float32Array(p.length).fill(0.1)));
    const opt = new Adam(params);
    opt.step();
    expect(memoryStats().memoryBytes).toBe(reserved.memoryBytes);
    expect(view.length).toBe(3);
    view[0] = 10; // still the parameter's memory
    expect(anchor.data[0]).toBe(10);

    opt.dispose();
    [anchor, ...params].forEach((p) => p.dispose());
  });

  test('reserving what is already free does not grow memory', () => {
    reserve(8 * MB);
    const before = memoryStats().memoryBytes;
    reserve(8 * MB);
    reserve(0);
    expect(memoryStats().memoryBytes).toBe(before);
  });

  test('reserve beyond what wasm32 can give is a RangeError, and the module keeps working', async () => {
    // In a fresh instance: this grows memory as far as it can (gigabytes, untouched), which would
    // make every later growth of the shared instance touch gigabytes.
    const { Adam, Parameter, reserve } = await freshInstance();
    expect(() => reserve(2 ** 32)).toThrow(RangeError);
    expect(() => reserve(2 ** 32)).toThrow(/^reserve: cannot reserve 4294967296 bytes: .*out of WebAssembly memory/);
    const p = new Parameter([1, 2]);
    const opt = new Adam([p], { lr: 0.1 });
    p.grad = [1, 1];
    opt.step();
    // First step: each element moves by lr against the sign of its gradient.
    expect(p.data[0]).toBeCloseTo(0.9, 6);
    expect(p.data[1]).toBeCloseTo(1.9, 6);
  });
});
