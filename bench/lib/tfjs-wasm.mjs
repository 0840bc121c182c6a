// tfjs-core on tfjs-backend-wasm as the benchmarks run it: SIMD on, one thread, its .wasm files
// from node_modules, production mode. Loaded once per process.

import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
let tf;

/** tfjs-core with the wasm backend set and ready. */
export async function loadTfWasm() {
  if (tf) return tf;
  tf = require('@tensorflow/tfjs-core');
  const wasm = require('@tensorflow/tfjs-backend-wasm');
  tf.env().set('WASM_HAS_SIMD_SUPPORT', true);
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  wasm.setWasmPaths(join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/');
  tf.enableProdMode();
  await tf.setBackend('wasm');
  await tf.ready();
  return tf;
}

/** The installed tfjs-backend-wasm's version. */
export function tfjsWasmVersion() {
  return require('@tensorflow/tfjs-backend-wasm/package.json').version;
}
