// lucid-optim, twice: the built package (SIMD .wasm) imported by name as users do, and a second
// copy of dist/ whose .wasm is the scalar build (build/wasm/scalar: the same Rust without simd128),
// imported from a temporary folder so that it is a separate module with its own instance. The
// scalar build's build() (bench/build.mjs calls it) runs scripts/build-wasm.sh scalar; measuring
// never builds.

import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { lucidOptions } from '../data.mjs';

const root = new URL('../../../', import.meta.url).pathname;
const sha256 = (path) => createHash('sha256').update(readFileSync(path)).digest('hex').slice(0, 16);

/** A contestant stepping a lucid-optim module; `extra` adds build() and prepare() (see run.mjs). */
function lucidPeer(id, label, load, wasmPath, extra = {}) {
  let lib;
  return {
    ...extra,
    id,
    label,
    group: 'lucid',
    describe: () => ({ wasm: wasmPath, sha256: sha256(wasmPath) }),
    supports: () => true,
    async create(data, variant) {
      lib ??= await load();
      const { Parameter, Adam } = lib;
      const params = data.params.map((values, i) => {
        const p = new Parameter(values.length);
        p.data = values;
        p.grad = data.grads[i];
        return p;
      });
      const opt = new Adam(params, lucidOptions(variant));
      return {
        run(steps) {
          const start = performance.now();
          for (let i = 0; i < steps; i++) opt.step();
          return performance.now() - start;
        },
        params: () => params.map((p) => p.data.slice()),
        dispose() {
          opt.dispose();
          for (const p of params) p.dispose();
        },
      };
    },
  };
}

/** The shipped package: `import('lucid-optim')` resolves to dist/node.mjs through package.json. */
export const lucidSimd = lucidPeer(
  'lucid',
  'lucid-optim (WASM SIMD)',
  async () => {
    const lib = await import('lucid-optim');
    await lib.init();
    return lib;
  },
  join(root, 'dist/lucid_optim_bg.wasm'),
  {
    /** The package itself is not built here (`npm run build`): only checked. */
    prepare() {
      if (!existsSync(join(root, 'dist/lucid_optim_bg.wasm'))) {
        throw new Error('no package build (dist/): run `npm run build` (npm test and npm run bench run it)');
      }
    },
  },
);

let scalarDir;
const scalarWasm = join(root, 'build/wasm/scalar/lucid_optim_bg.wasm');

/** Throws, naming the command to run, unless build/wasm/scalar holds a scalar build that fits dist/'s glue. */
function checkScalarBuild() {
  if (!existsSync(scalarWasm)) {
    throw new Error('no scalar build (build/wasm/scalar): run `node bench/build.mjs` (npm test and npm run bench run it)');
  }
  // dist/ bundles the SIMD build's wasm-bindgen glue: the scalar module must have the same
  // imports and exports (it does when both were built from the same sources).
  const shape = (path) => {
    const module = new WebAssembly.Module(readFileSync(path));
    return JSON.stringify([WebAssembly.Module.imports(module), WebAssembly.Module.exports(module)]);
  };
  if (shape(scalarWasm) !== shape(join(root, 'dist/lucid_optim_bg.wasm'))) {
    throw new Error('build/wasm/scalar and dist/ differ in imports or exports: rebuild both (`npm run build && node bench/build.mjs`)');
  }
}

/**
 * dist/ with build/wasm/scalar's .wasm, in a temporary folder removed at exit. The folder is
 * inside the repository (under target/, ignored by git), so that node.mjs's imports of the
 * package's dependencies (fflate) resolve to node_modules as they do for dist/.
 */
export const lucidScalar = lucidPeer(
  'lucid-scalar',
  'lucid-optim (WASM scalar build)',
  async () => {
    checkScalarBuild();
    mkdirSync(join(root, 'target'), { recursive: true });
    scalarDir = mkdtempSync(join(root, 'target', 'lucid-bench-scalar-'));
    process.once('exit', () => rmSync(scalarDir, { recursive: true, force: true }));
    for (const file of readdirSync(join(root, 'dist'))) {
      if (file.endsWith('.mjs')) copyFileSync(join(root, 'dist', file), join(scalarDir, file));
    }
    copyFileSync(scalarWasm, join(scalarDir, 'lucid_optim_bg.wasm'));
    const lib = await import(pathToFileURL(join(scalarDir, 'node.mjs')).href);
    await lib.init();
    return lib;
  },
  scalarWasm,
  {
    /** Builds build/wasm/scalar (scripts/build-wasm.sh scalar; cargo is incremental). */
    build() {
      const result = spawnSync('bash', [join(root, 'scripts/build-wasm.sh'), 'scalar'], { cwd: root, stdio: 'inherit' });
      if (result.status !== 0) throw new Error(`scripts/build-wasm.sh scalar failed (status ${result.status})`);
    },
    prepare: checkScalarBuild,
  },
);
