// The published package, as a user gets it: `npm pack`, install the tarball into an empty
// project, then import it from an ES module, a CommonJS module and type-check a TypeScript file.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const project = mkdtempSync(join(tmpdir(), 'lucid-optim-pack-'));
let packedFiles: string[] = [];
const run = (cmd: string, args: string[], cwd = project) =>
  execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

beforeAll(() => {
  const [packed] = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', project, '--loglevel=error'], root));
  packedFiles = packed.files.map((f: { path: string }) => f.path);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
  run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', join(project, packed.filename)]);
});
afterAll(() => rmSync(project, { recursive: true, force: true }));

// Three Adam steps on f(w) = sum(w^2) from w = [1, -2]; each step moves w by about lr toward 0.
const program = (imports: string) => `${imports}
(async () => {
  await init();
  const w = new Parameter([1, -2]);
  const opt = new Adam([w], { lr: 0.1 });
  for (let i = 0; i < 3; i++) { w.grad = w.data.map((x) => 2 * x); opt.step(); }
  console.log(JSON.stringify({ w: Array.from(w.data), step: opt.stateDict().state[0].step }));
})();
`;

test('the tarball holds the ESM, CJS and browser builds, the types and the .wasm, and nothing else', () => {
  expect(packedFiles.sort()).toEqual(
    expect.arrayContaining(['dist/browser.mjs', 'dist/index.d.ts', 'dist/lucid_optim_bg.wasm', 'dist/node.cjs', 'dist/node.mjs', 'package.json']),
  );
  expect(packedFiles.filter((f) => !f.startsWith('dist/') && !/^(package\.json|README\.md|LICENSE)$/.test(f))).toEqual([]);
});

test.each([
  ['an ES module (.mjs)', 'main.mjs', "import { init, Adam, Parameter } from 'lucid-optim';"],
  ['a CommonJS module (.cjs)', 'main.cjs', "const { init, Adam, Parameter } = require('lucid-optim');"],
])('imports from %s and runs three steps', (_kind, file, imports) => {
  writeFileSync(join(project, file), program(imports));
  const { w, step } = JSON.parse(run('node', [file]));
  expect(step).toBe(3);
  // Adam's first steps move each weight by ~lr toward the minimum: 1 -> ~0.7, -2 -> ~-1.7.
  expect(w[0]).toBeCloseTo(0.7, 1);
  expect(w[1]).toBeCloseTo(-1.7, 1);
});

test('its types check in a strict TypeScript consumer (NodeNext resolution)', () => {
  writeFileSync(
    join(project, 'main.ts'),
    `import { init, Adam, Parameter, type StateDict } from 'lucid-optim';
await init();
const w = new Parameter([1, 2], { name: 'w', shape: [2] });
const opt = new Adam([{ params: [w], lr: 1e-2 }], { betas: [0.9, 0.999], amsgrad: true });
w.grad = [0.5, 0.5];
const loss: number | undefined = opt.step(() => 1);
const sd: StateDict = opt.stateDict();
const m: Float32Array = sd.state[0].expAvg;
opt.paramGroups[0].lr = 1e-3;
// @ts-expect-error betas is a pair
new Adam([w], { betas: [0.9] });
export { loss, m };
`,
  );
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  const tsc = join(root, 'node_modules/typescript/bin/tsc');
  run('node', [tsc, '--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--skipLibCheck', 'false', '--types', 'node', '--typeRoots', join(root, 'node_modules/@types'), 'main.ts']);
});
