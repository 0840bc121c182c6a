#!/usr/bin/env node
// Adam's step (torch's defaults, lr 1e-3) over one parameter of 1K, 10K, 100K, 1M and 10M float32
// elements with 1 thread, 2 threads and every thread (`os.availableParallelism()`; where that is 2,
// the 2-thread row is the all-threads row, marked "2 (all)"): million elements updated per second
// (median), and each thread count's ratio to 1 thread measured in the same run. Where a Python
// with torch is found, torch.optim.Adam on the CPU steps the same values in the same run: fused=True
// and the single-tensor path (foreach=False), with torch.set_num_threads(1) and with torch's
// default threads, and the last column is lucid-optim's rate over torch fused's on the same row.
//
//   npm run bench                        (runs this with the other benchmarks)
//   node bench/threads.mjs               after `npm run build`
//   node bench/threads.mjs --quick       1,003 and 70,001 elements, 1 and 2 threads, one rep, no
//                                        torch (add --torch for it): checks that it runs (npm test)
//   LUCID_TORCH_PYTHON=/path/to/python node bench/threads.mjs     that Python for torch
//
// Where the numbers come from: `init({ threads })` can run once per process, so every thread count
// is its own child process (this script with --child --threads n: `init()`, the single-thread
// .wasm, for 1; `init({ threads: n })`, the shared-memory .wasm and n - 1 workers, otherwise), and
// torch runs in two Python processes (bench/lib/torch_adam.py --threads 1 / all). All of them stay
// alive and are driven over stdin/stdout, one JSON line each way, so that bench/lib/measure.mjs
// interleaves them as it interleaves any contestants: warm-up, a batch of steps lasting >= 200 ms
// per contestant, 9 rounds in a rotated order, median time per step. Each child times its own
// batch (performance.now() around `opt.step()` k times; time.perf_counter() around a Python loop
// of `opt.step()` for torch, so torch's time includes its Python-side step, not the pipe).
// No model takes 10,000 steps (bench/lib/measure.mjs replaces it): Adam's late-training fast path
// (from step 16,628 with beta2 = 0.999, see bench/late-training.mjs) never starts.
//
// Before timing, every lucid-optim child takes 3 steps at every size from the same values and
// gradients (bench/lib/data.mjs's makeData, mulberry32) and reports SHA-256 hashes of the
// parameter's bits and of its state (step, expAvg, expAvgSq), and whether the last step was split
// across threads (`opt._splitLastStep()`). Any thread count that differs from 1 thread stops the
// script (exit code 1) before any timing. torch's Python regenerates the same values and
// gradients; their hashes are compared with lucid-optim's (a warning if they differ; without numpy
// it cannot hash them and says so). Only the inputs: after a step, torch's AVX2/AVX-512 kernels
// (fused multiply-adds) and MKL's sqrt put its parameters a few ulps from lucid-optim's
// (docs/fidelity.md), so its steps are not compared.

import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = fileURLToPath(new URL('../', import.meta.url));
const script = fileURLToPath(import.meta.url);

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    torch: { type: 'boolean', default: false },
    reps: { type: 'string' },
    child: { type: 'boolean', default: false },
    threads: { type: 'string' },
  },
});

/** Steps every child takes from the same values before timing, for the bit-identity check. */
const CHECK_STEPS = 3;

/** Reads one JSON request a line from stdin, answers each with one JSON line from `handle`. */
function serve(handle, onClose) {
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    let reply;
    try {
      reply = handle(JSON.parse(line));
    } catch (error) {
      reply = { error: error.stack ?? String(error) };
    }
    process.stdout.write(`${JSON.stringify(reply)}\n`);
  });
  lines.on('close', onClose);
}

const sha256 = (...arrays) => {
  const hash = createHash('sha256');
  // Copies (slice) first: with threads, the buffers are views of shared WebAssembly memory.
  for (const a of arrays) hash.update(new Uint8Array(a.slice().buffer));
  return hash.digest('hex');
};

/** The child of one thread count: lucid-optim's Adam, driven over stdin/stdout. */
async function child(threads) {
  const { Adam, Parameter, init, threadCount } = await import('../dist/node.mjs');
  const { makeData } = await import('./lib/data.mjs');
  await init(threads > 1 ? { threads } : undefined);
  let cached; // one size's data at a time: 10M elements are 80 MB
  const dataOf = (size) => {
    if (cached?.size !== size) cached = { size, data: makeData([size]) };
    return cached.data;
  };
  const create = (size) => {
    const data = dataOf(size);
    const p = new Parameter(data.params[0]);
    p.grad = data.grads[0];
    return { p, opt: new Adam([p], { lr: 1e-3 }) };
  };
  const dispose = ({ p, opt }) => {
    opt.dispose();
    p.dispose();
  };
  const models = new Map();
  const handle = (request) => {
    switch (request.cmd) {
      case 'info':
        return { threads: threadCount() };
      case 'check':
        return {
          results: request.sizes.map((size) => {
            const model = create(size);
            for (let i = 0; i < request.steps; i++) model.opt.step();
            const { step, expAvg, expAvgSq } = model.opt.stateDict().state[0];
            const data = dataOf(size);
            const result = {
              size,
              data: sha256(data.params[0], data.grads[0]),
              param: sha256(model.p.data),
              state: sha256(Float64Array.of(step), expAvg, expAvgSq),
              split: model.opt._splitLastStep() ?? null,
            };
            dispose(model);
            return result;
          }),
        };
      case 'create':
        models.set(request.id, create(request.size));
        return {};
      case 'run': {
        const { opt } = models.get(request.id);
        const start = performance.now();
        for (let i = 0; i < request.steps; i++) opt.step();
        return { ms: performance.now() - start };
      }
      case 'dispose':
        dispose(models.get(request.id));
        models.delete(request.id);
        return {};
      default:
        throw new Error(`unknown command ${JSON.stringify(request.cmd)}`);
    }
  };
  // The parent closed our stdin (it is done, or it died): free everything and go.
  serve(handle, () => {
    for (const model of models.values()) dispose(model);
    process.exit(0);
  });
}

/** A child process answering one JSON line per JSON line it is sent. */
class Child {
  constructor(label, command, argv) {
    this.label = label;
    this.pending = [];
    this.process = spawn(command, argv, { cwd: root, stdio: ['pipe', 'pipe', 'inherit'] });
    createInterface({ input: this.process.stdout }).on('line', (line) => {
      const { resolve, reject } = this.pending.shift();
      const reply = JSON.parse(line);
      if (reply.error !== undefined) reject(new Error(`${label}: ${reply.error}`));
      else resolve(reply);
    });
    const failed = (why) => {
      for (const { reject } of this.pending.splice(0)) reject(new Error(`${label} ${why}`));
    };
    this.exited = new Promise((resolve) => {
      this.process.on('error', (error) => (failed(`could not start: ${error.message}`), resolve(-1)));
      this.process.on('exit', (code, signal) => (failed(`exited (${signal ?? `code ${code}`})`), resolve(code)));
    });
    this.process.stdin.on('error', () => {}); // a child that died is reported by 'exit'
  }

  ask(request) {
    return new Promise((resolve, reject) => {
      this.pending.push({ resolve, reject });
      this.process.stdin.write(`${JSON.stringify(request)}\n`);
    });
  }

  /** Closes its stdin (it exits by itself) and waits until it is gone. */
  close() {
    this.process.stdin.end();
    return this.exited;
  }
}

/**
 * The Python to run torch with: $LUCID_TORCH_PYTHON, else the repository's .venv-golden (not part of
 * the repository), else python3; the first that has a torch package. Only looked up here (importing
 * torch takes seconds): the torch children import it, and if that fails torch is skipped too.
 */
function findTorch() {
  const candidates = process.env.LUCID_TORCH_PYTHON
    ? [process.env.LUCID_TORCH_PYTHON]
    : [join(root, '.venv-golden/bin/python'), 'python3'].filter((p) => p === 'python3' || existsSync(p));
  const probe = 'import importlib.util, sys; sys.exit(importlib.util.find_spec("torch") is None)';
  for (const python of candidates) if (spawnSync(python, ['-c', probe]).status === 0) return { python };
  if (process.env.LUCID_TORCH_PYTHON) return { skipped: `no Python with torch: LUCID_TORCH_PYTHON=${process.env.LUCID_TORCH_PYTHON} has none` };
  return { skipped: 'no Python with torch (set LUCID_TORCH_PYTHON)' };
}

async function parent() {
  const { machine } = await import('./lib/machine.mjs');
  const { measure, median } = await import('./lib/measure.mjs');
  const { sig3 } = await import('./lib/report.mjs');

  const quick = args.quick;
  const sizes = quick ? [1_003, 70_001] : [1_000, 10_000, 100_000, 1_000_000, 10_000_000];
  const all = availableParallelism();
  const counts = quick ? [1, 2] : [...new Set([1, 2, all])];
  const settings = {
    reps: Number(args.reps ?? (quick ? 1 : 9)),
    warmupMs: quick ? 0 : 300,
    minWarmupSteps: quick ? 1 : 3,
    minBatchMs: quick ? 0 : 200,
    maxStepsPerModel: 10_000,
  };
  const label = (n) => (n === all ? `${n} (all)` : String(n));
  const times = (x) => `${x.toFixed(2)}×`;

  const children = [];
  const start = (name, command, argv) => {
    const c = new Child(name, command, argv);
    children.push(c);
    return c;
  };
  const closeAll = () => Promise.all(children.map((c) => c.close()));

  const lucid = new Map(counts.map((n) => [n, start(`lucid-optim child (${n} thread${n > 1 ? 's' : ''})`, process.execPath, [script, '--child', '--threads', String(n)])]));
  let torchFound = quick && !args.torch ? { skipped: 'not run with --quick (add --torch)' } : findTorch();
  // torch: one process with torch.set_num_threads(1), one with its default threads.
  const torch = new Map();
  if (torchFound.python) {
    for (const n of ['1', 'all']) torch.set(n, start(`torch (${n} threads)`, torchFound.python, ['-u', join(root, 'bench/lib/torch_adam.py'), '--threads', n]));
  }

  try {
    const info = new Map();
    for (const [n, c] of lucid) info.set(n, await c.ask({ cmd: 'info' }));
    for (const [n, i] of info) if (i.threads !== n) throw new Error(`the ${n}-thread child runs ${i.threads} threads`);
    // torch's children import torch: if that fails, they have exited (their stderr says why).
    let torchInfo;
    if (torch.size) {
      try {
        torchInfo = await torch.get('all').ask({ cmd: 'info' });
        await torch.get('1').ask({ cmd: 'info' });
      } catch (error) {
        torchFound = { skipped: `import torch failed in ${torchFound.python} (${error.message})` };
        torch.clear();
      }
    }

    // Bit-identity: the same 3 steps from the same values, every thread count against 1 thread.
    const checks = new Map();
    for (const [n, c] of lucid) checks.set(n, (await c.ask({ cmd: 'check', sizes, steps: CHECK_STEPS })).results);
    const one = checks.get(1);
    const differ = [];
    for (const [n, results] of checks) {
      results.forEach((r, i) => {
        if (r.param !== one[i].param) differ.push(`${n} threads at ${r.size.toLocaleString('en-US')} elements: the parameter`);
        if (r.state !== one[i].state) differ.push(`${n} threads at ${r.size.toLocaleString('en-US')} elements: the state`);
      });
    }
    if (differ.length) {
      console.error(`bench/threads.mjs: NOT bit-identical to 1 thread after ${CHECK_STEPS} steps, so no timings: ${differ.join('; ')}`);
      await closeAll();
      process.exit(1);
    }
    const split = (n, size) => {
      const s = checks.get(n).find((r) => r.size === size).split;
      return s === null ? 'n/a' : s ? 'yes' : 'no';
    };
    // torch's inputs: the same values and gradients as lucid-optim's (a warning if not).
    let torchData = '';
    if (torch.size) {
      const rs = (await torch.get('1').ask({ cmd: 'check', sizes })).results;
      const differs = rs.filter((r, i) => r.data !== one[i].data).map((r) => r.size.toLocaleString('en-US'));
      if (rs.some((r) => r.data === null)) torchData = 'the same values and gradients (not checked: no numpy in that Python)';
      else if (differs.length === 0) torchData = "the same values and gradients as lucid-optim's (SHA-256 equal at every size)";
      else torchData = `WARNING: other values or gradients than lucid-optim's at ${differs.join(', ')} elements`;
    }

    const meta = machine();
    console.log(`Adam step (torch's defaults, lr 1e-3) over one parameter, by thread count: ${meta.cpu}, ${meta.cores} cores, node ${meta.node}`);
    console.log(
      `machine: ${meta.cpu} (${meta.cpuFamilyModel}), ${meta.cores} cores, ${meta.threadsPerCore} thread(s) per core, ${meta.caches}; ` +
        `${meta.hypervisor ? `${meta.hypervisor} VM` : 'bare metal'}; ${meta.memoryGiB} GiB; ${meta.os}; node ${meta.node}; ` +
        `commit ${meta.commit}${meta.dirtyTree ? ' (uncommitted changes in the tree)' : ''}; load average ${meta.loadAverage}`,
    );
    console.log(
      `bit-identity: after ${CHECK_STEPS} steps from the same values, the parameter and the state (step, expAvg, expAvgSq) of ` +
        `${counts.filter((n) => n > 1).map((n) => `${n} threads`).join(' and ')} are bitwise equal to 1 thread's at every size (SHA-256 of the bits)`,
    );
    if (torch.size) {
      console.log(
        `torch ${torchInfo.torch} (${torchFound.python}), ${torchInfo.threads} threads by default; it steps ${torchData}`,
      );
    } else {
      console.log(`torch: skipped: ${torchFound.skipped}`);
    }
    console.log(`${settings.reps} rep(s) per contestant, interleaved, batches of >= ${settings.minBatchMs} ms; Melem/s: median elements updated per second / 1e6\n`);

    const withTorch = torch.size > 0;
    const header = ['elements', 'threads', 'lucid-optim Melem/s', 'vs 1 thread', 'split'];
    if (withTorch) header.push('torch fused', 'vs 1 thread', 'torch foreach=False', 'vs 1 thread', 'lucid / torch fused');
    console.log(`| ${header.join(' | ')} |`);
    console.log(`|${header.map((h) => (h === 'threads' || h === 'split' ? '---' : '---:')).join('|')}|`);

    let nextId = 0;
    /** A contestant of measure(): a model in a child, `run(k)` timed there. */
    const remote = (c, request) => async () => {
      const id = nextId++;
      await c.ask({ cmd: 'create', id, ...request });
      return {
        run: async (steps) => (await c.ask({ cmd: 'run', id, steps })).ms,
        dispose: () => c.ask({ cmd: 'dispose', id }),
      };
    };
    for (const size of sizes) {
      const contestants = [...lucid].map(([n, c]) => ({ key: `lucid ${n}`, create: remote(c, { size }) }));
      for (const [n, c] of torch) for (const impl of ['fused', 'single']) contestants.push({ key: `${impl} ${n}`, create: remote(c, { impl, size }) });
      const measured = await measure(contestants.map((c) => c.create), settings);
      const rate = Object.fromEntries(contestants.map((c, i) => [c.key, size / median(measured[i].samples) / 1000]));
      for (const n of counts) {
        // torch's rows: 1 thread, and its default threads on the all-threads row.
        const t = n === 1 ? '1' : n === all ? 'all' : undefined;
        const cells = [size.toLocaleString('en-US'), label(n), sig3(rate[`lucid ${n}`]), times(rate[`lucid ${n}`] / rate['lucid 1']), n === 1 ? 'n/a' : split(n, size)];
        if (withTorch) {
          cells.push(
            ...(t === undefined
              ? ['', '', '', '', '']
              : [
                  sig3(rate[`fused ${t}`]),
                  times(rate[`fused ${t}`] / rate['fused 1']),
                  sig3(rate[`single ${t}`]),
                  times(rate[`single ${t}`] / rate['single 1']),
                  times(rate[`lucid ${n}`] / rate[`fused ${t}`]),
                ]),
          );
        }
        console.log(`| ${cells.join(' | ')} |`);
      }
    }

    console.log(
      `\nthreads: 1 is init() (the single-thread .wasm, which cannot split: split n/a); n > 1 is init({ threads: n }); ` +
        `all = os.availableParallelism() = ${all}${counts.includes(all) && all === 2 ? ', so the 2-thread row is the all-threads row' : ''}. ` +
        `split: whether the step was split across threads (steps under 32,768 elements stay on the calling thread).`,
    );
    if (withTorch) {
      console.log(
        `torch: torch.optim.Adam(lr=1e-3) on float32 CPU tensors of the same values with a fixed gradient; fused=True, and foreach=False ` +
          `(the single-tensor path, one op after another); its 1-thread row with torch.set_num_threads(1), its all-threads row with ` +
          `torch's default (${torchInfo.threads} threads). lucid / torch fused: lucid-optim's rate over torch fused's on the same row.`,
      );
    }
  } finally {
    await closeAll();
  }
}

if (args.child) await child(Number(args.threads));
else await parent();
