// The page test/tfjs/browsers.test.ts opens: lucid-optim/tfjs with tfjs-core, tfjs-layers and
// tfjs-backend-cpu, bundled by Vite as an application would bundle them (build.mjs, run by
// scripts/test.sh before any test). Sets window.report to a promise of what happened.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { AdamW, Parameter, init } from 'lucid-optim';
import { LucidAdamW, adamW } from 'lucid-optim/tfjs';
import { mulberry32 } from '../../../reference/rng.mjs';

const seeded = (seed, length, scale = 1) => {
  const random = mulberry32(seed);
  return Float32Array.from({ length }, () => (2 * random() - 1) * scale);
};
const bits = (values) => Array.from(new Uint32Array(values.buffer, values.byteOffset, values.length));

async function run() {
  const report = {};
  try {
    adamW();
    report.beforeInit = { threw: false };
  } catch (error) {
    report.beforeInit = { threw: true, name: error.name, message: error.message };
  }
  await init();
  await tf.setBackend('cpu');
  await tf.ready();
  report.backend = tf.getBackend();

  // model.fit on a seeded regression problem (y = sin(3 x0) cos(2 x1)).
  const x = seeded(1, 256 * 2);
  const xs = tf.tensor2d(x, [256, 2]);
  const ys = tf.tensor2d(Float32Array.from({ length: 256 }, (_, i) => Math.sin(3 * x[2 * i]) * Math.cos(2 * x[2 * i + 1])), [256, 1]);
  const model = tfl.sequential({ layers: [tfl.layers.dense({ units: 16, activation: 'tanh', inputShape: [2] }), tfl.layers.dense({ units: 1 })] });
  model.setWeights(model.getWeights().map((w, i) => tf.tensor(seeded(700 + i, w.size, 1 / Math.sqrt(w.shape[0])), w.shape)));
  const opt = adamW({ lr: 1e-2 });
  model.compile({ optimizer: opt, loss: 'meanSquaredError' });
  const first = await model.fit(xs, ys, { epochs: 1, batchSize: 32, shuffle: false, verbose: 0 });
  const numTensors = tf.memory().numTensors;
  const history = await model.fit(xs, ys, { epochs: 19, batchSize: 32, shuffle: false, verbose: 0 });
  report.losses = [...first.history.loss, ...history.history.loss];
  report.leaked = tf.memory().numTensors - numTensors;
  report.steps = Object.values(opt.stateDict().state).map((s) => s.step);

  // Save with the optimizer, load it back in the page: class, state and lr survive.
  let artifacts;
  await model.save(tf.io.withSaveHandler(async (a) => ((artifacts = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })), { includeOptimizer: true });
  const loaded = await tfl.loadLayersModel(tf.io.fromMemory(artifacts));
  report.loaded = {
    isLucidAdamW: loaded.optimizer instanceof LucidAdamW,
    sameState: JSON.stringify(loaded.optimizer.stateDict().state, (k, v) => (v instanceof Float32Array ? bits(v) : v)) === JSON.stringify(opt.stateDict().state, (k, v) => (v instanceof Float32Array ? bits(v) : v)),
  };

  // The bridge against lucid-optim's own AdamW on the same gradients: bit for bit.
  const v = tf.variable(tf.tensor(seeded(2, 50)), true, 'exact');
  const p = new Parameter(v.dataSync());
  const bridged = adamW({ lr: 0.01, weightDecay: 0.1 });
  const direct = new AdamW([p], { lr: 0.01, weightDecay: 0.1 });
  let identical = true;
  for (let step = 0; step < 30; step++) {
    const g = seeded(100 + step, 50, 2);
    const t = tf.tensor(g);
    bridged.applyGradients({ exact: t });
    t.dispose();
    p.grad = g;
    direct.step();
    identical &&= bits(v.dataSync()).join() === bits(p.data).join();
  }
  report.identical = identical;
  for (const o of [opt, bridged, direct, loaded.optimizer]) o.dispose();
  report.disposed = opt.disposed;
  return report;
}

window.report = run().catch((error) => ({ failed: `${error.name}: ${error.message}\n${error.stack}` }));
