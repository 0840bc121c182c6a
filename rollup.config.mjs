// Builds dist/: node.mjs + node.cjs (read the .wasm from disk), browser.mjs (fetches it), the
// declarations twice (index.d.ts for `import`, index.d.cts for `require`: package.json's "type" is
// "module", so TypeScript reads a .d.ts as ESM and would tell a `require` user the CJS build is ESM),
// and lucid_optim_bg.wasm next to them. Run `npm run build` (it builds the .wasm first).
// Then the `lucid-optim/tfjs` subpath in dist/tfjs/: the same three builds and two declarations.
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import typescript from '@rollup/plugin-typescript';
import { dts } from 'rollup-plugin-dts';

/** Puts both .wasm files beside the bundles, where `new URL('lucid_optim_bg.wasm', import.meta.url)` finds them. */
const copyWasm = {
  name: 'copy-wasm',
  writeBundle() {
    mkdirSync('dist', { recursive: true });
    copyFileSync('build/wasm/simd/lucid_optim_bg.wasm', 'dist/lucid_optim_bg.wasm');
    copyFileSync('build/wasm/threads/lucid_optim_bg.wasm', 'dist/lucid_optim_threads_bg.wasm');
  },
};

const ts = () => typescript({ tsconfig: './tsconfig.json', declaration: false, outDir: undefined, rootDir: undefined });
// fflate (the zip container of torch.save files) is the package's one runtime dependency. The Node
// builds keep it external (npm installs it; a bundler dedupes it). The browser build bundles its ESM
// browser build (only zipSync/unzipSync survive tree-shaking), so that dist/browser.mjs still loads
// as plain ESM in a <script type="module"> with no bundler and no import map.
const external = ['node:fs/promises', 'node:zlib', 'fflate'];
const fflateBrowser = fileURLToPath(new URL('./node_modules/fflate/esm/browser.js', import.meta.url));
const bundleFflate = { name: 'bundle-fflate', resolveId: (id) => (id === 'fflate' ? fflateBrowser : null) };
// fflate is MIT-licensed: the bundle that contains part of it carries its notice.
const fflateNotice = `/*! Contains fflate (https://www.npmjs.com/package/fflate), MIT License:\n${readFileSync(
  fileURLToPath(new URL('./node_modules/fflate/LICENSE', import.meta.url)),
  'utf8',
).trim()}\n*/`;

// lucid-optim/tfjs (ts/tfjs/) is built on the package's public API, imported from '../index.js'. Each
// build imports it from the main build beside it (dist/node.mjs, node.cjs, browser.mjs), never a copy
// of it: the application's one `init()` must load the WebAssembly module the bridge uses.
// @tensorflow/tfjs-core stays external everywhere: the bridge extends the application's own
// `tf.Optimizer` and registers with its own `tf.serialization`.
const facade = fileURLToPath(new URL('./ts/index.ts', import.meta.url));
const tfjsExternal = ['@tensorflow/tfjs-core'];
/** Resolves the bridge's `../index.js` to `target` (a path relative to dist/tfjs/), external. */
const mainBuild = (target) => ({
  name: 'lucid-optim-main-build',
  resolveId(source, importer) {
    if (importer === undefined || !importer.includes('/ts/tfjs/')) return null;
    if (source !== '../index.js' && source !== facade) return null;
    return { id: target, external: 'relative' };
  },
});

export default [
  {
    input: 'ts/node.ts',
    external,
    plugins: [ts(), copyWasm],
    output: [
      { file: 'dist/node.mjs', format: 'es', sourcemap: true },
      { file: 'dist/node.cjs', format: 'cjs', sourcemap: true, exports: 'named' },
    ],
  },
  {
    input: 'ts/browser.ts',
    plugins: [bundleFflate, ts()],
    output: { file: 'dist/browser.mjs', format: 'es', sourcemap: true, banner: fflateNotice },
  },
  {
    input: 'ts/index.ts',
    external: ['fflate'],
    plugins: [dts({ tsconfig: './tsconfig.json' })],
    // Same text in both: the bundle has named exports only, which a .d.cts reads as `exports.X`.
    output: [
      { file: 'dist/index.d.ts', format: 'es' },
      { file: 'dist/index.d.cts', format: 'es' },
    ],
  },
  // The bridge, once per main build it imports: each bundle refers to the main build beside it.
  ...[
    ['node.mjs', ts(), { file: 'dist/tfjs/node.mjs', format: 'es', sourcemap: true }],
    ['node.cjs', ts(), { file: 'dist/tfjs/node.cjs', format: 'cjs', sourcemap: true, exports: 'named' }],
    ['browser.mjs', ts(), { file: 'dist/tfjs/browser.mjs', format: 'es', sourcemap: true }],
    ['index.js', dts({ tsconfig: './tsconfig.json' }), { file: 'dist/tfjs/index.d.ts', format: 'es' }],
    ['index.cjs', dts({ tsconfig: './tsconfig.json' }), { file: 'dist/tfjs/index.d.cts', format: 'es' }],
  ].map(([main, plugin, output]) => ({ input: 'ts/tfjs/index.ts', external: tfjsExternal, plugins: [mainBuild(`../${main}`), plugin], output })),
];
