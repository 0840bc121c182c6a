// Builds dist/: node.mjs + node.cjs (read the .wasm from disk), browser.mjs (fetches it), the
// declarations twice (index.d.ts for `import`, index.d.cts for `require`: package.json's "type" is
// "module", so TypeScript reads a .d.ts as ESM and would tell a `require` user the CJS build is ESM),
// and lucid_optim_bg.wasm next to them. Run `npm run build` (it builds the .wasm first).
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import typescript from '@rollup/plugin-typescript';
import { dts } from 'rollup-plugin-dts';

const wasm = 'build/wasm/simd/lucid_optim_bg.wasm';

/** Puts the .wasm beside the bundles, where `new URL('lucid_optim_bg.wasm', import.meta.url)` finds it. */
const copyWasm = {
  name: 'copy-wasm',
  writeBundle() {
    mkdirSync('dist', { recursive: true });
    copyFileSync(wasm, 'dist/lucid_optim_bg.wasm');
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
];
