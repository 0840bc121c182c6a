// What the lucid-optim/tfjs suites share: a tfjs backend made current, a seeded dataset, and a small
// tfjs-layers MLP with seeded initial weights (so that two models, or two runs, start from the
// same numbers).
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import * as tfl from '@tensorflow/tfjs-layers';
import { mulberry32 } from '../../reference/rng.mjs';

export type Backend = 'cpu' | 'wasm';

const require = createRequire(import.meta.url);
/** Where tfjs-backend-wasm's .wasm files are in node_modules (Node cannot fetch them). */
export const TFJS_WASM_DIR = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/';

/** Makes `backend` tfjs's current backend (the wasm one single-threaded, from node_modules). */
export async function useBackend(backend: Backend): Promise<void> {
  tf.env().set('PROD', true); // silences tfjs's "install tfjs-node" banner; changes no arithmetic
  if (backend === 'wasm') {
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    setWasmPaths(TFJS_WASM_DIR);
  }
  await tf.setBackend(backend);
  await tf.ready();
  if (tf.getBackend() !== backend) throw new Error(`tfjs backend ${backend} did not initialise`);
}

/** Seeded values in [-scale, scale). */
export function seeded(seed: number, length: number, scale = 1): Float32Array {
  const random = mulberry32(seed);
  return Float32Array.from({ length }, () => (2 * random() - 1) * scale);
}

/**
 * A seeded regression problem: `count` points in [-1, 1)^2 and targets y = sin(3 x0) · cos(2 x1)
 * (a smooth surface a small MLP fits in a few epochs).
 */
export function makeData(count = 256, seed = 1): { xs: tf.Tensor2D; ys: tf.Tensor2D } {
  const x = seeded(seed, count * 2);
  const y = Float32Array.from({ length: count }, (_, i) => Math.sin(3 * x[2 * i]) * Math.cos(2 * x[2 * i + 1]));
  return { xs: tf.tensor2d(x, [count, 2]), ys: tf.tensor2d(y, [count, 1]) };
}

/** A 2 → hidden (tanh) → 1 MLP whose weights are seeded (not tfjs's random initializers). */
export function makeModel(seed = 7, hidden = 16): tfl.Sequential {
  const model = tfl.sequential({
    layers: [tfl.layers.dense({ units: hidden, activation: 'tanh', inputShape: [2] }), tfl.layers.dense({ units: 1 })],
  });
  model.setWeights(
    model.getWeights().map((w, i) => {
      const values = seeded(seed * 100 + i, w.size, 1 / Math.sqrt(w.shape[0]));
      return tf.tensor(values, w.shape);
    }),
  );
  return model;
}

/** A model's weights, copied out, one Float32Array per weight. */
export function weightsOf(model: tfl.LayersModel): Float32Array[] {
  return model.getWeights().map((w) => w.dataSync().slice() as Float32Array);
}

/** The f32 bit patterns of some buffers, for bit-for-bit comparisons with readable diffs. */
export function bitsOf(buffers: Float32Array[]): number[][] {
  return buffers.map((b) => Array.from(new Uint32Array(b.buffer, b.byteOffset, b.length)));
}
