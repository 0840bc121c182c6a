// The model both demos train (examples/train.mjs in Node, examples/web/ in the browser): a
// 2-layer perceptron classifying a seeded 2-D spiral, forward and backward written out by hand.
// Weights are lucid-optim Parameters; `lossAndGrad` writes the gradients straight into `param.grad`,
// so a training step is `model.lossAndGrad(); optimizer.step()`.
//
// `lucid-optim` resolves to dist/node.mjs in Node (the package imports itself by name) and, in the
// demo page, to dist/browser.mjs through the page's import map.

import { Parameter } from 'lucid-optim';

/** A standard normal sample (Box–Muller) from a uniform generator (reference/rng.mjs's mulberry32 in the demos). */
export function gaussian(random) {
  const u = 1 - random(); // (0, 1]: log(u) is finite
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/**
 * `classes` interleaved spiral arms of `perClass` points each, in roughly [-1, 1]², with Gaussian
 * angular noise: the classic dataset no straight line can separate.
 * @returns {{ x: Float64Array, y: Uint8Array, count: number, classes: number }} x holds (x0, x1) pairs
 */
export function makeSpiral(random, { classes = 3, perClass = 100, noise = 0.2 } = {}) {
  const count = classes * perClass;
  const x = new Float64Array(count * 2);
  const y = new Uint8Array(count);
  for (let c = 0; c < classes; c++) {
    for (let i = 0; i < perClass; i++) {
      const n = c * perClass + i;
      const r = i / (perClass - 1);
      const theta = (c * 2 * Math.PI) / classes + r * 4 + gaussian(random) * noise;
      x[2 * n] = r * Math.sin(theta);
      x[2 * n + 1] = r * Math.cos(theta);
      y[n] = c;
    }
  }
  return { x, y, count, classes };
}

/**
 * inputs → tanh(hidden) → softmax(outputs), trained with mean cross-entropy over the whole batch.
 * Owns four Parameters (w1, b1, w2, b2); call `dispose()` when done.
 */
export class MLP {
  #scratch = { capacity: 0 };

  /**
   * @param {{ inputs?: number, hidden?: number, outputs?: number, random: () => number }} options
   *   random initialises the weights (Xavier/Glorot normal; biases start at zero)
   */
  constructor({ inputs = 2, hidden = 64, outputs = 3, random }) {
    this.inputs = inputs;
    this.hidden = hidden;
    this.outputs = outputs;
    const normal = (fanIn, fanOut) => {
      const scale = Math.sqrt(2 / (fanIn + fanOut));
      return Float32Array.from({ length: fanIn * fanOut }, () => gaussian(random) * scale);
    };
    // Row-major: w1[i * hidden + j] connects input i to hidden unit j.
    this.w1 = new Parameter(normal(inputs, hidden), { name: 'w1', shape: [inputs, hidden] });
    this.b1 = new Parameter(hidden, { name: 'b1' });
    this.w2 = new Parameter(normal(hidden, outputs), { name: 'w2', shape: [hidden, outputs] });
    this.b2 = new Parameter(outputs, { name: 'b2' });
    this.params = [this.w1, this.b1, this.w2, this.b2];
    for (const p of this.params) p.grad = new Float32Array(p.length); // allocate once, overwritten each step
  }

  /** Number of trainable weights. */
  get size() {
    return this.params.reduce((n, p) => n + p.length, 0);
  }

  /**
   * Forward and backward pass over the batch: writes d(loss)/d(weight) into every `param.grad`
   * and returns the mean cross-entropy and the accuracy.
   * @param {{ x: ArrayLike<number>, y: ArrayLike<number>, count: number }} batch
   */
  lossAndGrad({ x, y, count }) {
    const { inputs: I, hidden: H, outputs: O } = this;
    const { h, p, dz, gw1, gb1, gw2, gb2 } = this.#buffers(count);
    this.#forward(x, count, h, p);
    const w2 = this.w2.data;
    // Gradients are summed in f64 and rounded to f32 once, when copied into param.grad.
    gw1.fill(0);
    gb1.fill(0);
    gw2.fill(0);
    gb2.fill(0);
    let loss = 0;
    let correct = 0;
    for (let n = 0; n < count; n++) {
      const label = y[n];
      const pn = n * O;
      let best = 0;
      for (let o = 1; o < O; o++) if (p[pn + o] > p[pn + best]) best = o;
      if (best === label) correct++;
      loss -= Math.log(Math.max(p[pn + label], 1e-12));
      // d(mean CE)/d(logit) = (softmax − onehot) / count
      for (let o = 0; o < O; o++) p[pn + o] = (p[pn + o] - (o === label ? 1 : 0)) / count;
      const hn = n * H;
      for (let j = 0; j < H; j++) {
        let dh = 0;
        for (let o = 0; o < O; o++) {
          gw2[j * O + o] += h[hn + j] * p[pn + o];
          dh += w2[j * O + o] * p[pn + o];
        }
        dz[j] = dh * (1 - h[hn + j] * h[hn + j]); // tanh' = 1 − tanh²
        gb1[j] += dz[j];
      }
      for (let o = 0; o < O; o++) gb2[o] += p[pn + o];
      for (let i = 0; i < I; i++) {
        const xi = x[n * I + i];
        for (let j = 0; j < H; j++) gw1[i * H + j] += xi * dz[j];
      }
    }
    this.w1.grad.set(gw1);
    this.b1.grad.set(gb1);
    this.w2.grad.set(gw2);
    this.b2.grad.set(gb2);
    return { loss: loss / count, accuracy: correct / count };
  }

  /**
   * Class probabilities for `count` points (x holds `inputs` numbers per point), written into
   * `out` (count × outputs) when given.
   */
  predict(x, count, out = new Float64Array(count * this.outputs)) {
    const { h } = this.#buffers(count);
    this.#forward(x, count, h, out);
    return out;
  }

  /** Frees the weights' WebAssembly memory. */
  dispose() {
    for (const p of this.params) p.dispose();
  }

  /** h = tanh(x·w1 + b1), p = softmax(h·w2 + b2), computed in f64 from the f32 weights. */
  #forward(x, count, h, p) {
    const { inputs: I, hidden: H, outputs: O } = this;
    const w1 = this.w1.data;
    const b1 = this.b1.data;
    const w2 = this.w2.data;
    const b2 = this.b2.data;
    for (let n = 0; n < count; n++) {
      const hn = n * H;
      for (let j = 0; j < H; j++) {
        let z = b1[j];
        for (let i = 0; i < I; i++) z += x[n * I + i] * w1[i * H + j];
        h[hn + j] = Math.tanh(z);
      }
      const pn = n * O;
      let max = -Infinity;
      for (let o = 0; o < O; o++) {
        let z = b2[o];
        for (let j = 0; j < H; j++) z += h[hn + j] * w2[j * O + o];
        p[pn + o] = z;
        if (z > max) max = z;
      }
      let sum = 0;
      for (let o = 0; o < O; o++) sum += p[pn + o] = Math.exp(p[pn + o] - max);
      for (let o = 0; o < O; o++) p[pn + o] /= sum;
    }
  }

  /** Activations for `count` points (grown as needed) and gradient sums, reused between calls. */
  #buffers(count) {
    const s = this.#scratch;
    if (s.capacity < count) {
      s.capacity = count;
      s.h = new Float64Array(count * this.hidden);
      s.p = new Float64Array(count * this.outputs);
    }
    if (s.dz === undefined) {
      const { inputs: I, hidden: H, outputs: O } = this;
      s.dz = new Float64Array(H);
      s.gw1 = new Float64Array(I * H);
      s.gb1 = new Float64Array(H);
      s.gw2 = new Float64Array(H * O);
      s.gb2 = new Float64Array(O);
    }
    return s;
  }
}
