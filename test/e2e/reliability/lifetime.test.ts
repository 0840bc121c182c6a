// Reliability, lifetime: dispose() frees what it owns (measured with the allocator's own counters,
// memoryStats().allocatedBytes, and with the size of WebAssembly memory over 10,000 cycles);
// anything disposed refuses further use with a TypeError instead of touching freed memory;
// disposing twice is harmless; and what users forget to dispose is freed by the
// FinalizationRegistry wasm-bindgen registers for every RawParameter and RawAdam (checked in a
// child process run with --expose-gc).
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, test } from 'vitest';
import { Adam, init, memoryStats, Parameter } from 'lucid-optim';

beforeAll(() => init());

/** One cycle of typical use: parameters, gradients, an optimizer, steps, a save and a load. */
function cycle(i: number): void {
  const w = new Parameter(1000 + (i % 7), { name: 'w' });
  const b = new Parameter([0.5, -0.5, 0.25], { name: 'b' });
  const opt = new Adam([{ params: [w] }, { params: [b], amsgrad: i % 2 === 0 }], { lr: 0.01 });
  for (let s = 0; s < 2; s++) {
    w.grad = w.data.map((x, k) => x - k / 1000);
    b.grad = [1, -1, s];
    opt.step();
    opt.zeroGrad();
  }
  const resumed = new Adam([{ params: [w] }, { params: [b] }]);
  resumed.loadStateDict(opt.stateDict());
  opt.dispose();
  resumed.dispose();
  w.dispose();
  b.dispose();
}

describe('dispose frees', () => {
  test('allocatedBytes returns to its baseline after every cycle, and memory stays flat over 10,000 cycles', () => {
    for (let i = 0; i < 10; i++) cycle(i); // warm-up: the allocator takes what it needs once
    const baseline = memoryStats();
    const started = performance.now();
    for (let i = 10; i < 10_010; i++) {
      cycle(i);
      const { allocatedBytes, allocations } = memoryStats();
      if (allocatedBytes !== baseline.allocatedBytes || allocations !== baseline.allocations) {
        expect({ cycle: i, allocatedBytes, allocations }).toEqual({ cycle: i, allocatedBytes: baseline.allocatedBytes, allocations: baseline.allocations });
      }
    }
    const after = memoryStats();
    expect(after.memoryBytes).toBe(baseline.memoryBytes);
    console.log(
      `lifetime: 10,000 create/step/save/load/dispose cycles in ${Math.round(performance.now() - started)} ms; ` +
        `WebAssembly memory ${baseline.memoryBytes} bytes before, ${after.memoryBytes} after; ` +
        `allocated ${baseline.allocatedBytes} bytes in ${baseline.allocations} allocations before and after every cycle`,
    );
  });

  test("a parameter's buffers are freed by its dispose() even while an optimizer still holds it", () => {
    const before = memoryStats().allocatedBytes;
    const p = new Parameter(100_000);
    p.grad = new Float32Array(100_000);
    const opt = new Adam([p]);
    opt.step();
    const withState = memoryStats().allocatedBytes;
    expect(withState - before).toBeGreaterThanOrEqual(16 * 100_000); // data, grad, expAvg, expAvgSq
    p.dispose();
    // data and grad (800 KB) are gone now; the optimizer keeps its state until it is disposed.
    expect(withState - memoryStats().allocatedBytes).toBeGreaterThanOrEqual(8 * 100_000);
    opt.dispose();
    expect(memoryStats().allocatedBytes).toBe(before);
  });

  test('an optimizer dispose() frees its state and leaves the parameters usable in another optimizer', () => {
    const p = new Parameter([1, 2, 3]);
    p.grad = [1, 1, 1];
    const before = memoryStats().allocatedBytes;
    const opt = new Adam([p], { lr: 0.1 });
    opt.step();
    opt.dispose();
    expect(memoryStats().allocatedBytes).toBe(before);
    const again = new Adam([p], { lr: 0.1 });
    again.step(); // a fresh optimizer: step 1 again
    expect(again.stateDict().state[0].step).toBe(1);
    again.dispose();
    p.dispose();
  });
});

describe('disposed objects refuse further use, and double dispose is harmless', () => {
  test('a disposed Parameter: every use of its memory throws a TypeError; metadata stays readable', () => {
    const p = new Parameter([1, 2, 3, 4], { name: 'w', shape: [2, 2] });
    p.grad = [1, 1, 1, 1];
    p.dispose();
    p.dispose();
    expect(p.disposed).toBe(true);
    const uses: [string, () => unknown][] = [
      ['data', () => p.data],
      ['data', () => (p.data = [1, 2, 3, 4])],
      ['grad', () => p.grad],
      ['grad', () => (p.grad = [1, 2, 3, 4])],
      ['grad', () => (p.grad = null)],
      ['zeroGrad', () => p.zeroGrad()],
      ['zeroGrad', () => p.zeroGrad(false)],
    ];
    for (const [what, use] of uses) expect(use).toThrow(new TypeError(`Parameter "w": ${what} used after dispose()`));
    expect([p.length, p.shape, p.name]).toEqual([4, [2, 2], 'w']);
  });

  test('an optimizer holding a disposed Parameter refuses step and loadStateDict; zeroGrad and stateDict still work', () => {
    const a = new Parameter([1, 2], { name: 'a' });
    const b = new Parameter([3], { name: 'b' });
    const opt = new Adam([a, b]);
    a.grad = [1, 1];
    b.grad = [1];
    opt.step();
    const saved = opt.stateDict();
    b.dispose();
    expect(() => opt.step()).toThrow(new TypeError('Adam.step: parameter 1 (Parameter "b") was disposed'));
    expect(() => opt.loadStateDict(saved)).toThrow(new TypeError('Adam.loadStateDict: parameter 1 (Parameter "b") was disposed'));
    opt.zeroGrad(); // skips the disposed parameter
    expect(a.grad).toBeNull();
    expect(opt.stateDict().state[1].step).toBe(1); // the optimizer's own state outlives the parameter
    opt.dispose();
    a.dispose();
  });

  test('a disposed optimizer: every method throws a TypeError; reading paramGroups is harmless', () => {
    const p = new Parameter([1]);
    const opt = new Adam([p]);
    opt.dispose();
    opt.dispose();
    expect(opt.disposed).toBe(true);
    const uses: [string, () => unknown][] = [
      ['Adam.step', () => opt.step()],
      ['Adam.zeroGrad', () => opt.zeroGrad()],
      ['Adam.stateDict', () => opt.stateDict()],
      ['Adam.loadStateDict', () => opt.loadStateDict({ state: {}, paramGroups: [] })],
      ['Adam.addParamGroup', () => opt.addParamGroup({ params: [new Parameter(1)] })],
    ];
    for (const [where, use] of uses) expect(use).toThrow(new TypeError(`${where}: optimizer used after dispose()`));
    expect(opt.paramGroups[0].lr).toBe(1e-3);
    p.grad = [1]; // the parameter is still fine
    expect(Array.from(p.grad!)).toEqual([1]);
    p.dispose();
  });
});

describe('FinalizationRegistry frees what users forget', () => {
  test('300 forgotten parameters + optimizers (4 MB each) are freed by garbage collection', () => {
    const child = fileURLToPath(new URL('./finalization-child.mjs', import.meta.url));
    const out = execFileSync(process.execPath, ['--expose-gc', child], { encoding: 'utf8', timeout: 120_000 });
    const result = JSON.parse(out.trim().split('\n').at(-1)!) as {
      rounds: number;
      bytesPerRound: number;
      baseline: number;
      peak: number;
      final: number;
      memoryBytes: number;
    };
    console.log(`finalization: ${JSON.stringify(result)}`);
    // Without finalizers, 300 rounds would hold 1.2 GB; with them, memory stays a few rounds' worth.
    expect(result.final).toBe(result.baseline);
    expect(result.memoryBytes).toBeLessThan(40 * result.bytesPerRound);
  });
});
