#!/usr/bin/env node
// The code examples of the README and the guides, checked: every ```js and ```ts block of
// README.md and docs/*.md is written to target/examples/ (one module each, headed by where it
// comes from) and type-checked by tsc against the built package's declarations (dist/), with the
// names the examples take from their surroundings (`model`, `params`, `opt`, ...) declared in
// target/examples/context.d.ts, below. scripts/test.sh runs it before vitest; test/docs/
// examples.test.ts runs every example that can run in Node, as it is written.
//
//   npm run build && node scripts/examples.mjs
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = join(root, 'target/examples');

/** The ```js and ```ts blocks of a markdown file: `{ lang, code, line }`, `line` the fence's. */
export function codeBlocks(text) {
  const blocks = [];
  let open = null;
  text.split('\n').forEach((line, i) => {
    if (open === null) {
      const m = /^```(js|ts)\s*$/.exec(line);
      if (m) open = { lang: m[1], code: [], line: i + 1 };
    } else if (/^```\s*$/.test(line)) {
      blocks.push({ ...open, code: open.code.join('\n') });
      open = null;
    } else {
      open.code.push(line);
    }
  });
  return blocks;
}

/** The documents whose examples are checked. */
export function documents() {
  return ['README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
}

// What the examples leave to their surroundings: a model, its parameters and optimizer, data.
const CONTEXT = `// The names the README's and guides' examples take from their surroundings (scripts/examples.mjs).
import type { Optimizer, Parameter } from 'lucid-optim';
declare global {
  /** A model of lucid-optim Parameters (or, in the TensorFlow.js examples, a tfjs LayersModel). */
  const model: any;
  /** Training data: [input, target] pairs. */
  const data: [number[], number[]][];
  /** A batch for a step. */
  function batch(step: number): unknown;
  /** The model's parameters. */
  const params: Parameter[];
  /** An optimizer over them. */
  const opt: Optimizer;
  /** TensorFlow.js inputs and targets. */
  const xs: any;
  const ys: any;
  /** Where a page serves the .wasm. */
  const wasmUrl: string;
  /** node:fs's, where an example writes files without importing it. */
  function writeFileSync(path: string, data: Uint8Array): void;
}
export {};
`;

const TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    module: 'ESNext',
    moduleResolution: 'Bundler',
    lib: ['ES2022', 'DOM'],
    types: ['node'],
    typeRoots: [join(root, 'node_modules/@types')],
    allowJs: true,
    checkJs: true,
    noEmit: true,
    skipLibCheck: true,
    strict: false,
    baseUrl: root,
    paths: {
      'lucid-optim': ['dist/index.d.ts'],
      'lucid-optim/tfjs': ['dist/tfjs/index.d.ts'],
      '@tensorflow/tfjs': ['node_modules/@tensorflow/tfjs-core/dist/index.d.ts'],
    },
  },
  include: ['*.ts', '*.js'],
};

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  let count = 0;
  for (const doc of documents()) {
    const blocks = codeBlocks(readFileSync(join(root, doc), 'utf8'));
    blocks.forEach((b, k) => {
      const name = `${doc.replace(/[/.]/g, '-')}-${k + 1}.${b.lang}`;
      // A module (top-level await, its own scope), whether or not it imports.
      writeFileSync(join(out, name), `// ${doc}, the block at line ${b.line}\n${b.code}\nexport {};\n`);
      count++;
    });
  }
  writeFileSync(join(out, 'context.d.ts'), CONTEXT);
  writeFileSync(join(out, 'tsconfig.json'), JSON.stringify(TSCONFIG, null, 2));
  try {
    execFileSync(join(root, 'node_modules/.bin/tsc'), ['-p', join(out, 'tsconfig.json')], { cwd: root, stdio: 'inherit' });
  } catch {
    console.error(`scripts/examples.mjs: the examples above do not type-check against dist/ (target/examples/ holds them, each headed by where it comes from)`);
    process.exit(1);
  }
  console.log(`scripts/examples.mjs: ${count} examples type-check against dist/`);
}
