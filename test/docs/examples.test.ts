// The README's and guides' code examples. scripts/examples.mjs (run by scripts/test.sh before
// vitest) writes every ```js and ```ts block to target/examples/ and type-checks them all against
// the built package; this suite checks that it covered every block there is, and runs every block
// that can run in Node, as a user would paste it: its imports pointed at the built package, after
// a prelude that gives it the surroundings it assumes (a small model of two Parameters, its AdamW,
// data, and in the checkpoints guide the files it reads). The blocks that cannot run here are
// listed with the reason: a page's, or one that needs a TensorFlow.js model.
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import ts from 'typescript';
import { expect, test } from 'vitest';
import { codeBlocks, documents } from '../../scripts/examples.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const dist = (file: string) => JSON.stringify(pathToFileURL(join(root, 'dist', file)).href);

/** The blocks that do not run in Node (they are still type-checked), by `<document> <n>`, and why. */
const NOT_RUN: Record<string, string> = {
  'README.md 3': 'needs a TensorFlow.js model (model.compile)',
  'docs/tensorflow-js.md 1': 'needs a TensorFlow.js model (model.compile)',
  'docs/tensorflow-js.md 2': 'needs a TensorFlow.js model and data (model.fit)',
  'docs/browsers.md 1': "a page's: location and fetch",
};

/** What the examples take from their surroundings (scripts/examples.mjs declares the same names for tsc). */
const PRELUDE = `import * as __lucid from ${dist('node.mjs')};
import * as __fs from 'node:fs';
import { createRequire as __createRequire } from 'node:module';
await __lucid.init();
const __params = [
  new __lucid.Parameter([0.5, -0.5, 1, 2, -1, 0.25], { name: 'w', shape: [2, 3] }),
  new __lucid.Parameter([0.1, -0.2], { name: 'b' }),
];
Object.assign(globalThis, {
  params: __params,
  model: {
    params: __params,
    parameters: () => __params,
    // d/dp of 0.5 * ||p - 0.25||^2, for every parameter
    lossAndGrad: () => { for (const p of __params) p.grad = p.data.map((x) => x - 0.25); return 0; },
  },
  batch: (step) => step,
  opt: new __lucid.AdamW(__params),
  data: Array.from({ length: 50 }, (_, i) => [[1, 2 + (i % 3), 0.5], [0.5, -2, 1]]),
  writeFileSync: __fs.writeFileSync,
  require: (id) => __createRequire(import.meta.url)(id === 'lucid-optim' ? ${dist('node.cjs')}.replace('file://', '') : id),
});
for (const p of __params) p.grad = p.data.map(() => 0.1);
// The checkpoints guide reads a torch.save file of {'model', 'optimizer'} and a safetensors file.
__fs.writeFileSync('ckpt.pt', __lucid.saveTorch(new Map([['model', __lucid.namedTensors(__params)], ['optimizer', globalThis.opt.stateDict({ format: 'torch' })]])));
__fs.writeFileSync('model.safetensors', __lucid.saveSafetensors(__lucid.namedTensors(__params)));
`;

/** A block as a module: TypeScript's types stripped, its imports first (pointed at dist/), then the prelude, then the rest in a block of its own (its names shadow the prelude's). */
function runnable(code: string, lang: 'js' | 'ts'): string {
  // (tsc marks a module whose imports it elided with `export {};`: no export can stand in a block.)
  const js = lang === 'ts' ? ts.transpileModule(code, { compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext } }).outputText.replace(/^export \{\};$/m, '') : code;
  const imports: string[] = [];
  const rest = js.replace(/^import\s[\s\S]*?from\s+['"]([^'"]+)['"];?[ \t]*$/gm, (statement, from: string) => {
    imports.push(from === 'lucid-optim' ? statement.replace(/['"]lucid-optim['"]/, dist('node.mjs')) : statement);
    return '';
  });
  return `${imports.join('\n')}\n${PRELUDE}\n{\n${rest}\n}\n`;
}

const blocks = documents().flatMap((doc) => codeBlocks(readFileSync(join(root, doc), 'utf8')).map((b, k) => ({ ...b, doc, id: `${doc} ${k + 1}` })));

test('scripts/examples.mjs type-checked every ```js and ```ts block of the README and docs/ (one file each in target/examples/)', () => {
  expect(blocks.length).toBeGreaterThanOrEqual(15);
  const expected = blocks.map((b) => `${b.doc.replace(/[/.]/g, '-')}-${b.id.split(' ')[1]}.${b.lang}`);
  const written = readdirSync(join(root, 'target/examples')).filter((f) => /\.(js|ts)$/.test(f) && f !== 'context.d.ts');
  expect(written.sort()).toEqual(expected.sort());
  // Every block not run says why, and names a block that exists.
  for (const id of Object.keys(NOT_RUN)) expect(blocks.map((b) => b.id)).toContain(id);
});

test.each(blocks.filter((b) => !(b.id in NOT_RUN)).map((b) => [`${b.id} (line ${b.line})`, b]))('%s runs in Node', async (_, block) => {
  const dir = mkdtempSync(join(root, 'target/example-run-'));
  try {
    const file = join(dir, 'example.mjs');
    writeFileSync(file, runnable(block.code, block.lang));
    await promisify(execFile)(process.execPath, [file], { cwd: dir }).catch((error: Error & { stderr?: string }) => {
      throw new Error(`${block.id} failed:\n${error.stderr ?? error.message}`);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the README's training loop trains: param moves towards the target the data was made from", async () => {
  const [first] = codeBlocks(readFileSync(join(root, 'README.md'), 'utf8'));
  expect(first.code).toContain('optimizer.step()');
  // y = x * [0.5, -1, 2]: the loop should bring param from [1, 2, 3] towards [0.5, -1, 2].
  const data = Array.from({ length: 200 }, (_, i) => {
    const x = [1 + (i % 3), 2 - (i % 5) / 2, 0.5 + (i % 7) / 3];
    return [x, [0.5 * x[0], -1 * x[1], 2 * x[2]]];
  });
  const dir = mkdtempSync(join(root, 'target/example-run-'));
  try {
    const file = join(dir, 'readme-1.mjs');
    const code = first.code.replace(/from 'lucid-optim'/g, `from ${dist('node.mjs')}`);
    writeFileSync(file, `const data = ${JSON.stringify(data)};\n${code}\nconsole.log(JSON.stringify(Array.from(model.param.data)));\n`);
    const { stdout } = await promisify(execFile)(process.execPath, [file], { cwd: dir });
    const trained = JSON.parse(stdout.trim().split('\n').at(-1)!) as number[];
    const target = [0.5, -1, 2];
    const before = [1, 2, 3].reduce((s, v, i) => s + Math.abs(v - target[i]), 0);
    const after = trained.reduce((s, v, i) => s + Math.abs(v - target[i]), 0);
    expect(after).toBeLessThan(before / 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
