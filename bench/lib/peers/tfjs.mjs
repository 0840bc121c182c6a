// TensorFlow.js's `tf.train.adam` on two backends: tfjs-backend-cpu (plain JavaScript kernels) and
// tfjs-backend-wasm (XNNPACK compiled to WebAssembly; its SIMD .wasm, single-threaded, loaded from
// node_modules, offline). Production mode is on (fewer checks: tfjs at its fastest).
//
// tf.train.adam has no weight decay and no AMSGrad. Weight decay is added as PyTorch's Adam does it,
// `g + weight_decay * p`, with two more tf ops per parameter and step; AdamW's decoupled decay as
// torch's AdamW does it, `p.assign(p * (1 - lr * weight_decay))` before the Adam step, one tf op and
// an assignment more. AMSGrad is not measured.

import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { HYPER } from '../data.mjs';

const require = createRequire(import.meta.url);
let tf;

async function loadTf() {
  if (tf) return tf;
  tf = require('@tensorflow/tfjs-core');
  require('@tensorflow/tfjs-backend-cpu');
  const wasm = require('@tensorflow/tfjs-backend-wasm');
  // The SIMD build, without threads: lucid-optim is single-threaded too.
  tf.env().set('WASM_HAS_SIMD_SUPPORT', true);
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  wasm.setWasmPaths(join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/');
  tf.enableProdMode();
  return tf;
}

function tfjsPeer(backend, id, label) {
  return {
    id,
    label,
    group: 'tfjs',
    describe: () => ({ version: require('@tensorflow/tfjs-core/package.json').version, backend }),
    supports: (variant) => (variant.amsgrad ? 'tf.train.adam has no AMSGrad' : true),
    async create(data, variant) {
      await loadTf();
      await tf.setBackend(backend);
      await tf.ready();
      if (tf.getBackend() !== backend) throw new Error(`tfjs: backend ${backend} did not initialise`);
      const vars = data.params.map((p) => tf.variable(tf.tensor1d(p)));
      const grads = data.grads.map((g) => tf.tensor1d(g));
      const named = vars.map((v, i) => ({ name: v.name, tensor: grads[i] }));
      const opt = tf.train.adam(HYPER.lr, HYPER.beta1, HYPER.beta2, HYPER.eps);
      const { weightDecay } = variant;
      const factor = 1 - HYPER.lr * weightDecay;
      const step =
        weightDecay === 0
          ? () => opt.applyGradients(named)
          : variant.decoupledWeightDecay
            ? () => {
                tf.tidy(() => vars.forEach((v) => v.assign(tf.mul(v, factor))));
                opt.applyGradients(named);
              }
            : () => {
                const decayed = tf.tidy(() => vars.map((v, i) => ({ name: v.name, tensor: tf.add(grads[i], tf.mul(v, weightDecay)) })));
                opt.applyGradients(decayed);
                for (const { tensor } of decayed) tensor.dispose();
              };
      return {
        // Tensors live in the backend that created them: make it the active one before stepping.
        activate: () => tf.setBackend(backend),
        // Both backends run their kernels synchronously: when applyGradients returns, it is done.
        run(steps) {
          const start = performance.now();
          for (let i = 0; i < steps; i++) step();
          return performance.now() - start;
        },
        params: () => vars.map((v) => v.dataSync().slice()),
        dispose() {
          opt.dispose();
          for (const t of [...vars, ...grads]) t.dispose();
        },
      };
    },
  };
}

export const tfjsWasm = tfjsPeer('wasm', 'tfjs-wasm', 'tf.train.adam, tfjs-backend-wasm (SIMD)');
export const tfjsCpu = tfjsPeer('cpu', 'tfjs-cpu', 'tf.train.adam, tfjs-backend-cpu');
