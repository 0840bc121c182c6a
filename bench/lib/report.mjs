// Printing and publishing results: the console table of one case, and the generated sections of
// docs/benchmarks.md plus docs/benchmarks.svg.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CASES, QUICK_CASES, VARIANTS } from './data.mjs';
import { barChart } from './chart.mjs';

const fixed = (x, digits) => x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
/** Three significant digits, thousands separated: 1,234 / 123 / 12.3 / 1.23 / 0.123. */
export function sig3(x) {
  if (!Number.isFinite(x)) return String(x);
  if (x >= 100) return fixed(Math.round(x), 0);
  if (x >= 10) return fixed(x, 1);
  if (x >= 1) return fixed(x, 2);
  return x.toPrecision(3);
}
const times = (x) => `${x >= 10 ? fixed(x, 0) : fixed(x, 2)}×`;

/** The console block of one case and variant. */
export function formatCase(benchCase, variant, rows, peers) {
  const label = (id) => peers.find((p) => p.id === id)?.label ?? id;
  const width = Math.max(...rows.map((r) => label(r.impl).length));
  const lines = [`${variant.label} · ${benchCase.label} (${rows[0].elements.toLocaleString('en-US')} elements in ${rows[0].params} param${rows[0].params > 1 ? 's' : ''})`];
  lines.push(`  ${'contestant'.padEnd(width)}   ms/step     steps/s     Melem/s   lucid is`);
  for (const r of rows) {
    const ratio = r.impl === 'lucid' ? '' : r.lucidSpeedup >= 1 ? `${times(r.lucidSpeedup)} faster` : `${times(1 / r.lucidSpeedup)} slower`;
    lines.push(
      `  ${label(r.impl).padEnd(width)} ${sig3(r.msPerStep).padStart(9)} ${sig3(r.stepsPerSecond).padStart(11)} ${sig3(r.melemPerSecond).padStart(11)}   ${ratio}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

const row = (cells) => `| ${cells.join(' | ')} |`;

/** Column headers of the tables (docs/benchmarks.md describes each contestant). */
const SHORT = {
  lucid: 'lucid',
  'lucid-scalar': 'lucid scalar build',
  native: 'native',
  'native-ceiling': 'native ceiling',
  'js-textbook': 'JS textbook',
  'js-torch-order': 'JS PyTorch order',
  'tfjs-wasm': 'tfjs-wasm',
  'tfjs-cpu': 'tfjs-cpu',
};

/** The cases of a report, in the order measured. */
function casesOf(report) {
  const ids = [...new Set(report.results.map((r) => r.case))];
  return ids.map((id) => [...CASES, ...QUICK_CASES].find((c) => c.id === id) ?? { id, label: id });
}

/** Markdown table: one row per case, one column per contestant; `cell(result)` renders a result. */
function table(report, variantId, cell) {
  const contestants = report.contestants.filter((c) => report.results.some((r) => r.variant === variantId && r.impl === c.id));
  const lines = [row(['shape', ...contestants.map((c) => `\`${SHORT[c.id] ?? c.id}\``)]), row(['---', ...contestants.map(() => '---:')])];
  for (const benchCase of casesOf(report)) {
    const found = report.results.filter((r) => r.case === benchCase.id && r.variant === variantId);
    if (found.length === 0) continue;
    lines.push(row([benchCase.label, ...contestants.map((c) => {
      const r = found.find((x) => x.impl === c.id);
      return r ? cell(r) : 'n/a';
    })]));
  }
  return lines.join('\n');
}

const speedupCell = (r) => (r.impl === 'lucid' ? `**${sig3(r.melemPerSecond)}**` : `${sig3(r.melemPerSecond)} (${times(r.lucidSpeedup)})`);

function machineLines(meta) {
  const m = meta.machine;
  return [
    `- CPU: ${m.cpu} (${m.cpuFamilyModel}), ${m.cores} cores (${m.threadsPerCore} thread per core), ${m.caches}; ` +
      `${m.vectorExtensions}; ${m.hypervisor ? `${m.hypervisor} virtual machine, shared` : 'bare metal'}; ${m.memoryGiB} GiB`,
    `- ${m.os}; Node ${m.node} (V8 ${m.v8}); ${m.rustc}; TensorFlow.js ${m.tfjs}`,
    `- Commit ${m.commit}${m.dirtyTree ? ' (with uncommitted changes in the tree)' : ''}, ${meta.date.slice(0, 16).replace('T', ' ')} UTC, ` +
      `load average at start ${m.loadAverage}; run took ${meta.seconds} s`,
    `- Command: \`npm run bench\` (= \`npm run build && node bench/build.mjs && ${meta.command}\`)`,
    `- Method: ${meta.settings.reps} reps per contestant after a warm-up of >= ${meta.settings.warmupMs} ms; a rep is a batch of steps lasting >= ${meta.settings.minBatchMs} ms ` +
      `(at most ${(meta.settings.maxStepsPerModel - 1).toLocaleString('en-US')} steps: no model takes ${meta.settings.maxStepsPerModel.toLocaleString('en-US')} steps, see "Method" above); ` +
      'contestants of a case are interleaved (rotated order each rep); reported: the median time per step. Raw samples: `bench/results/latest.json`.',
  ].join('\n');
}

/** The generated sections of docs/benchmarks.md, by marker name. */
function sections(report) {
  const adam = VARIANTS[0].id;
  const checks = report.checks.filter((c) => c.variant === adam && c.impl !== 'lucid');
  const skipped = [...new Set(report.skipped.map((s) => `${s.impl}: ${s.reason}`))];
  const wasm = [
    machineLines(report.meta),
    '',
    '![Adam steps, million elements per second, log scale](benchmarks.svg)',
    '',
    `### ${VARIANTS[0].label}: million elements per second (lucid-optim's speedup over each)`,
    '',
    table(report, adam, speedupCell),
    '',
    `### ${VARIANTS[0].label}: steps per second`,
    '',
    table(report, adam, (r) => sig3(r.stepsPerSecond)),
  ];
  for (const variant of VARIANTS.slice(1)) {
    if (!report.results.some((r) => r.variant === variant.id)) continue;
    wasm.push('', `### ${variant.label}: million elements per second (lucid-optim's speedup over each)`, '', table(report, variant.id, speedupCell));
  }
  wasm.push(
    '',
    `Not measured: ${skipped.join('; ') || 'nothing'}.`,
    '',
    'Before timing, every contestant takes 5 steps on the same 1003 + 64 elements and is compared with lucid-optim: ' +
      checks.map((c) => `${c.impl} ${c.bitwise ? 'bitwise equal' : `max |diff| ${c.maxAbsDiff.toExponential(1)}`}`).join(', ') +
      ' (Adam defaults; every variant is checked, see the JSON).',
  );
  return { 'wasm-results': wasm.join('\n') };
}

function replaceSection(text, name, body) {
  const begin = `<!-- BEGIN ${name} (generated: do not edit) -->`;
  const end = `<!-- END ${name} -->`;
  const i = text.indexOf(begin);
  const j = text.indexOf(end);
  if (i < 0 || j < i) return `${text.trimEnd()}\n\n${begin}\n${body}\n${end}\n`;
  return `${text.slice(0, i + begin.length)}\n${body}\n${text.slice(j)}`;
}

/** Rewrites the generated parts of docs/benchmarks.md and docs/benchmarks.svg; returns the files. */
export function updateDocs(report, root, extraSections = {}) {
  const md = join(root, 'docs/benchmarks.md');
  let text = existsSync(md) ? readFileSync(md, 'utf8') : '# Benchmarks\n';
  const written = [md];
  const all = { ...(report ? sections(report) : {}), ...extraSections };
  for (const [name, body] of Object.entries(all)) text = replaceSection(text, name, body);
  writeFileSync(md, text);
  if (report) {
    const svg = join(root, 'docs/benchmarks.svg');
    writeFileSync(svg, barChart(report, VARIANTS[0].id, casesOf(report), 'One Adam step, default options'));
    written.push(svg);
  }
  return written;
}
