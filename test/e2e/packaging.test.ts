// The published package, as a user gets it: `npm pack`, install the tarball into an empty
// project, then import it from an ES module, a CommonJS module and type-check TypeScript files
// (ESM and CJS); the same for the `lucid-optim/tfjs` subpath, with the repository's TensorFlow.js
// packages linked in as the application's own (its optional peer dependency: npm does not install
// it); and the tarball as the linters see it (arethetypeswrong, publint; both offline).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';
import { afterAll, beforeAll, expect, test } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const project = mkdtempSync(join(tmpdir(), 'lucid-optim-pack-'));
let packedFiles: string[] = [];
let tarball = '';
const run = (cmd: string, args: string[], cwd = project) => {
  try {
    return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    // What the command printed (tsc writes its errors to stdout): the failure says why.
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`${cmd} ${args.join(' ')} failed:\n${stdout ?? ''}${stderr ?? ''}`);
  }
};

beforeAll(() => {
  const [packed] = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', project, '--loglevel=error'], root));
  packedFiles = packed.files.map((f: { path: string }) => f.path);
  tarball = join(project, packed.filename);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
  // Offline, from an empty cache: the tarball and the repository's own copy of its one dependency
  // (fflate, packed from node_modules as npm would fetch it), so that nothing comes from the
  // registry or a warm cache, and a dependency the package forgot to declare or bundle fails here.
  const [dependency] = JSON.parse(
    run('npm', ['pack', join(root, 'node_modules/fflate'), '--json', '--ignore-scripts', '--pack-destination', project, '--loglevel=error'], root),
  );
  const cache = join(project, '.npm-cache');
  run('npm', ['install', '--offline', '--cache', cache, '--no-audit', '--no-fund', '--loglevel=error', tarball, join(project, dependency.filename)]);
  // The application's TensorFlow.js, as `npm install @tensorflow/tfjs-core …` would give it (offline:
  // the repository's copies; Node resolves the link to where their own dependencies are).
  mkdirSync(join(project, 'node_modules/@tensorflow'), { recursive: true });
  for (const name of ['tfjs-core', 'tfjs-backend-cpu', 'tfjs-layers']) {
    symlinkSync(join(root, 'node_modules/@tensorflow', name), join(project, 'node_modules/@tensorflow', name), 'dir');
  }
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

test('the install was offline: the package and its dependency came from the local tarballs, not the registry', () => {
  const lock = JSON.parse(readFileSync(join(project, 'package-lock.json'), 'utf8'));
  const resolved = Object.fromEntries(
    Object.entries(lock.packages as Record<string, { resolved?: string }>)
      .filter(([path]) => path === 'node_modules/lucid-optim' || path === 'node_modules/fflate')
      .map(([path, entry]) => [path, entry.resolved ?? '']),
  );
  expect(Object.keys(resolved).sort()).toEqual(['node_modules/fflate', 'node_modules/lucid-optim']);
  for (const [path, url] of Object.entries(resolved)) expect(url, path).toMatch(/^file:/);
});

test('the tarball holds the ESM, CJS and browser builds, the types (ESM and CJS) and both .wasm files, and nothing else', () => {
  expect(packedFiles.sort()).toEqual(
    expect.arrayContaining([
      'dist/browser.mjs',
      'dist/index.d.cts',
      'dist/index.d.ts',
      'dist/lucid_optim_bg.wasm',
      'dist/lucid_optim_threads_bg.wasm',
      'dist/node.cjs',
      'dist/node.mjs',
      'dist/tfjs/browser.mjs',
      'dist/tfjs/index.d.cts',
      'dist/tfjs/index.d.ts',
      'dist/tfjs/node.cjs',
      'dist/tfjs/node.mjs',
      'package.json',
    ]),
  );
  expect(packedFiles.filter((f) => !f.startsWith('dist/') && !/^(package\.json|README\.md|LICENSE)$/.test(f))).toEqual([]);
});

test.each([
  ['an ES module (.mjs)', 'main.mjs', "import { init, Adam, Parameter } from 'lucid-optim';"],
  ['a CommonJS module (.cjs)', 'main.cjs', "const { init, Adam, Parameter } = require('lucid-optim');"],
])('imports from %s and runs three steps', (_kind, file, imports) => {
  writeFileSync(join(project, file), program(imports));
  const { w, step } = JSON.parse(run(process.execPath, [file]));
  expect(step).toBe(3);
  // Adam's first steps move each weight by ~lr toward the minimum: 1 -> ~0.7, -2 -> ~-1.7.
  expect(w[0]).toBeCloseTo(0.7, 1);
  expect(w[1]).toBeCloseTo(-1.7, 1);
});

// The checkpoint functions need fflate, the package's one runtime dependency: npm installs it with
// the tarball and both module systems find it.
test.each([
  ['an ES module (.mjs)', 'ckpt.mjs', "import { loadTorch, saveTorch, loadSafetensors, saveSafetensors } from 'lucid-optim';"],
  ['a CommonJS module (.cjs)', 'ckpt.cjs', "const { loadTorch, saveTorch, loadSafetensors, saveSafetensors } = require('lucid-optim');"],
])('saveTorch/loadTorch and the safetensors pair work from %s', (_kind, file, imports) => {
  writeFileSync(
    join(project, file),
    `${imports}
const w = { dtype: 'float32', shape: [2], data: new Float32Array([1, -2]) };
const pt = loadTorch(saveTorch(new Map([['w', w], ['step', 3]])));
const st = loadSafetensors(saveSafetensors({ w }, { format: 'pt' }));
console.log(JSON.stringify({ w: Array.from(pt.get('w').data), step: pt.get('step'), st: Array.from(st.tensors.get('w').data), md: st.metadata }));
`,
  );
  expect(JSON.parse(run(process.execPath, [file]))).toEqual({ w: [1, -2], step: 3, st: [1, -2], md: { format: 'pt' } });
});

// lucid-optim/tfjs from both module systems: three steps of AdamW through tf.Optimizer.minimize on
// the application's own tfjs (the class extends its tf.Optimizer and registers with its registry).
// tfjs-core alone registers no gradients: @tensorflow/tfjs and tfjs-layers (imported here) do.
test.each([
  [
    'an ES module (.mjs)',
    'tfjs.mjs',
    "import * as tf from '@tensorflow/tfjs-core'; import '@tensorflow/tfjs-layers'; import '@tensorflow/tfjs-backend-cpu'; import { init } from 'lucid-optim'; import { adamW } from 'lucid-optim/tfjs';",
  ],
  [
    'a CommonJS module (.cjs)',
    'tfjs.cjs',
    "const tf = require('@tensorflow/tfjs-core'); require('@tensorflow/tfjs-layers'); require('@tensorflow/tfjs-backend-cpu'); const { init } = require('lucid-optim'); const { adamW } = require('lucid-optim/tfjs');",
  ],
])('lucid-optim/tfjs imports from %s and trains with the application\'s tfjs', (_kind, file, imports) => {
  writeFileSync(
    join(project, file),
    `${imports}
(async () => {
  tf.env().set('PROD', true);
  await tf.setBackend('cpu');
  await init();
  const w = tf.variable(tf.tensor1d([1, -2]), true, 'w');
  const opt = adamW({ lr: 0.1, weightDecay: 0 });
  for (let i = 0; i < 3; i++) opt.minimize(() => tf.sum(tf.square(w)));
  const registered = tf.serialization.SerializationMap.getMap().classNameMap;
  console.log(JSON.stringify({ w: Array.from(w.dataSync()), step: opt.stateDict().state.w.step, isOptimizer: opt instanceof tf.Optimizer,
    registered: registered.LucidAdamW[0] === opt.constructor, tfjsAdam: registered.Adam[0] === tf.AdamOptimizer }));
})();
`,
  );
  const { w, step, isOptimizer, registered, tfjsAdam } = JSON.parse(run(process.execPath, [file]));
  expect({ step, isOptimizer, registered, tfjsAdam }).toEqual({ step: 3, isOptimizer: true, registered: true, tfjsAdam: true });
  // As the three Adam steps above: each moves each weight by ~lr toward the minimum.
  expect(w[0]).toBeCloseTo(0.7, 1);
  expect(w[1]).toBeCloseTo(-1.7, 1);
});

// A strict TypeScript consumer of the public API; `prelude`/`postlude` wrap it for ESM (top-level
// await) or CommonJS (an async function: a .cts has no top-level await).
const consumer = (prelude: string, postlude: string) => `import * as tf from '@tensorflow/tfjs-core';
import { init, Adam, AdamW, Parameter, SGD, type AdamStateDict, type SGDStateDict } from 'lucid-optim';
import { adamW, sgd, type LucidSGD, type NamedStateDict } from 'lucid-optim/tfjs';
${prelude}
await init();
const w = new Parameter([1, 2], { name: 'w', shape: [2] });
const opt = new Adam([{ params: [w], lr: 1e-2 }], { betas: [0.9, 0.999], amsgrad: true });
w.grad = [0.5, 0.5];
const loss: number | undefined = opt.step(() => 1);
const sd: AdamStateDict = opt.stateDict();
const m: Float32Array = sd.state[0].expAvg;
const v = new Parameter([3, 4]);
const plain = new SGD([v], { lr: 0.1, momentum: 0.9, nesterov: true });
const sgdState: SGDStateDict = plain.stateDict();
const buffer: Float32Array | undefined = sgdState.state[0]?.momentumBuffer;
// @ts-expect-error SGD has no betas
new SGD([v], { betas: [0.9, 0.999] });
const momentum: LucidSGD = sgd({ lr: 0.1, momentum: 0.9 });
opt.paramGroups[0].lr = 1e-3;
// @ts-expect-error betas is a pair
new Adam([w], { betas: [0.9] });
const bridged: tf.Optimizer = adamW({ lr: 1e-3, weightDecay: 1e-2 });
const lucidOpt: AdamW = adamW().optimizer;
const named: NamedStateDict = adamW().stateDict();
const names: string[] = named.paramGroups[0].params;
// @ts-expect-error AdamW takes no decoupledWeightDecay
adamW({ decoupledWeightDecay: false });
${postlude}
`;
// `long` as well as `node`: tfjs-core's declarations use the global `Long` of @types/long (one of its
// dependencies), which a project sees when it lists no `types`; this check lists them.
const typeCheck = (file: string, mode = 'nodenext') => {
  const tsc = join(root, 'node_modules/typescript/bin/tsc');
  run(process.execPath, [tsc, '--noEmit', '--strict', '--module', mode, '--moduleResolution', mode, '--target', 'es2022', '--skipLibCheck', 'false', '--types', 'node,long', '--typeRoots', join(root, 'node_modules/@types'), file]);
};

test('its types check in a strict TypeScript consumer (NodeNext resolution)', () => {
  writeFileSync(join(project, 'main.ts'), consumer('', 'export { loss, m, bridged, lucidOpt, names, buffer, momentum };'));
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  typeCheck('main.ts');
});

// A .cts is CommonJS whatever package.json says: its import becomes require(), which resolves the
// `require` condition's declarations (dist/index.d.cts). Under Node16 (Node 18 and 20, which have
// no require() of ESM), ESM declarations there make tsc refuse the import (TS1479: "the referenced
// file is an ECMAScript module and cannot be imported with 'require'"); NodeNext allows it.
test.each(['node16', 'nodenext'])('its types check in a strict CommonJS TypeScript consumer (.cts, %s resolution)', (mode) => {
  const file = `main-${mode}.cts`;
  writeFileSync(join(project, file), consumer('export async function main() {', '  return { loss, m, bridged, lucidOpt, names };\n}'));
  typeCheck(file, mode);
});

// Run offline on the local tarball (neither tool needs the network for that).
// "./lucid_optim_bg.wasm" and "./lucid_optim_threads_bg.wasm" (the shared-memory build of
// init({ threads })) are exported for bundlers and init(url) users; they are not modules, so no
// TypeScript resolution mode can resolve them: arethetypeswrong reports NoResolution for each in
// all four modes, and that is the only thing it may report.
test('arethetypeswrong finds nothing wrong with the types, but the .wasm subpaths being no modules', () => {
  const attw = spawnSync(join(root, 'node_modules/.bin/attw'), [tarball, '--format', 'json'], {
    cwd: project,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  expect(attw.stderr).toBe('');
  const { analysis } = JSON.parse(attw.stdout);
  const wasmOnly = ['./lucid_optim_bg.wasm', './lucid_optim_threads_bg.wasm'].flatMap((entrypoint) =>
    ['node10', 'node16-cjs', 'node16-esm', 'bundler'].map((resolutionKind) => ({ kind: 'NoResolution', entrypoint, resolutionKind })),
  );
  expect(analysis.problems).toEqual(expect.arrayContaining(wasmOnly));
  expect(analysis.problems).toHaveLength(wasmOnly.length);
  // `require` gets the CJS declarations, `import` the ESM ones.
  const types = (kind: string) => analysis.entrypoints['.'].resolutions[kind].resolution.fileName;
  expect(types('node16-cjs')).toBe('/node_modules/lucid-optim/dist/index.d.cts');
  expect(types('node16-esm')).toBe('/node_modules/lucid-optim/dist/index.d.ts');
  expect(types('bundler')).toBe('/node_modules/lucid-optim/dist/index.d.ts');
  // The same for lucid-optim/tfjs; node10 (no "exports") finds it through "typesVersions".
  const tfjsTypes = (kind: string) => analysis.entrypoints['./tfjs'].resolutions[kind].resolution.fileName;
  expect(tfjsTypes('node10')).toBe('/node_modules/lucid-optim/dist/tfjs/index.d.ts');
  expect(tfjsTypes('node16-cjs')).toBe('/node_modules/lucid-optim/dist/tfjs/index.d.cts');
  expect(tfjsTypes('node16-esm')).toBe('/node_modules/lucid-optim/dist/tfjs/index.d.ts');
  expect(tfjsTypes('bundler')).toBe('/node_modules/lucid-optim/dist/tfjs/index.d.ts');
});

test('publint reports nothing, not even a suggestion', async () => {
  const { messages, pkg } = await publint({
    pack: { tarball: new Uint8Array(readFileSync(tarball)).buffer },
    level: 'suggestion',
    strict: true,
  });
  expect(messages.map((message) => formatMessage(message, pkg, { color: false }))).toEqual([]);
});
