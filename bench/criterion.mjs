#!/usr/bin/env node
// The native numbers of docs/benchmarks.md: collects criterion's estimates of
// `cargo bench -p optim-core --bench step` for two builds and writes bench/results/native.json plus
// the native section of docs/benchmarks.md.
//
//   node bench/criterion.mjs --run   runs both builds' benchmarks first (about 10 minutes), then collects
//   node bench/criterion.mjs         collects whatever criterion last measured
//
// The two builds (commands as --run runs them):
//   default      cargo bench -p optim-core --bench step
//   native-cpu   RUSTFLAGS="-C target-cpu=native" CARGO_TARGET_DIR=target/native-cpu cargo bench -p optim-core --bench step

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { CASES, VARIANTS } from './lib/data.mjs';
import { machine } from './lib/machine.mjs';
import { sig3, updateDocs } from './lib/report.mjs';

const root = new URL('../', import.meta.url).pathname;
const BUILDS = [
  { id: 'default', label: 'default target', dir: 'target', rustflags: undefined },
  { id: 'native-cpu', label: 'target-cpu=native', dir: 'target/native-cpu', rustflags: '-C target-cpu=native' },
];
const KERNELS = [
  { id: 'step_scalar', label: 'step_scalar' },
  { id: 'step_simd', label: 'step_simd' },
];
const command = (build) =>
  `${build.rustflags ? `RUSTFLAGS="${build.rustflags}" ` : ''}${build.dir === 'target' ? '' : `CARGO_TARGET_DIR=${build.dir} `}cargo bench -p optim-core --bench step`;

if (process.argv.includes('--run')) {
  for (const build of BUILDS) {
    const env = { ...process.env, PATH: `${join(homedir(), '.cargo/bin')}:${process.env.PATH}`, CARGO_TARGET_DIR: join(root, build.dir) };
    if (build.rustflags) env.RUSTFLAGS = build.rustflags;
    else delete env.RUSTFLAGS;
    console.log(`$ ${command(build)}`);
    const result = spawnSync('cargo', ['bench', '-p', 'optim-core', '--bench', 'step'], { cwd: root, env, stdio: 'inherit' });
    if (result.status !== 0) process.exit(result.status ?? 1);
  }
}

/** Every `<group>/<function>/<value>/new/` criterion left in `dir`. */
function* estimates(dir) {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (!entry.isDirectory()) continue;
    if (entry.name === 'new' && existsSync(join(path, 'benchmark.json'))) {
      yield {
        benchmark: JSON.parse(readFileSync(join(path, 'benchmark.json'), 'utf8')),
        estimates: JSON.parse(readFileSync(join(path, 'estimates.json'), 'utf8')),
        measuredAt: statSync(join(path, 'estimates.json')).mtime.toISOString(),
      };
    } else {
      yield* estimates(path);
    }
  }
}

const results = [];
for (const build of BUILDS) {
  for (const { benchmark, estimates: e, measuredAt } of estimates(join(root, build.dir, 'criterion'))) {
    const [group, variant] = benchmark.group_id.split('/');
    if (group !== 'step') continue;
    const elements = benchmark.throughput?.Elements;
    const ns = e.median.point_estimate;
    results.push({
      build: build.id,
      variant,
      kernel: benchmark.function_id,
      case: benchmark.value_str,
      elements,
      medianNs: ns,
      ci95Ns: [e.median.confidence_interval.lower_bound, e.median.confidence_interval.upper_bound],
      melemPerSecond: (elements / ns) * 1e3,
      measuredAt,
    });
  }
}
if (results.length === 0) {
  console.error('no criterion results: run `node bench/criterion.mjs --run` (or the cargo bench commands above)');
  process.exit(1);
}

const dates = results.map((r) => r.measuredAt).sort();
const meta = { collected: new Date().toISOString(), measured: [dates[0], dates.at(-1)], commands: BUILDS.map(command), machine: machine() };
const out = join(root, 'bench/results/native.json');
mkdirSync(join(root, 'bench/results'), { recursive: true });
writeFileSync(out, `${JSON.stringify({ meta, results }, null, 1)}\n`);
console.log(`wrote ${out} (${results.length} benchmarks)`);

const row = (cells) => `| ${cells.join(' | ')} |`;
const columns = BUILDS.flatMap((build) => KERNELS.map((kernel) => ({ build, kernel })));
const lines = [
  'Criterion medians, million elements per second. `step_scalar`: the scalar reference (`AdamState::step_reference`); `step_simd`: the 4-lane kernel ' +
    '(`AdamState::step`, SSE natively); each benchmark is one Adam step of the whole shape, per-step scalars included; ' +
    'default target: x86-64 (SSE2); target-cpu=native: `RUSTFLAGS="-C target-cpu=native"`. ' +
    `Sample size 20, 2 s per benchmark, no model past 5,000 steps (as in the JS run). ` +
    `Measured ${meta.measured[0].slice(0, 16).replace('T', ' ')} to ${meta.measured[1].slice(11, 16)} UTC ` +
    `on the machine above; commands: ${meta.commands.map((c) => `\`${c}\``).join(' and ')}; collected by \`node bench/criterion.mjs\` ` +
    'into `bench/results/native.json`.',
];
for (const variant of VARIANTS) {
  if (!results.some((r) => r.variant === variant.id)) continue;
  lines.push('', `**${variant.label}**`, '');
  lines.push(row(['shape', ...columns.map((c) => `\`${c.kernel.label}\`, ${c.build.label}`)]));
  lines.push(row(['---', ...columns.map(() => '---:')]));
  for (const benchCase of CASES) {
    const cells = columns.map(({ build, kernel }) => {
      const r = results.find((x) => x.build === build.id && x.kernel === kernel.id && x.variant === variant.id && x.case === benchCase.id);
      return r ? sig3(r.melemPerSecond) : 'n/a';
    });
    if (cells.some((c) => c !== 'n/a')) lines.push(row([benchCase.label, ...cells]));
  }
}
for (const file of updateDocs(undefined, root, { 'native-results': lines.join('\n') })) console.log(`wrote ${file}`);
