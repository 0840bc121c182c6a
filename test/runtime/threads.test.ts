// init({ threads }): a step split across worker threads has the bits of one thread, for every
// optimizer class (test/e2e/browser/fixtures/threads-run.mjs, run in child processes with 1, 2, 3
// and 'auto' threads, which also end by themselves with their workers parked); bad `threads` values;
// teardown; and a worker that dies, which gives a clear error and never a hang.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { promisify } from 'node:util';
import { beforeAll, beforeEach, describe, expect, test, vi } from 'vitest';
import { bits } from '../helpers.js';

const root = new URL('../../', import.meta.url).pathname;
const fresh = async () => {
  vi.resetModules();
  return (await import('lucid-optim')) as typeof import('lucid-optim');
};
beforeEach(() => vi.resetModules());

/** What threads-run.mjs returns. */
interface ThreadsRun {
  threads: number;
  optimizers: Record<string, string>;
  split: Record<string, boolean>;
  clipGradNorm: string;
  guard: { hash: string; skipped: number };
  refused: { hash: string; refusal: string };
  grown: { hash: string; split: boolean; grew: boolean };
}

/**
 * The classes whose step is not element-wise, so never split (optim-core's
 * `Algorithm::SPLITS_BY_ELEMENT` is false for them): Muon's and Adafactor's step works on whole
 * matrices, SparseAdam's on the rows a gradient names.
 */
const NOT_ELEMENT_WISE = ['Muon', 'Adafactor', 'SparseAdam'];

/** Whether `opt`'s last step was split across threads (internal: not in the published types). */
const splitLastStep = (opt: object) => (opt as { _splitLastStep(): boolean | undefined })._splitLastStep();

describe('one run of every optimizer class in child processes', () => {
  const runs = new Map<string, ThreadsRun>();
  beforeAll(async () => {
    // One after another (each uses every core it has). A child that did not exit by itself (a
    // worker holding the process) would fail here at the timeout, a safety net, not a measurement.
    for (const threads of ['1', '2', '3', 'auto']) {
      const { stdout } = await promisify(execFile)(process.execPath, ['test/runtime/threads-child.mjs', threads], { cwd: root, timeout: 240_000 }).catch(
        (error: { stderr?: string; signal?: string }) => {
          throw new Error(`threads-child.mjs ${threads} failed (${error.signal ?? 'exit'}):\n${error.stderr}`);
        },
      );
      runs.set(threads, JSON.parse(stdout) as ThreadsRun);
    }
  });

  test("each child had the threads it asked for ('auto': every core) and exited by itself", () => {
    expect([1, 2, 3].map((n) => runs.get(String(n))!.threads)).toEqual([1, 2, 3]);
    expect(runs.get('auto')!.threads).toBe(availableParallelism());
  });

  test.each(['2', '3', 'auto'])('%s threads: every optimizer class leaves the bits of one thread', (threads) => {
    const one = runs.get('1')!;
    const many = runs.get(threads)!;
    expect(Object.keys(one.optimizers).length).toBeGreaterThanOrEqual(14);
    expect(many.optimizers).toEqual(one.optimizers);
  });

  test.each(['2', '3'])('%s threads: every step of every element-wise class was split, the others were not', (threads) => {
    const { split } = runs.get(threads)!;
    const expected = Object.fromEntries(Object.keys(split).map((name) => [name, !NOT_ELEMENT_WISE.includes(name)]));
    expect(split).toEqual(expected);
    // With one thread nothing is split (the single-thread .wasm cannot).
    expect(Object.values(runs.get('1')!.split).some(Boolean)).toBe(false);
  });

  test.each(['2', '3'])("%s threads: clipGradNorm's norms, the non-finite guard, a refused step and steps after memory grew", (threads) => {
    const one = runs.get('1')!;
    const many = runs.get(threads)!;
    expect(many.clipGradNorm).toBe(one.clipGradNorm);
    expect(many.guard).toEqual({ hash: one.guard.hash, skipped: 1 });
    expect(many.refused).toEqual({ hash: one.refused.hash, refusal: 'RangeError' });
    expect(many.grown).toEqual({ hash: one.grown.hash, split: true, grew: true });
  });
});

describe('init({ threads }) in this process', () => {
  test.each([
    [0, RangeError, 'init: threads must be an integer in [1, 256], got 0'],
    [1.5, RangeError, 'init: threads must be an integer in [1, 256], got 1.5'],
    [-2, RangeError, 'init: threads must be an integer in [1, 256], got -2'],
    [257, RangeError, 'init: threads must be an integer in [1, 256], got 257'],
    [Number.NaN, RangeError, 'init: threads must be an integer in [1, 256], got NaN'],
    ['2', TypeError, `init: threads must be a positive integer or 'auto', got "2"`],
    [null, TypeError, `init: threads must be a positive integer or 'auto', got null`],
  ])('threads: %s is a %O naming it, and does not count as a call', async (threads, kind, message) => {
    const lucid = await fresh();
    const refused = lucid.init({ threads: threads as number });
    await expect(refused).rejects.toThrow(message);
    await expect(refused).rejects.toBeInstanceOf(kind);
    expect(() => new lucid.Parameter([1])).toThrow(/not initialised/);
    await lucid.init({ threads: 1 });
    expect(lucid.threadCount()).toBe(1);
  });

  test('the shared-memory .wasm from bytes; steps split; disposeThreads stops the workers and frees their stacks', async () => {
    const lucid = await fresh();
    expect(lucid.threadCount()).toBe(1);
    await lucid.init({ threads: 2, source: readFileSync(new URL('../../dist/lucid_optim_threads_bg.wasm', import.meta.url)) });
    expect(lucid.threadCount()).toBe(2);
    const p = new lucid.Parameter(100_003);
    const view = p.data;
    p.grad = new Float32Array(p.length).fill(0.25);
    const opt = new lucid.Adam([p], { lr: 0.1 });
    opt.step();
    expect(splitLastStep(opt)).toBe(true);
    // Shared memory is never detached: a view from before growth still reads the same values.
    const big = new lucid.Parameter(8_000_000);
    expect(p.data.buffer).not.toBe(view.buffer); // memory grew: a new SharedArrayBuffer
    expect(bits(view)).toEqual(bits(p.data));
    expect(view[0]).toBeCloseTo(-0.1, 6); // Adam's first step: lr against the gradient's sign
    big.dispose();
    const allocated = lucid.memoryStats().allocatedBytes;
    await lucid.disposeThreads();
    expect(lucid.threadCount()).toBe(1);
    // The worker's stack and thread-locals went back to the allocator.
    expect(lucid.memoryStats().allocatedBytes).toBeLessThan(allocated);
    const before = bits(p.data);
    opt.step();
    expect(splitLastStep(opt)).toBe(false);
    expect(bits(p.data)).not.toEqual(before);
    await lucid.disposeThreads(); // a second call: nothing to do
    opt.dispose();
    p.dispose();
  });

  test('a worker that dies: the next step is an Error that says so and changes nothing; disposeThreads is the way on', async () => {
    const lucid = await fresh();
    await lucid.init({ threads: 2 });
    const p = new lucid.Parameter(70_000);
    p.grad = new Float32Array(p.length).fill(0.5);
    const opt = new lucid.SGD([p], { lr: 0.1, momentum: 0.9 });
    opt.step();
    expect(splitLastStep(opt)).toBe(true);
    await (lucid.Optimizer as unknown as { _terminateWorker(i: number): Promise<void> })._terminateWorker(0);
    const data = bits(p.data);
    const state = JSON.stringify(opt.stateDict());
    expect(() => opt.step()).toThrow(
      new Error('SGD.step: worker thread 1 of 1 exited (code 1); the step did not run. Call `await disposeThreads()` to go on with one thread'),
    );
    expect(bits(p.data)).toEqual(data);
    expect(JSON.stringify(opt.stateDict())).toBe(state);
    await lucid.disposeThreads();
    expect(lucid.threadCount()).toBe(1);
    opt.step();
    expect(bits(p.data)).not.toEqual(data);
    opt.dispose();
    p.dispose();
  });
});
