#!/usr/bin/env node
// Checkpoint throughput and memory: loadTorch, saveTorch, loadSafetensors and saveSafetensors on a
// 100 MB float32 checkpoint (10 tensors of 2.5M elements, as a model's state dict), in Node, with
// peers measured in the same run: fflate's unzipSync and zipSync on the same entries (what the zip
// container costs by itself: zipSync is how saveTorch wrote files before it took its CRC-32 from
// zlib) and a plain copy of the file's bytes (Uint8Array.prototype.slice: the memory-bandwidth
// ceiling of anything that writes or copies the file once). Targets: ≥ 500 MB/s each way,
// peak extra memory ≤ 1.3× the file. A benchmark, not a test.
//
//   npm run build && node bench/checkpoints.mjs [--mb 100] [--reps 5]
//
// Method. Each row runs in its own child process (`node --expose-gc`), so that rows do not share a
// heap. The child first builds its input with no transient peak: the tensors (filled in place) for
// the writers, the file read from disk (one buffer of the file's size) for the readers. Then it
// collects garbage and reads its resident set size (`process.memoryUsage().rss`): the baseline.
// On Linux it resets the kernel's peak resident set size of the process (writing 5 to
// /proc/self/clear_refs: VmHWM becomes the current RSS, the baseline), runs the call once and reads
// VmHWM again from /proc/self/status: peak extra memory = that peak - the baseline, divided by the
// file's size. (Without /proc, `process.resourceUsage().maxRSS` minus the RSS after collection: an
// upper bound, as it also holds any earlier peak.) Every byte a call allocates and writes (its output included) counts; the result it
// returns is kept alive until the peak is read. Then `--reps` timed calls (performance.now()
// around each, garbage collected before each) give MB/s = file bytes (10^6 bytes per MB) / time,
// reported as the median (and the range). Precision: on a small file (--mb 1) the memory figure is
// noise: a call's output can land in pages already resident (freed earlier, kept by the allocator),
// and the kernel sums its per-CPU RSS counters approximately, so it can even read below 0. At the
// default 100 MB, allocations are fresh mappings and the error is below 0.01× the file.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { unzipSync, zipSync } from 'fflate';
import { loadSafetensors, loadTorch, saveSafetensors, saveTorch } from 'lucid-optim';
import { machine } from './lib/machine.mjs';

const { values } = parseArgs({
  options: { mb: { type: 'string', default: '100' }, reps: { type: 'string', default: '5' }, child: { type: 'string' }, dir: { type: 'string' } },
});
const TENSORS = 10;
const ELEMENTS = Math.round((Number(values.mb) * 1e6) / 4 / TENSORS);

/** The state dict: TENSORS float32 tensors of ELEMENTS elements, filled in place. */
function stateDict() {
  const map = new Map();
  for (let t = 0; t < TENSORS; t++) {
    const data = new Float32Array(ELEMENTS);
    for (let i = 0; i < ELEMENTS; i++) data[i] = (i % 1000) * 1e-3 - t;
    map.set(`layer${t}.weight`, { dtype: 'float32', shape: [ELEMENTS / 1000, 1000], data });
  }
  return map;
}

/** The entries saveTorch's zip holds, for the fflate peer (its level-0 zipSync, without alignment). */
function zipEntries(map) {
  const entries = { 'archive/data.pkl': [new Uint8Array(1024), { level: 0 }] };
  [...map.values()].forEach((t, i) => (entries[`archive/data/${i}`] = [new Uint8Array(t.data.buffer), { level: 0 }]));
  return entries;
}

/** Per row: what its input is, and the call. */
const ROWS = {
  loadTorch: { input: 'pt', run: (file) => loadTorch(file) },
  'fflate unzipSync (peer)': { input: 'pt', run: (file) => unzipSync(file) },
  saveTorch: { input: 'tensors', run: (map) => saveTorch(map) },
  'fflate zipSync (peer)': { input: 'entries', run: (entries) => zipSync(entries) },
  loadSafetensors: { input: 'safetensors', run: (file) => loadSafetensors(file) },
  saveSafetensors: { input: 'tensors', run: (map) => saveSafetensors(map) },
  'copy of the file (ceiling)': { input: 'pt', run: (file) => Uint8Array.prototype.slice.call(file) },
};

/** Resets the kernel's peak RSS of this process to the current RSS (Linux); false where it cannot. */
function peakReset() {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

/** The peak RSS since the last reset (VmHWM), in bytes. */
function peakRss() {
  return Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) * 1024;
}

function child(name, dir, reps) {
  const row = ROWS[name];
  let input;
  // readFileSync's Buffer (a Uint8Array) is the file: one buffer, no copy.
  if (row.input === 'pt') input = readFileSync(join(dir, 'model.pt'));
  else if (row.input === 'safetensors') input = readFileSync(join(dir, 'model.safetensors'));
  else if (row.input === 'tensors') input = stateDict();
  else input = zipEntries(stateDict());
  const fileBytes = statSync(join(dir, row.input === 'safetensors' ? 'model.safetensors' : 'model.pt')).size;
  globalThis.gc();
  const resettable = peakReset();
  const baseline = resettable ? peakRss() : process.memoryUsage().rss;
  let result = row.run(input);
  const peak = resettable ? peakRss() : process.resourceUsage().maxRSS * 1024;
  result = undefined;
  const mbps = [];
  for (let r = 0; r < reps; r++) {
    globalThis.gc();
    const start = performance.now();
    result = row.run(input);
    const ms = performance.now() - start;
    result = undefined;
    mbps.push(fileBytes / 1e6 / (ms / 1e3));
  }
  void result;
  process.stdout.write(JSON.stringify({ name, fileBytes, peakExtra: (peak - baseline) / fileBytes, mbps }));
}

function parent() {
  const dir = mkdtempSync(join(tmpdir(), 'lucid-optim-bench-'));
  try {
    const map = stateDict();
    writeFileSync(join(dir, 'model.pt'), saveTorch(map));
    writeFileSync(join(dir, 'model.safetensors'), saveSafetensors(map));
    const m = machine();
    console.log(`# checkpoints: ${TENSORS} float32 tensors, ${((TENSORS * ELEMENTS * 4) / 1e6).toFixed(0)} MB; ${m.cpu}, ${m.cores} cores, Node ${m.node}`);
    console.log('| call | MB/s (median) | range | peak extra memory (× file) |');
    console.log('|---|---|---|---|');
    const self = fileURLToPath(import.meta.url);
    for (const name of Object.keys(ROWS)) {
      const out = execFileSync(process.execPath, ['--expose-gc', self, '--child', name, '--dir', dir, '--reps', values.reps, '--mb', values.mb], {
        encoding: 'utf8',
        maxBuffer: 1 << 20,
      });
      const r = JSON.parse(out);
      const sorted = [...r.mbps].sort((a, b) => a - b);
      const median = sorted[Math.floor(sorted.length / 2)];
      console.log(`| ${name} | ${median.toFixed(0)} | ${sorted[0].toFixed(0)}–${sorted[sorted.length - 1].toFixed(0)} | ${r.peakExtra.toFixed(2)} |`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (values.child) child(values.child, values.dir, Number(values.reps));
else parent();
