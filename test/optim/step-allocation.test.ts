// Allocation: after a parameter's first step (which creates its optimizer state), `Adam.step`
// (and `AdamW.step`, `SGD.step`, and `clipGradNorm` before each step) allocates nothing lasting,
// over 3 x 10,000 steps per configuration:
// - WebAssembly memory does not grow (`param.data.buffer`, the module's memory, keeps its
//   byteLength and is not replaced), and the Rust allocator hands out no bytes (`memoryStats()`);
// - no JavaScript objects accumulate: after a full collection, the JS heap is no bigger than
//   before the steps. A control loop that keeps one small object per iteration shows that the
//   measurement sees that much.
// - no JavaScript garbage either: the JS bytes a step allocates (heap growth without collecting,
//   in a young generation large enough that no scavenge runs) are zero. (RawAdam.step returns a
//   plain number for that reason: a `Result` would come back as a new array every step.)
// The heap is measured in child `node --expose-gc` processes, one per configuration, so that
// vitest's own activity does not blur it and the code stays monomorphic.
//
// Why it cannot flake on a loaded machine: nothing here is timed. Compilation is synchronous
// (--no-concurrent-recompilation, --no-concurrent-osr), so the code is optimized after the same
// number of warm-up steps whatever the load, before any window; the young generation (64 MB) is
// larger than 10,000 steps of any plausible garbage, so no scavenge runs inside a window; each
// collection is a synchronous last-resort one; and of three windows the smallest growth counts,
// so a one-off event (a late compilation) cannot decide it. The thresholds (1 byte per step) are
// far from both the measured values (0 to -7: the heap shrinks a little) and the control (16 and
// more). What the test does depend on is V8 itself (Node 20's): a V8 that boxed the numbers a step
// reads would fail it, which is a real regression of the step's cost, not noise.
import { execFileSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { expect, test } from 'vitest';

const dist = pathToFileURL(fileURLToPath(new URL('../../dist/node.mjs', import.meta.url))).href;
const STEPS = 10_000;
const WARMUP = 3_000;

/**
 * The child: measures configuration number `process.argv[1]` (or, past the last, the control
 * loop) and prints one line of JSON. One process per configuration, so that the code it runs stays
 * monomorphic and no JIT recompilation falls inside a measurement.
 */
const child = `
const lucid = await import(${JSON.stringify(dist)});
const { Adam, AdamW, SGD, clipGradNorm, init, memoryStats, Parameter } = lucid;
await init();
const STEPS = ${STEPS};
const WARMUP = ${WARMUP};
const heap = () => process.memoryUsage().heapUsed;
// A synchronous last-resort collection: full, compacting and swept, so heapUsed afterwards is exact.
const collect = () => globalThis.gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
// One function for the warm-up and the measured steps, so that the measured loop is already
// optimized: JIT compilation during it would allocate (code, feedback) and count as growth.
// With clipping, each step is the recipe's clipGradNorm(params, maxNorm) then opt.step().
let clipped = null;
const steps = (opt, n) => {
  for (let i = 0; i < n; i++) {
    if (clipped !== null) clipGradNorm(clipped, 0.5);
    opt.step();
  }
};
const configs = [
  ['defaults', {}],
  ['amsgrad', { amsgrad: true }],
  ['weight decay', { weightDecay: 1e-2 }],
  ['amsgrad + weight decay + maximize', { amsgrad: true, weightDecay: 1e-2, maximize: true }],
  ['two groups', null],
  ['non-finite guard', { skipNonFinite: true }],
  ['AdamW', 'adamw'],
  ['clipGradNorm + step', 'clip'],
  ['SGD, Nesterov momentum', 'sgd'],
  // Every other algorithm, by its class name: each has its own row writer.
  ['RMSprop, momentum, centered', ['RMSprop', { momentum: 0.9, centered: true, weightDecay: 1e-4 }]],
  ['Adagrad', ['Adagrad', { lrDecay: 1e-3 }]],
  ['Adadelta', ['Adadelta', {}]],
  ['Adamax', ['Adamax', {}]],
  ['NAdam, decoupled weight decay', ['NAdam', { weightDecay: 1e-2, decoupledWeightDecay: true }]],
  ['RAdam', ['RAdam', {}]],
  ['ASGD, averaging', ['ASGD', { t0: 10 }]],
  ['Rprop', ['Rprop', {}]],
  // Matrices (Muon takes nothing else): the Newton–Schulz scratch is allocated by the first step only.
  ['Muon, wide, tall and square matrices', ['Muon', {}]],
  // Adafactor on the same matrices: factored row and column moments (and a full one for none).
  ['Adafactor, factored, weight decay', ['Adafactor', { weightDecay: 1e-2 }]],
  // SparseAdam on the same matrices, each gradient's rows repeated and out of order: coalescing
  // sorts them in a workspace the first step allocates.
  ['SparseAdam, repeated rows out of order', ['SparseAdam', {}]],
];
const which = Number(process.argv[1]);
if (which < configs.length) {
  const [name, options] = configs[which];
  // Sizes with and without a SIMD tail, one parameter without a gradient (skipped every step).
  // Muon: the same as matrices, 1000 as 20×50, 4096 as 16×256 (kept small: each step runs 5
  // Newton–Schulz iterations of three matrix products).
  const matrices = Array.isArray(options) && ['Muon', 'Adafactor', 'SparseAdam'].includes(options[0]);
  const shapes = matrices ? [[20, 50], [37, 1], [16, 256], [3, 1]] : [[1000], [37], [4096], [3]];
  const params = shapes.map((shape) => new Parameter(shape[0] * (shape[1] ?? 1), { shape }));
  params.slice(0, 3).forEach((p, i) => { p.grad = Float32Array.from({ length: p.length }, (_, j) => Math.sin(i + j) + 1.5); });
  if (Array.isArray(options) && options[0] === 'SparseAdam') {
    for (const p of params.slice(0, 3)) {
      const rows = Array.from({ length: p.shape[0] }, (_, r) => p.shape[0] - 1 - r).concat([0, 0]);
      p.grad = { indices: rows, values: Float32Array.from({ length: rows.length * (p.length / p.shape[0]) }, (_, j) => Math.sin(j) + 1.5) };
    }
  }
  const opt = options === null
    ? new Adam([{ params: params.slice(0, 2) }, { params: params.slice(2), lr: 1e-2, amsgrad: true }])
    : options === 'adamw' || options === 'clip'
      ? new AdamW(params)
      : options === 'sgd'
        ? new SGD(params, { lr: 1e-3, momentum: 0.9, nesterov: true, weightDecay: 1e-4 })
        : Array.isArray(options)
          ? new lucid[options[0]](params, options[1])
          : new Adam(params, options);
  if (options === 'clip') clipped = params;
  steps(opt, 1); // creates the state (and, clipping, the id buffer): the only step allowed to allocate
  const buffer = params[0].data.buffer;
  const bytes = buffer.byteLength;
  const rustBytes = memoryStats().allocatedBytes;
  steps(opt, WARMUP);
  // Three windows of STEPS steps; the smallest growth counts: what a step leaves behind grows the
  // heap in every window, a one-off event (a JIT compilation finishing, say) in one at most.
  const windows = [0, 1, 2].map(() => {
    collect();
    const before = heap();
    steps(opt, STEPS);
    const allocated = heap() - before;
    collect();
    return { allocated, retained: heap() - before };
  });
  const result = {
    name,
    bytes,
    bytesAfter: params[0].data.buffer.byteLength,
    sameBuffer: params[0].data.buffer === buffer,
    rustBytes,
    rustBytesAfter: memoryStats().allocatedBytes,
    retained: Math.min(...windows.map((w) => w.retained)),
    allocated: Math.min(...windows.map((w) => w.allocated)),
    windows,
    // Adam's step count, or (SGD counts none) that the momentum buffer exists.
    step: opt.stateDict().state[0].step ?? (opt.stateDict().state[0].momentumBuffer ? 1 + WARMUP + 3 * STEPS : 0),
  };
  console.log(JSON.stringify(result));
} else {
  // Control: keeps one small object per iteration.
  const kept = [];
  const control = (n) => { for (let i = 0; i < n; i++) kept.push({ i }); };
  control(WARMUP);
  kept.length = 0;
  const windows = [0, 1, 2].map(() => {
    collect();
    const before = heap();
    control(STEPS);
    const allocated = heap() - before;
    collect();
    const retained = heap() - before;
    kept.length = 0;
    return { allocated, retained };
  });
  const min = (key) => Math.min(...windows.map((w) => w[key]));
  console.log(JSON.stringify({ name: 'control', retained: min('retained'), allocated: min('allocated'), windows }));
}
`;
const CONFIGS = 20;
/** Bytes of the boxed float64 (HeapNumber) a call that returns a non-integer number allocates. */
const RETURNED_NUMBER = 16;

interface Result {
  name: string;
  bytes: number;
  bytesAfter: number;
  sameBuffer: boolean;
  rustBytes: number;
  rustBytesAfter: number;
  retained: number;
  allocated: number;
  step: number;
}

test(`3 x ${STEPS} steps after the first leave nothing behind: no memory growth, no Rust allocation, no JS objects kept or allocated`, () => {
  // A 64 MB young generation: 10,000 steps allocating even 1 KB each would not fill it, so no
  // scavenge hides the garbage a step allocates from heapUsed (the printed figure).
  const lines = Array.from({ length: CONFIGS + 1 }, (_, which) => {
    const out = execFileSync(
      process.execPath,
      // Optimized on the main thread, after the same number of steps whatever the machine's load.
      ['--expose-gc', '--no-concurrent-recompilation', '--no-concurrent-osr', '--max-semi-space-size=64', '--input-type=module', '-e', child, String(which)],
      { encoding: 'utf8', timeout: 120_000 },
    );
    return JSON.parse(out.trim().split('\n').at(-1)!) as Result;
  });
  const control = lines.pop()!;
  const perStep = (bytes: number) => (bytes / STEPS).toFixed(1);
  console.log(
    `allocation, bytes per step (retained / allocated as garbage): ${lines
      .map((r) => `${r.name}: ${perStep(r.retained)} / ${perStep(r.allocated)}`)
      .join('; ')}; control: ${perStep(control.retained)} / ${perStep(control.allocated)}`,
  );
  expect(lines).toHaveLength(CONFIGS);
  for (const r of lines) {
    expect(r.step, r.name).toBe(1 + WARMUP + 3 * STEPS);
    expect(r.bytesAfter, r.name).toBe(r.bytes);
    expect(r.sameBuffer, r.name).toBe(true);
    expect(r.rustBytesAfter, r.name).toBe(r.rustBytes);
    // Less than one byte per step survives a collection: nothing accumulates.
    expect(r.retained, r.name).toBeLessThan(STEPS);
    // Less than one byte per step is allocated at all: a step creates no JS objects. clipGradNorm
    // returns the total norm, a float64 that V8 boxes (a 16-byte HeapNumber) when the call is not
    // inlined: that number, and nothing else.
    const returned = r.name.startsWith('clipGradNorm') ? RETURNED_NUMBER : 0;
    expect(r.allocated, r.name).toBeLessThan((returned + 1) * STEPS);
  }
  // The measurement sees one small object kept (and allocated) per iteration (16+ bytes each).
  expect(control.retained).toBeGreaterThan(10 * STEPS);
  expect(control.allocated).toBeGreaterThan(10 * STEPS);
});
