// The benchmark keeps working: `node bench/run.mjs --quick` (tiny shapes, one rep) runs every
// contestant on every option set, its cross-check passes (the lucid builds and the native kernel
// bit for bit, the JavaScript and TensorFlow.js loops within f32 rounding), and it writes a
// complete JSON report, from which the Markdown sections and the SVG chart render. No timing is
// asserted: this machine's speed is not the test's business.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, expect, test } from 'vitest';
import { QUICK_CASES, VARIANTS } from '../bench/lib/data.mjs';
import { updateDocs } from '../bench/lib/report.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
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

beforeAll(() => {
  // The scalar .wasm the benchmark loads next to the shipped one (`npm run bench` builds it too);
  // rebuilt here so that it matches the sources dist/ was built from.
  execFileSync('bash', ['scripts/build-wasm.sh', 'scalar'], { cwd: root, stdio: 'inherit', timeout: 600_000 });
}, 600_000);

test('node bench/run.mjs --quick measures every contestant and writes a complete report', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lucid-bench-test-'));
  const out = join(dir, 'quick.json');
  // The first run also builds the native contestants (cargo's bench profile), hence the timeout.
  execFileSync(process.execPath, ['bench/run.mjs', '--quick', '--out', out], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'], timeout: 600_000 });
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
