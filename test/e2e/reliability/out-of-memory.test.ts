// Reliability, out of memory: an allocation WebAssembly memory cannot hold is a RangeError that
// changes nothing, never a trap, and the module keeps working afterwards.
//
// To run out of memory without touching gigabytes, the setup grows the instance's memory up to 48 MiB
// short of wasm32's 4 GiB (nearly-full-memory.ts). Every test starts from there and gives back
// every byte it takes (checked after each one), so each can run alone or in any order.
import { afterEach, beforeAll, expect, test } from 'vitest';
import { thrownBy } from '../../helpers.js';
import { observe } from '../../observe.js';
import { initNearlyFull } from './nearly-full-memory.js';

const MiB = 2 ** 20;
/** What Rust's allocator can still grow into after the setup. */
const LEFT = 48 * MiB;
const { Adam, memoryStats, Parameter } = await initNearlyFull(LEFT);
type Param = InstanceType<typeof Parameter>;

beforeAll(() => {
  baseline = memoryStats().allocatedBytes;
});

/** What lucid-optim has allocated after the setup; every test ends there again. */
let baseline: number;
afterEach(() => {
  expect(memoryStats().allocatedBytes, 'every byte a test took is given back').toBe(baseline);
});

/** The module still computes: a small fresh parameter takes a correct first Adam step. */
function expectModuleWorks(): void {
  const p = new Parameter([1, -1, 0.5]);
  const opt = new Adam([p], { lr: 0.25 });
  p.grad = [2, -3, 0];
  opt.step();
  // First step: m/sqrt(v) = sign(grad) up to eps, so each element moves by lr against its gradient's sign.
  expect(p.data[0]).toBeCloseTo(0.75, 6);
  expect(p.data[1]).toBeCloseTo(-0.75, 6);
  expect(p.data[2]).toBe(0.5);
  opt.dispose();
  p.dispose();
}


test('a 2e9-element Parameter (8 GB) is a RangeError before anything is allocated', () => {
  const before = memoryStats();
  const error = thrownBy(() => new Parameter(2e9));
  expect(error).toBeInstanceOf(RangeError);
  expect(error.message).toBe('Parameter: length must be at most 536870911 (2 GiB of f32, the most one WebAssembly buffer holds), got 2000000000');
  expect(memoryStats()).toEqual(before);
  expectModuleWorks();
});

test('a 5e8-element Parameter (2 GB: one buffer could hold it, memory cannot) is a RangeError, and nothing changes', () => {
  const before = memoryStats();
  const error = thrownBy(() => new Parameter(5e8));
  expect(error).toBeInstanceOf(RangeError);
  expect(error.message).toMatch(/^Parameter: cannot create 500000000 elements: cannot allocate 2000000000 bytes \(out of WebAssembly memory: .*\); nothing was changed$/);
  expect(memoryStats()).toEqual(before);
  expectModuleWorks();
});

test('so is one just too big for what is left (80 MB), from a plain array too', () => {
  const before = memoryStats().allocatedBytes;
  expect(() => new Parameter(20_000_000)).toThrow(RangeError);
  expect(memoryStats().allocatedBytes).toBe(before);
  expectModuleWorks();
});

// From here on, buffers of E elements (B bytes): what is left holds 3.5 of them. A parameter with
// a gradient takes 2 B; its first step needs 2 B more, of which the first buffer fits and the
// second does not: the step fails half-way through its allocations.
const E = Math.floor(LEFT / 3.5 / 4 / 8) * 8; // elements per buffer (a multiple of 8)
const B = 4 * E; // bytes per buffer; LEFT is 3.5 B

/** A parameter of E elements with a gradient: 2 B used, 1.5 B left. */
function bigWithGradient(): Param {
  const big = new Parameter(E, { name: 'big' });
  big.grad = new Float32Array(E).fill(0.5);
  return big;
}

test('a step whose new state does not fit is a RangeError naming the parameter, and changes nothing', () => {
  const big = bigWithGradient(); // 1.5 B left: room for expAvg, not expAvgSq
  big.data[7] = 3;
  const small = new Parameter([1, 2], { name: 'small' });
  small.grad = [1, 1];
  const opt = new Adam([{ params: [small] }, { params: [big] }], { lr: 0.1 });
  const before = observe([small, big], [opt]);
  const error = thrownBy(() => opt.step());
  expect(error).toBeInstanceOf(RangeError);
  expect(error.message).toMatch(
    new RegExp(`^Adam.step: cannot allocate its optimizer state for parameter 1 \\(Parameter "big", ${E} elements\\): .*out of WebAssembly memory.*; nothing was changed$`),
  );
  // Not even `small`, whose state would have fitted, stepped: the step is all or nothing.
  expect(observe([small, big], [opt])).toEqual(before);
  expect(opt.stateDict().state).toEqual({});
  expectModuleWorks();

  // Without `big`'s gradient the same optimizer steps fine.
  big.grad = null;
  opt.step();
  expect(small.data[0]).toBeCloseTo(0.9, 6);
  expect(opt.stateDict().state[1]).toBeUndefined();
  opt.dispose();
  small.dispose();
  big.dispose();
});

test("a parameter's first gradient that does not fit is a RangeError; grad stays null", () => {
  const big = bigWithGradient();
  const q = new Parameter(E, { name: 'q' }); // 3 B used, 0.5 B left
  const before = observe([q]);
  const error = thrownBy(() => (q.grad = new Float32Array(E)));
  expect(error).toBeInstanceOf(RangeError);
  expect(error.message).toMatch(new RegExp(`^Parameter "q": cannot create its gradient \\(${E} elements\\): .*; nothing was changed$`));
  expect(q.grad).toBeNull();
  expect(observe([q])).toEqual(before);
  expectModuleWorks();
  q.dispose();
  big.dispose();
});

test('loadStateDict whose state does not fit is a RangeError, and changes nothing', () => {
  const big = bigWithGradient(); // the loaded state needs 2 B, 1.5 B are left
  const other = new Parameter([1, 2]);
  const target = new Adam([{ params: [other] }, { params: [big] }], { lr: 0.5 });
  const saved = {
    state: { 1: { step: 3, expAvg: new Float32Array(E).fill(0.1), expAvgSq: new Float32Array(E).fill(0.2) } },
    paramGroups: target.stateDict().paramGroups.map((g) => ({ ...g, lr: 0.01 })),
  };
  const before = observe([other, big], [target]);
  const error = thrownBy(() => target.loadStateDict(saved));
  expect(error).toBeInstanceOf(RangeError);
  expect(error.message).toMatch(new RegExp(`^Adam.loadStateDict: cannot allocate the loaded state for parameter 1 \\(Parameter "big", ${E} elements\\): .*; nothing was changed$`));
  expect(observe([other, big], [target])).toEqual(before);
  expect(target.paramGroups[1].lr).toBe(0.5); // the hyperparameters were not loaded either
  target.dispose();
  other.dispose();
  big.dispose();
  expectModuleWorks();
});

test('switching AMSGrad on when its buffer does not fit is a RangeError at step, and changes nothing', () => {
  const half = new Parameter(E / 2, { name: 'half' });
  half.grad = new Float32Array(E / 2).fill(-1);
  const opt = new Adam([half], { lr: 0.1 });
  opt.step(); // data, grad and state of half: 2 B in all
  // Fill every free block that could hold the B / 2 maxExpAvgSq needs, a quarter B at a time.
  const blockers: Param[] = [];
  for (;;) {
    try {
      blockers.push(new Parameter(E / 4));
    } catch {
      break;
    }
  }
  expect(blockers.length).toBeGreaterThan(0);
  opt.paramGroups[0].amsgrad = true;
  const before = observe([half], [opt]);
  const error = thrownBy(() => opt.step());
  expect(error).toBeInstanceOf(RangeError);
  expect(error.message).toMatch(new RegExp(`^Adam.step: cannot allocate its optimizer state for parameter 0 \\(Parameter "half", ${E / 2} elements\\)`));
  expect(observe([half], [opt])).toEqual(before);
  // Free the blockers and the same step goes through, with AMSGrad.
  blockers.forEach((b) => b.dispose());
  opt.step();
  const state = opt.stateDict().state[0];
  expect(state.step).toBe(2);
  expect(state.maxExpAvgSq).toBeInstanceOf(Float32Array);
  expect(half.data[0]).toBeGreaterThan(0.15); // two steps of about lr each, against a negative gradient
  opt.dispose();
  half.dispose();
  expectModuleWorks();
});

test('everything disposed gives every byte back, and a parameter whose data, gradient and state take 2 B still steps', () => {
  expect(memoryStats().allocatedBytes).toBe(baseline);
  const p = new Parameter(E / 2);
  p.grad = new Float32Array(E / 2).fill(1);
  const opt = new Adam([p], { lr: 0.1 });
  opt.step();
  expect(p.data[E / 2 - 1]).toBeCloseTo(-0.1, 6);
  opt.dispose();
  p.dispose();
  expect(memoryStats().allocatedBytes).toBe(baseline);
});
