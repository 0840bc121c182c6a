// bench/tfjs.mjs keeps working: `--quick` (tiny shapes, one rep) passes its cross-check (both
// optimizers agree after 5 steps on each backend) and prints every row. No timing is asserted:
// this machine's speed is not the test's business.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

test('node bench/tfjs.mjs --quick prints a row per case and backend, with a ratio', () => {
  const out = execFileSync(process.execPath, ['bench/tfjs.mjs', '--quick'], { cwd: root, encoding: 'utf8' });
  expect(out).toMatch(/^lucid-optim\/tfjs vs tf\.train\.adam, tfjs-core 4\.\d+\.\d+, Node v\d+.*\(--quick: not a measurement\)\n/);
  const rows = [...out.matchAll(/^\| (applyGradients|model\.fit epoch)[^|]* \| (cpu|wasm|wasm, dataSync\(\) reads) \| ([\d.]+) ms\/\w+ \| ([\d.]+) ms\/\w+ \| ([\d.]+)× \|$/gm)];
  expect(rows.map((r) => `${r[1]} ${r[2]}`)).toEqual([
    'applyGradients cpu',
    'applyGradients wasm',
    'applyGradients wasm, dataSync() reads',
    'model.fit epoch cpu',
    'model.fit epoch wasm',
    'model.fit epoch wasm, dataSync() reads',
  ]);
  for (const r of rows) expect(Number(r[5])).toBeGreaterThan(0);
});
