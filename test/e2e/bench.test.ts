// The benchmark keeps working: `node bench/run.mjs --quick` (tiny shapes, one rep) runs every
// contestant on every option set, its cross-check passes (the lucid builds and the native kernel
// bit for bit, the JavaScript and TensorFlow.js loops within f32 rounding), and it writes a
// complete JSON report, from which the Markdown sections and the SVG chart render. No timing is
// asserted: this machine's speed is not the test's business.
//
// Nothing is built here: the benchmark runs with --no-build on what scripts/test.sh's build phase
// built (`node bench/build.mjs`: the scalar .wasm and the native contestants, minutes from cold),
// and stops with the command to run if something is missing.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, expect, test } from 'vitest';
import { QUICK_CASES, VARIANTS } from '../../bench/lib/data.mjs';
import { updateDocs } from '../../bench/lib/report.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const CONTESTANTS = ['lucid', 'lucid-scalar', 'native', 'native-ceiling', 'js-textbook', 'js-torch-order', 'tfjs-wasm', 'tfjs-cpu'];

interface Row {
  case: string;
  variant: string;
  impl: string;
  msPerStep: number;
  melemPerSecond: number;
  lucidSpeedup: number;
  samplesMs: number[];
}

const dir = mkdtempSync(join(tmpdir(), 'lucid-bench-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('node bench/run.mjs --quick --no-build measures every contestant and writes a complete report', async () => {
  const out = join(dir, 'quick.json');
  // Asynchronous, so that vitest's timeout can interrupt it; stderr is shown if it fails.
  await promisify(execFile)(process.execPath, ['bench/run.mjs', '--quick', '--no-build', '--out', out], { cwd: root, maxBuffer: 64 << 20 }).catch((error) => {
    throw new Error(`bench/run.mjs failed:\n${error.stderr}`);
  });
  const report = JSON.parse(readFileSync(out, 'utf8'));

  expect(report.meta.quick).toBe(true);
  expect(report.contestants.map((c: { id: string }) => c.id)).toEqual(CONTESTANTS);
  // tf.train.adam has no AMSGrad: the only combinations left out.
  const skipped = report.skipped.map((s: { impl: string; variant: string }) => `${s.impl} ${s.variant}`);
  expect(skipped).toEqual(['tfjs-wasm amsgrad', 'tfjs-wasm amsgrad+wd', 'tfjs-cpu amsgrad', 'tfjs-cpu amsgrad+wd']);

  for (const benchCase of QUICK_CASES) {
    for (const variant of VARIANTS) {
      const rows: Row[] = report.results.filter((r: Row) => r.case === benchCase.id && r.variant === variant.id);
      const expected = CONTESTANTS.filter((id) => !(variant.amsgrad && id.startsWith('tfjs')));
      expect(rows.map((r) => r.impl), `${benchCase.id} ${variant.id}`).toEqual(expected);
      for (const r of rows) {
        expect(r.samplesMs).toHaveLength(1);
        expect(r.msPerStep).toBeGreaterThan(0);
        expect(Number.isFinite(r.melemPerSecond) && Number.isFinite(r.lucidSpeedup)).toBe(true);
      }
    }
  }

  // The cross-check ran for every variant; run.mjs exits non-zero when it fails, so this holds.
  const bitwise = report.checks.filter((c: { impl: string }) => ['lucid-scalar', 'native', 'native-ceiling'].includes(c.impl));
  expect(bitwise).toHaveLength(3 * VARIANTS.length);
  expect(bitwise.every((c: { bitwise: boolean }) => c.bitwise)).toBe(true);

  // The publishing step renders from this report (into a scratch folder, not docs/).
  mkdirSync(join(dir, 'docs'));
  const written: string[] = updateDocs(report, dir);
  const markdown = readFileSync(join(dir, 'docs/benchmarks.md'), 'utf8');
  const svg = readFileSync(join(dir, 'docs/benchmarks.svg'), 'utf8');
  expect(written).toHaveLength(2);
  expect(markdown).toContain('<!-- BEGIN wasm-results');
  expect(markdown).toContain(`| ${QUICK_CASES[0].label} |`);
  expect(svg.startsWith('<svg') && svg.trimEnd().endsWith('</svg>')).toBe(true);
  expect(svg.match(/<rect /g)!.length).toBeGreaterThan(QUICK_CASES.length * CONTESTANTS.length);
});

test('node bench/checkpoints.mjs --mb 1 --reps 1 prints a row (MB/s and peak extra memory) for every call and peer', async () => {
  const { stdout } = await promisify(execFile)(process.execPath, ['bench/checkpoints.mjs', '--mb', '1', '--reps', '1'], { cwd: root, maxBuffer: 1 << 20 });
  // The table's rows: not its header ('| call | ...') nor its separator ('|---|...').
  const rows = stdout.split('\n').filter((line) => line.startsWith('| ') && !line.startsWith('| call |'));
  const names = rows.map((line) => line.split('|')[1].trim());
  expect(names).toEqual(['loadTorch', 'fflate unzipSync (peer)', 'saveTorch', 'fflate zipSync (peer)', 'loadSafetensors', 'saveSafetensors', 'copy of the file (ceiling)']);
  for (const line of rows) {
    const [, , mbps, range, memory] = line.split('|').map((cell) => cell.trim());
    expect(Number(mbps), line).toBeGreaterThan(0);
    expect(range, line).toMatch(/^\d+–\d+$/);
    // A number, of either sign: at 1 MB the RSS-based figure is noise. A call's megabyte can land
    // in pages already resident (freed earlier, kept by the allocator), and the kernel's per-CPU RSS
    // counters are approximate, so fresh-clone runs read loadSafetensors as -0.07 and saveTorch as
    // -0.02. At the bench's 100 MB default, allocations are fresh mappings and that noise negligible.
    expect(Number.isFinite(Number(memory)) && memory !== '', line).toBe(true);
  }
});

test('node bench/algorithms.mjs --quick: a row per algorithm, each contestant agreeing with lucid-optim first', async () => {
  // The script throws (and fails here) if a contestant's 5 steps disagree with lucid-optim's.
  const { stdout } = await promisify(execFile)(process.execPath, ['bench/algorithms.mjs', '--quick'], { cwd: root, maxBuffer: 16 << 20 }).catch((error) => {
    throw new Error(`bench/algorithms.mjs failed:\n${error.stderr}`);
  });
  const rows = stdout
    .split('\n')
    .filter((line) => /^(Adam|AdamW|SGD|RMSprop|Adagrad|Adadelta|Adamax|NAdam|RAdam|ASGD|Rprop|Adafactor)\b/.test(line))
    .map((line) => line.trimEnd());
  expect(rows.map((line) => line.split(/ {2,}/)[0])).toEqual([
    'Adam (lr 1e-3, defaults)',
    'AdamW (lr 1e-3, weight decay 1e-2)',
    'SGD (lr 1e-2)',
    'SGD, momentum 0.9',
    'SGD, Nesterov momentum 0.9',
    'RMSprop (lr 1e-2, defaults)',
    'Adagrad (lr 1e-2, initial 0.1)',
    'Adadelta (defaults)',
    'Adamax (defaults)',
    'NAdam (defaults)',
    'RAdam (defaults)',
    'ASGD (defaults)',
    'Rprop (defaults)',
    'Adafactor (defaults, 17×59)',
  ]);
  // Every cell a number (or n/a where tf.train has no such optimizer), every ratio a ratio.
  for (const line of rows) expect(line).toMatch(/ \d+ +\d+ +(\d+|n\/a) +[\d.]+x( +[\d.]+x)?$/);
});

test('node bench/browsers.mjs --quick: the Adam step in Node and in each browser engine, with its ratio to Node', async () => {
  const { stdout } = await promisify(execFile)(process.execPath, ['bench/browsers.mjs', '--quick'], { cwd: root, maxBuffer: 1 << 20 }).catch((error) => {
    throw new Error(`bench/browsers.mjs failed:\n${error.stderr}`);
  });
  const rows = stdout.split('\n').filter((line) => /^(Node|Chromium|Firefox|WebKitGTK) /.test(line));
  expect(rows.map((line) => line.split(' ')[0])).toEqual(['Node', 'Chromium', 'Firefox', 'WebKitGTK']);
  // Every row a rate and a ratio; each browser page was cross-origin isolated (a fine clock).
  for (const line of rows) expect(line).toMatch(/^\S+ [\d.]+ .* +\d+ +[\d.]+×$/);
  expect(stdout).not.toMatch(/not isolated/);
});

test('node bench/averaging.mjs --quick: a row per average, lucid-optim agreeing with the plain loop first', async () => {
  // The script throws (and fails here) if the plain loop's 5 updates disagree with lucid-optim's.
  const { stdout } = await promisify(execFile)(process.execPath, ['bench/averaging.mjs', '--quick'], { cwd: root, maxBuffer: 1 << 20 }).catch((error) => {
    throw new Error(`bench/averaging.mjs failed:\n${error.stderr}`);
  });
  const rows = stdout.split('\n').filter((line) => /^(EMA|SWA) /.test(line));
  expect(rows.map((line) => line.split(/ {2,}/)[0])).toEqual(['EMA (decay 0.999)', 'SWA (running mean)']);
  for (const line of rows) expect(line).toMatch(/ \d+ +\d+ +[\d.]+x$/);
});

test('node bench/lbfgs.mjs --quick: rows for lucid-optim, plain JS and the closure alone, after the plain-JS LBFGS agreed with lucid-optim', async () => {
  // The script throws (and fails here) if the plain-JS LBFGS's two steps disagree with lucid-optim's.
  const { stdout } = await promisify(execFile)(process.execPath, ['bench/lbfgs.mjs', '--quick'], { cwd: root, maxBuffer: 1 << 20 }).catch((error) => {
    throw new Error(`bench/lbfgs.mjs failed:\n${error.stderr}`);
  });
  expect(stdout).toMatch(/\nlucid-optim +[\d.]+ +-?[\d.]+\n/);
  expect(stdout).toMatch(/\nplain JS +[\d.]+ +-?[\d.]+\n/);
  expect(stdout).toMatch(/lucid-optim vs plain JS: [\d.]+x per step/);
});

test('node bench/threads.mjs --quick: rows for 1 and 2 threads at 1,003 and 70,001 elements, after 2 threads stepped bit for bit as 1', async () => {
  // The script exits non-zero (and fails here) if 2 threads' 3 steps differ from 1 thread's in any
  // bit; it returns only once its child processes (one per thread count) have exited.
  const { stdout } = await promisify(execFile)(process.execPath, ['bench/threads.mjs', '--quick'], { cwd: root, maxBuffer: 1 << 20 }).catch((error) => {
    throw new Error(`bench/threads.mjs failed:\n${error.stderr}`);
  });
  expect(stdout).toMatch(/\nbit-identity: .* of 2 threads are bitwise equal to 1 thread's at every size/);
  // | elements | threads | Melem/s | vs 1 thread | split |, threads "2 (all)" where the machine has 2.
  const rows = stdout.split('\n').filter((line) => /^\| [\d,]+ \| /.test(line));
  const cells = rows.map((line) => line.split('|').slice(1, -1).map((cell) => cell.trim()));
  expect(cells.map(([elements, threads, , , split]) => [elements, threads.replace(' (all)', ''), split])).toEqual([
    ['1,003', '1', 'n/a'],
    ['1,003', '2', 'no'], // under 32K elements: stays on the calling thread
    ['70,001', '1', 'n/a'],
    ['70,001', '2', 'yes'],
  ]);
  for (const [, , melem, ratio] of cells) {
    expect(Number(melem.replaceAll(',', ''))).toBeGreaterThan(0);
    expect(ratio).toMatch(/^[\d.]+×$/);
  }
});

test('node bench/muon.mjs --quick: GFLOP/s rows for lucid-optim, plain JS and tfjs-wasm, then a Muon step row that agreed with plain JS first', async () => {
  // The script throws (and fails here) if tfjs's product and the plain loop disagree, or if the
  // plain-JS Muon's two steps disagree with lucid-optim's.
  const { stdout } = await promisify(execFile)(process.execPath, ['bench/muon.mjs', '--quick'], { cwd: root, maxBuffer: 1 << 20 }).catch((error) => {
    throw new Error(`bench/muon.mjs failed:\n${error.stderr}`);
  });
  const products = stdout.split('\n').filter((line) => /^\d+ +[\d.]+ /.test(line));
  expect(products).toHaveLength(2);
  for (const line of products) expect(line).toMatch(/^\d+ +[\d.]+ +[\d.]+ +[\d.]+ +[\d.]+x +[\d.]+x$/);
  expect(stdout).toMatch(/\n\d+×\d+, defaults +[\d.]+ +[\d.]+ +[\d.]+x\n/);
});
