// The lucid-optim/tfjs suite, run once per tfjs backend (cpu.test.ts, wasm.test.ts: one process
// each, so that the backend, tfjs's one global, is set once per file): real tfjs-layers training
// (model.fit, trainOnBatch, minimize), exactness against lucid-optim itself, agreement with
// tf.train.adam, frozen variables, the GAN pattern of tfjs#4290, tensor leaks, saving and loading,
// schedulers, and the errors.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {
  ASGD,
  Adadelta,
  Adafactor,
  Adagrad,
  AdamW,
  Adam,
  Adamax,
  LinearLR,
  Muon,
  NAdam,
  Parameter,
  RAdam,
  RMSprop,
  Rprop,
  SGD,
  StepLR,
  init,
  memoryStats,
  type Optimizer,
} from 'lucid-optim';
import {
  LucidAdam,
  LucidAdamW,
  LucidSGD,
  adadelta,
  adafactor,
  adagrad,
  adam,
  adamW,
  adamax,
  asgd,
  muon,
  nadam,
  radam,
  rmsprop,
  rprop,
  sgd,
  type LucidOptimizer,
} from 'lucid-optim/tfjs';
import { beforeAll, describe, expect, test } from 'vitest';
import { expectCloseF32, thrownBy } from '../helpers';
import { observe } from '../observe';
import { bitsOf, makeData, makeModel, seeded, useBackend, weightsOf, type Backend } from './setup';

/** The bridge's internal switch of its one backend-internal path (backend-memory.ts), stripped from its declarations. */
const internal = (opt: LucidOptimizer) => opt as unknown as { _useBackendMemory(on: boolean): void; readonly _backendReads: number };

/** Unique variable names per test (tfjs's registry is global to the process). */
let unique = 0;
const name = (label: string) => `${label}_${unique++}`;

/**
 * Everything observable of a bridge and some tfjs variables, for "nothing changed" assertions: the
 * lucid-optim side through test/observe.ts (its Parameters, optimizer, state and allocations), the
 * tfjs side (the variables' values, tfjs's tensor count, the iteration count, the named state dict).
 */
function snapshot(opt: LucidOptimizer, variables: tf.Variable[]) {
  const named = opt.stateDict();
  return {
    lucid: observe(opt.optimizer.paramGroups[0].params, [opt.optimizer]),
    names: named.paramGroups[0].params,
    steps: Object.entries(named.state as Record<string, { step?: number }>).map(([key, s]) => [key, s.step]),
    values: bitsOf(variables.map((v) => v.dataSync() as Float32Array)),
    iterations: opt.iterations,
    numTensors: tf.memory().numTensors,
  };
}

export function bridgeSuite(backend: Backend): void {
  beforeAll(async () => {
    await init();
    await useBackend(backend);
  });

  test(`model.fit trains a tfjs-layers MLP with adamW on the ${backend} backend: the loss falls`, async () => {
    const opt = adamW({ lr: 1e-2 });
    const model = makeModel();
    model.compile({ optimizer: opt, loss: 'meanSquaredError' });
    const { xs, ys } = makeData();
    const history = await model.fit(xs, ys, { epochs: 20, batchSize: 32, shuffle: false, verbose: 0 });
    const losses = history.history.loss as number[];
    // Measured on both backends: 0.183 after the first epoch, 0.062 after the 20th. A broken
    // optimizer (one that never writes back, say) leaves it flat.
    expect(losses.at(-1)!).toBeLessThan(losses[0] / 2);
    // 256 points / batch 32 = 8 steps per epoch; every variable (2 kernels, 2 biases) took each one.
    expect(opt.iterations).toBe(160);
    expect(opt.optimizer.paramGroups).toHaveLength(1);
    expect(opt.optimizer.paramGroups[0].params.map((p) => p.name)).toEqual(model.trainableWeights.map((w) => w.name));
    expect(Object.values(opt.stateDict().state).map((s) => s.step)).toEqual([160, 160, 160, 160]);
    opt.dispose();
    model.dispose();
  });

  /** Each factory, the lucid-optim class under it, and options that exercise it. */
  const FACTORIES = {
    adam: [adam, Adam],
    adamW: [adamW, AdamW],
    sgd: [sgd, SGD],
    rmsprop: [rmsprop, RMSprop],
    adagrad: [adagrad, Adagrad],
    adadelta: [adadelta, Adadelta],
    adamax: [adamax, Adamax],
    nadam: [nadam, NAdam],
    radam: [radam, RAdam],
    asgd: [asgd, ASGD],
    rprop: [rprop, Rprop],
    muon: [muon, Muon],
    adafactor: [adafactor, Adafactor],
  } as const;
  type Factory = keyof typeof FACTORIES;
  const bridge = (factory: Factory, options: object) => (FACTORIES[factory][0] as (o: object) => LucidOptimizer)(options);
  const direct = (factory: Factory, options: object) =>
    new (FACTORIES[factory][1] as unknown as new (groups: { params: Parameter[] }[], options: object) => Optimizer)([{ params: [] }], options);

  describe.each([
    ['adamW', { lr: 0.01, betas: [0.8, 0.99], eps: 1e-6, weightDecay: 0.1, amsgrad: true }, true],
    ['adam', { lr: 0.02, eps: 1e-7, weightDecay: 0.05, maximize: true }, true],
    ['sgd', { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 1e-3 }, true],
    ['sgd', { lr: 0.05, momentum: 0.8, dampening: 0.1, maximize: true }, false],
    ['rmsprop', { lr: 0.01, momentum: 0.9, centered: true, weightDecay: 1e-3 }, true],
    ['adagrad', { lr: 0.05, lrDecay: 1e-3, initialAccumulatorValue: 0.1, weightDecay: 1e-3 }, true],
    ['adadelta', { rho: 0.95, weightDecay: 1e-3, maximize: true }, true],
    ['adamax', { lr: 0.01, betas: [0.8, 0.99], weightDecay: 1e-3 }, true],
    ['nadam', { lr: 0.01, weightDecay: 1e-2, decoupledWeightDecay: true }, true],
    ['radam', { lr: 0.01, betas: [0.9, 0.9], weightDecay: 1e-2 }, true],
    ['asgd', { lr: 0.01, t0: 10, weightDecay: 1e-3 }, true],
    ['rprop', { lr: 0.01, etas: [0.4, 1.3], stepSizes: [1e-5, 1] }, true],
    ['muon', { lr: 0.02, momentum: 0.9, weightDecay: 0.01 }, true],
    ['adafactor', { lr: 0.02, eps: [1e-30, 1e-3], weightDecay: 0.01 }, true],
    ['adafactor', { beta2Decay: -0.5, d: 2, maximize: true }, false],
    ['muon', { adjustLrFn: 'match_rms_adamw', nesterov: false, nsSteps: 3 }, false],
    ['adamW', { lr: 0.01, betas: [0.8, 0.99], eps: 1e-6, weightDecay: 0.1, amsgrad: true }, false],
  ] as const)('%s %j gives exactly the numbers of lucid-optim itself (reading wasm backend memory: %s)', (factory, options, fromBackend) => {
    test('same gradients, bit for bit: frozen steps, a variable first seen late, a scheduler built before the first step', () => {
      // Four variables; v1 is frozen (null gradient) every third step, v3 gets its first gradient
      // at step 10. The reference is lucid-optim's own optimizer on Parameters holding the same
      // values and gradients (lucid-optim is itself proven against torch: test/e2e/fidelity/).
      // Muon takes only matrices: the same sizes as 2-D shapes where they allow it.
      const shapes = factory === 'muon' ? [[3, 5], [7, 1], [1, 1], [3, 11]] : [[3, 5], [7], [1], [33]];
      const variables = shapes.map((shape, i) => tf.variable(tf.tensor(seeded(10 + i, shape.reduce((a, b) => a * b, 1)), shape), true, name(`exact${i}`)));
      const params = variables.map((v) => new Parameter(v.dataSync() as Float32Array, { shape: v.shape }));
      const opt = bridge(factory, options);
      internal(opt)._useBackendMemory(fromBackend);
      const reference = direct(factory, options);
      const schedulers = [new StepLR(opt.optimizer, { stepSize: 7, gamma: 0.5 }), new StepLR(reference, { stepSize: 7, gamma: 0.5 })];
      for (let step = 1; step <= 40; step++) {
        const grads = variables.map((v, i) => {
          if ((i === 1 && step % 3 === 0) || (i === 3 && step < 10)) return null;
          return seeded(1000 * step + i, v.size, 2);
        });
        // The reference gets each Parameter when the bridge first sees its variable, as the bridge does.
        grads.forEach((g, i) => {
          if (g !== null && !reference.paramGroups[0].params.includes(params[i])) reference.addParams([params[i]], 0);
        });
        const tensors = grads.map((g, i) => (g === null ? null : tf.tensor(g, variables[i].shape)));
        opt.applyGradients(variables.map((v, i) => ({ name: v.name, tensor: tensors[i] })));
        for (const t of tensors) t?.dispose();
        reference.paramGroups[0].params.forEach((p) => (p.grad = grads[params.indexOf(p)]));
        reference.step();
        for (const s of schedulers) s.step();
        expect(bitsOf(variables.map((v) => v.dataSync() as Float32Array)), `step ${step}`).toEqual(bitsOf(params.map((p) => p.data)));
      }
      const bridged = opt.stateDict() as { state: Record<string, Record<string, unknown>>; paramGroups: { params: string[] }[] };
      const directDict = reference.stateDict() as { state: Record<number, Record<string, unknown>>; paramGroups: { params: number[] }[] };
      // Same parameters in the same order (the order each was first seen), same state, same groups.
      const order = reference.paramGroups[0].params.map((p) => variables[params.indexOf(p)].name);
      expect(bridged.paramGroups[0].params).toEqual(order);
      expect({ ...bridged.paramGroups[0], params: [] }).toEqual({ ...directDict.paramGroups[0], params: [] });
      order.forEach((varName, i) => {
        const [a, b] = [bridged.state[varName], directDict.state[i]];
        expect(Object.keys(a)).toEqual(Object.keys(b));
        for (const key of Object.keys(b)) {
          const [x, y] = [a[key], b[key]];
          if (y instanceof Float32Array) expect(bitsOf([x as Float32Array]), `${varName}.${key}`).toEqual(bitsOf([y]));
          else expect(x, `${varName}.${key}`).toBe(y);
        }
      });
      if (factory !== 'sgd' && factory !== 'muon') {
        // Per-variable step counts (SGD and Muon keep none): v1 skipped steps 3, 6, …, 39 (13 of 40); v3 started at step 10.
        expect(order.map((n) => bridged.state[n].step)).toEqual(order.map((n) => [40, 27, 40, 31][variables.findIndex((v) => v.name === n)]));
      }
      // Which path read the values: the wasm backend's memory (a variable and its gradient per
      // variable and step: 2 × 138), or dataSync() (on the cpu backend, the guard's answer).
      expect(internal(opt)._backendReads).toBe(fromBackend && backend === 'wasm' ? 2 * (40 + 27 + 40 + 31) : 0);
      opt.dispose();
      reference.dispose();
      for (const p of params) p.dispose();
      for (const v of variables) v.dispose();
    });
  });

  test.runIf(backend === 'wasm')('the wasm backend-memory read falls back to dataSync() for a tensor whose data is in another backend', async () => {
    const v = tf.variable(tf.tensor(seeded(50, 9)), true, name('fallback'));
    await tf.setBackend('cpu');
    const g = tf.tensor(seeded(51, 9)); // its data lives in the cpu backend
    await tf.setBackend('wasm');
    const opt = adamW();
    const p = new Parameter(v.dataSync() as Float32Array);
    const reference = new AdamW([p]);
    opt.applyGradients({ [v.name]: g });
    p.grad = seeded(51, 9);
    reference.step();
    expect(internal(opt)._backendReads).toBe(1); // the variable; the gradient went through dataSync()
    expect(bitsOf([v.dataSync() as Float32Array])).toEqual(bitsOf([p.data]));
    opt.dispose();
    reference.dispose();
    p.dispose();
    tf.dispose([v, g]);
  });

  test('next to tf.train.adam (same lr, betas and eps): the same training within tfjs float32 drift', async () => {
    // Same model, data and batches; only the optimizer differs. tf.train.adam computes the same
    // formula with other float32 roundings: its bias corrections come from running products of
    // float32-rounded betas (fl32(0.999) = 0.99900001287, so 1 - beta2^t is off by up to 1.3e-5
    // relative at t = 1, and its square root 6.4e-6), m and v are updated without lerp, and eps is
    // added to sqrt(v_hat) rather than to sqrt(v) / sqrt(1 - beta2^t). Each step's update therefore
    // differs by ~1e-5 relative, and the differences carry through training.
    const { xs, ys } = makeData();
    const run = async (optimizer: tf.Optimizer) => {
      const model = makeModel();
      model.compile({ optimizer, loss: 'meanSquaredError' });
      const history = await model.fit(xs, ys, { epochs: 10, batchSize: 32, shuffle: false, verbose: 0 });
      const result = { losses: history.history.loss as number[], weights: weightsOf(model) };
      model.dispose();
      return result;
    };
    const ours = adam({ lr: 1e-2, eps: 1e-8 });
    const theirs = tf.train.adam(1e-2, 0.9, 0.999, 1e-8);
    const [a, b] = [await run(ours), await run(theirs)];
    // Measured over these 80 steps: losses within 2.1e-6 (cpu) and 2.4e-6 (wasm) relative, weights
    // within 5.7e-6 of their largest value; tfjs's default eps (1e-7) instead of 1e-8 changes
    // little here (1.8e-6, 8.4e-6: the gradients dwarf eps), but an lr 0.1% off (1.001e-2) gives
    // 2.4e-4 and 7.7e-4. Asserted: 2e-5 and 5e-5, about 10 times the drift, 10 times below that.
    a.losses.forEach((loss, epoch) => expect(Math.abs(loss - b.losses[epoch]) / b.losses[epoch], `epoch ${epoch + 1}`).toBeLessThan(2e-5));
    a.weights.forEach((w, i) => {
      const scale = Math.max(...Array.from(b.weights[i], Math.abs));
      const diff = Math.max(...Array.from(w, (x, e) => Math.abs(x - b.weights[i][e])));
      expect(diff / scale, `weight ${i}`).toBeLessThan(5e-5);
    });
    ours.dispose();
    theirs.dispose();
  });

  test('toggling trainable, without and with recompiling: frozen variables are skipped and keep their step counts', async () => {
    const opt = adamW({ lr: 1e-2 });
    const model = makeModel();
    const { xs, ys } = makeData(64);
    const fit = (epochs: number) => model.fit(xs, ys, { epochs, batchSize: 32, shuffle: false, verbose: 0 });
    const steps = () => Object.values(opt.stateDict().state).map((s) => s.step);
    const first = () => bitsOf(model.layers[0].getWeights().map((w) => w.dataSync() as Float32Array));
    model.compile({ optimizer: opt, loss: 'meanSquaredError' });
    await fit(2); // 2 steps per epoch
    expect(steps()).toEqual([4, 4, 4, 4]);

    model.layers[0].trainable = false; // no recompile: its variables get null gradients
    let frozen = first();
    await fit(1);
    expect(first()).toEqual(frozen);
    expect(steps()).toEqual([4, 4, 6, 6]);
    model.layers[0].trainable = true;
    await fit(1);
    expect(first()).not.toEqual(frozen);
    expect(steps()).toEqual([6, 6, 8, 8]);

    model.layers[0].trainable = false;
    model.compile({ optimizer: opt, loss: 'meanSquaredError' }); // recompiled: no longer in the list at all
    frozen = first();
    await fit(1);
    expect(first()).toEqual(frozen);
    expect(steps()).toEqual([6, 6, 10, 10]);
    model.layers[0].trainable = true;
    model.compile({ optimizer: opt, loss: 'meanSquaredError' });
    await fit(1);
    expect(steps()).toEqual([8, 8, 12, 12]);
    opt.dispose();
    model.dispose();
  });

  test('the GAN pattern of tfjs#4290: one optimizer shared by a discriminator and a generator trains (tf.train.adam throws)', async () => {
    // The Keras GAN: the discriminator compiled on its own; the combined model (generator, then the
    // discriminator frozen) compiled with the same optimizer; the discriminator unfrozen around its
    // own training. tf.train.adam keeps its state by position in the variable list, so the
    // generator's variables land on the discriminator's slots ("Operands could not be broadcast").
    const train = async (optimizer: tf.Optimizer, rounds: number) => {
      const generator = tfl.sequential({ layers: [tfl.layers.dense({ units: 8, inputShape: [4], activation: 'tanh' })] });
      const discriminator = tfl.sequential({ layers: [tfl.layers.dense({ units: 1, inputShape: [8], activation: 'sigmoid' })] });
      discriminator.compile({ optimizer, loss: 'binaryCrossentropy' });
      discriminator.trainable = false;
      const gan = tfl.sequential({ layers: [generator, discriminator] });
      gan.compile({ optimizer, loss: 'binaryCrossentropy' });
      const noise = tf.tensor2d(seeded(3, 16 * 4), [16, 4]);
      const real = tf.tensor2d(seeded(4, 16 * 8), [16, 8]);
      const labels = tf.concat([tf.ones([16, 1]), tf.zeros([16, 1])]);
      const before = [...weightsOf(generator), ...weightsOf(discriminator)];
      try {
        for (let round = 0; round < rounds; round++) {
          discriminator.trainable = true;
          const fake = generator.predict(noise) as tf.Tensor;
          const batch = tf.concat([real, fake]);
          await discriminator.trainOnBatch(batch, labels);
          tf.dispose([fake, batch]);
          discriminator.trainable = false;
          await gan.trainOnBatch(noise, tf.ones([16, 1]));
        }
        return { before, after: [...weightsOf(generator), ...weightsOf(discriminator)] };
      } finally {
        gan.dispose();
      }
    };
    const opt = adamW({ lr: 1e-2 });
    const { before, after } = await train(opt, 20);
    after.forEach((w, i) => expect(bitsOf([w]), `weight ${i} trained`).not.toEqual(bitsOf([before[i]])));
    // Discriminator and generator each took all 20 of their steps.
    expect(Object.values(opt.stateDict().state).map((s) => s.step)).toEqual([20, 20, 20, 20]);
    opt.dispose();
    const theirs = tf.train.adam(1e-2);
    await expect(train(theirs, 2)).rejects.toThrow(/broadcast/i);
    theirs.dispose();
  });

  test('no tensor leaks: tf.memory().numTensors is flat over 3000 minimize steps and over fit epochs', async () => {
    const w = tf.variable(tf.tensor(seeded(5, 64)), true, name('leak'));
    const target = tf.tensor(seeded(6, 64));
    const opt = adamW({ lr: 1e-2 });
    const loss = () => tf.sum(tf.square(tf.sub(w, target))) as tf.Scalar;
    for (let i = 0; i < 10; i++) opt.minimize(loss);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3000; i++) opt.minimize(loss);
    expect(tf.memory().numTensors).toBe(before);
    // minimize with returnCost and a varList, as tfjs-layers calls it.
    const cost = opt.minimize(loss, true, [w])!;
    expect(cost.dataSync()[0]).toBeLessThan(1e-3); // 3000 Adam steps at lr 1e-2 reach the target
    cost.dispose();
    expect(tf.memory().numTensors).toBe(before);

    const model = makeModel();
    model.compile({ optimizer: opt, loss: 'meanSquaredError' });
    const { xs, ys } = makeData(64);
    await model.fit(xs, ys, { epochs: 1, batchSize: 16, verbose: 0 });
    const afterOneEpoch = tf.memory().numTensors;
    await model.fit(xs, ys, { epochs: 20, batchSize: 16, verbose: 0 });
    expect(tf.memory().numTensors).toBe(afterOneEpoch);
    opt.dispose();
    model.dispose();
    tf.dispose([w, target, xs, ys]);
  });

  test('nothing aliases WebAssembly memory: variables stay intact when lucid-optim memory grows', () => {
    const v = tf.variable(tf.tensor(seeded(8, 1000)), true, name('alias'));
    const opt = adamW();
    const grad = tf.tensor(seeded(9, 1000));
    opt.applyGradients({ [v.name]: grad });
    const after = (v.dataSync() as Float32Array).slice();
    const param = opt.optimizer.paramGroups[0].params[0];
    expect(v.dataSync().buffer).not.toBe(param.data.buffer);
    // 64 MiB more: WebAssembly memory grows, which detaches every view into the old buffer.
    const before = param.data.buffer.byteLength;
    const big = new Parameter(16 << 20);
    expect(param.data.buffer.byteLength).toBeGreaterThan(before);
    expect(bitsOf([v.dataSync() as Float32Array])).toEqual(bitsOf([after]));
    big.dispose();
    opt.dispose();
    tf.dispose([v, grad]);
  });

  test('a scheduler built on opt.optimizer before the first step schedules every variable, including ones seen later', () => {
    const opt = adamW({ lr: 0.1 });
    const schedule = new LinearLR(opt.optimizer, { startFactor: 0.5, totalIters: 2 });
    expect(opt.optimizer.paramGroups[0].lr).toBe(0.05);
    const [a, b] = [tf.variable(tf.zeros([3]), true, name('late_a')), tf.variable(tf.zeros([2]), true, name('late_b'))];
    const [ga, gb] = [tf.ones([3]), tf.ones([2])];
    opt.applyGradients({ [a.name]: ga });
    schedule.step(); // lr 0.075
    schedule.step(); // lr 0.1
    opt.applyGradients({ [a.name]: ga, [b.name]: gb });
    // b's first Adam step moves it by the group's lr now: -lr · m̂ / (sqrt(v̂) + eps) = -0.1 · 1 / (1 + 1e-8)
    // (decoupled weight decay of zeros is zero), within the few float32 ulps of the kernel's roundings;
    // the lr of its first sight would give -0.05, the warm-up's start.
    expectCloseF32(b.dataSync() as Float32Array, [-0.1 / (1 + 1e-8), -0.1 / (1 + 1e-8)]);
    expect(opt.optimizer.paramGroups).toHaveLength(1);
    expect(opt.optimizer.paramGroups[0].params.map((p) => p.name)).toEqual([a.name, b.name]);
    opt.dispose();
    tf.dispose([a, b, ga, gb]);
  });

  test('stateDict / loadStateDict by variable name, and getWeights / setWeights, resume exactly', () => {
    const variables = [tf.variable(tf.tensor(seeded(20, 12), [3, 4]), true, name('sd_w')), tf.variable(tf.tensor(seeded(21, 4)), true, name('sd_b'))];
    const grads = (step: number) => variables.map((v) => tf.tensor(seeded(5000 + step * 2 + v.size, v.size), v.shape));
    const run = (opt: LucidAdam, from: number, to: number) => {
      for (let step = from; step < to; step++) {
        const g = grads(step);
        opt.applyGradients(variables.map((v, i) => ({ name: v.name, tensor: g[i] })));
        tf.dispose(g);
      }
    };
    const a = adamW({ lr: 0.03, amsgrad: true });
    run(a, 0, 5);
    const saved = a.stateDict();
    const values = variables.map((v) => v.dataSync().slice() as Float32Array);
    run(a, 5, 10);
    const expected = bitsOf(variables.map((v) => v.dataSync() as Float32Array));
    // A fresh optimizer, state loaded before it has seen any variable, from a JSON round trip.
    variables.forEach((v, i) => v.assign(tf.tensor(values[i], v.shape)));
    const b = adamW({ lr: 0.03, amsgrad: true });
    const json = JSON.parse(JSON.stringify(saved, (_, x) => (x instanceof Float32Array ? Array.from(x) : x)));
    b.loadStateDict(json);
    run(b, 5, 10);
    expect(bitsOf(variables.map((v) => v.dataSync() as Float32Array))).toEqual(expected);
    a.dispose();
    b.dispose();
    tf.dispose(variables);
  });

  test('getWeights / setWeights carry the state and iterations, by name', async () => {
    const v = tf.variable(tf.tensor(seeded(30, 6), [2, 3]), true, name('gw'));
    const a = adamW({ amsgrad: true });
    const g = tf.tensor(seeded(31, 6), [2, 3]);
    for (let i = 0; i < 3; i++) a.applyGradients({ [v.name]: g });
    const weights = await a.getWeights();
    expect(weights.map((w) => w.name)).toEqual(['iter', `${v.name}/step`, `${v.name}/exp_avg`, `${v.name}/exp_avg_sq`, `${v.name}/max_exp_avg_sq`]);
    expect(weights[2].tensor.shape).toEqual([2, 3]);
    const b = adamW({ amsgrad: true });
    await b.setWeights(weights);
    expect(b.iterations).toBe(3);
    expect(b.stateDict()).toEqual(a.stateDict());
    const numTensors = tf.memory().numTensors;
    await a.getWeights(); // the previous call's tensors are freed, the new ones kept
    expect(tf.memory().numTensors).toBe(numTensors);
    a.dispose();
    expect(tf.memory().numTensors).toBe(numTensors - weights.length);
    b.dispose();
    tf.dispose([v, g]);
  });

  test("model.save with includeOptimizer and tf.loadLayersModel rebuild the optimizer: its class, its scheduled lr, its state", async () => {
    const opt = adamW({ lr: 0.02, weightDecay: 0.05 });
    const schedule = new StepLR(opt.optimizer, { stepSize: 1, gamma: 0.5 });
    const model = makeModel();
    model.compile({ optimizer: opt, loss: 'meanSquaredError' });
    const { xs, ys } = makeData(64);
    await model.fit(xs, ys, { epochs: 2, batchSize: 32, verbose: 0, callbacks: { onEpochEnd: async () => void schedule.step() } });
    let artifacts: tf.io.ModelArtifacts | undefined;
    await model.save(tf.io.withSaveHandler(async (a) => ((artifacts = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })), {
      includeOptimizer: true,
    });
    expect((artifacts!.trainingConfig!.optimizer_config as { class_name: string }).class_name).toBe('LucidAdamW');
    const loaded = await tfl.loadLayersModel(tf.io.fromMemory(artifacts!));
    const restored = loaded.optimizer as LucidAdamW;
    expect(restored).toBeInstanceOf(LucidAdamW);
    expect(restored.optimizer.paramGroups[0].lr).toBe(0.005); // 0.02 halved after each of 2 epochs
    expect(restored.optimizer.paramGroups[0].weightDecay).toBe(0.05);
    expect(restored.iterations).toBe(4);
    // Keyed by the saved variables' names (a model loaded in a fresh process has the same ones).
    expect(restored.stateDict().state).toEqual(opt.stateDict().state);
    // tfjs's own Adam is still tfjs's.
    expect(tf.serialization.SerializationMap.getMap().classNameMap.Adam[0]).toBe(tf.AdamOptimizer);
    restored.dispose();
    loaded.dispose();
    opt.dispose();
    model.dispose();
  });

  test.each([
    ['adamW', { lr: 0.02, weightDecay: 0.05, amsgrad: true }],
    ['sgd', { lr: 0.05, momentum: 0.9, nesterov: true }],
  ] as const)('%s: a model saved and reloaded in the same process resumes exactly (its variables renamed by tfjs-layers)', async (factory, options) => {
    // tfjs-layers names the reloaded model's variables `dense_Dense1/kernel_1` while the original
    // still holds `dense_Dense1/kernel`; the state saved under the original names must follow them.
    // Measured before the fix: one more epoch differed from the uninterrupted run by 2.6e-3 (the
    // loaded optimizer started the variables from scratch).
    const opt = bridge(factory, options);
    const model = makeModel();
    model.compile({ optimizer: opt, loss: 'meanSquaredError' });
    const { xs, ys } = makeData(64);
    await model.fit(xs, ys, { epochs: 2, batchSize: 32, shuffle: false, verbose: 0 });
    let artifacts: tf.io.ModelArtifacts | undefined;
    await model.save(tf.io.withSaveHandler(async (a) => ((artifacts = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })), {
      includeOptimizer: true,
    });
    const loaded = await tfl.loadLayersModel(tf.io.fromMemory(artifacts!));
    const restored = loaded.optimizer as LucidOptimizer;
    const [before, after] = [model.trainableWeights.map((w) => w.name), loaded.trainableWeights.map((w) => w.name)];
    expect(after.every((n, i) => n !== before[i] && n.startsWith(`${before[i]}_`))).toBe(true);
    await model.fit(xs, ys, { epochs: 1, batchSize: 32, shuffle: false, verbose: 0 });
    await loaded.fit(xs, ys, { epochs: 1, batchSize: 32, shuffle: false, verbose: 0 });
    expect(bitsOf(weightsOf(loaded))).toEqual(bitsOf(weightsOf(model)));
    // The state now lives under the reloaded variables' names, and is the uninterrupted run's.
    const [ours, theirs] = [restored.stateDict() as { state: Record<string, unknown> }, opt.stateDict() as { state: Record<string, unknown> }];
    expect(Object.keys(ours.state)).toEqual(after);
    expect(Object.values(ours.state)).toEqual(Object.values(theirs.state));
    restored.dispose();
    loaded.dispose();
    opt.dispose();
    model.dispose();
  });

  test('loaded state that matches no variable is an error at the next step, naming it, and nothing changes', () => {
    const v = tf.variable(tf.tensor(seeded(60, 4)), true, name('kept'));
    const g = tf.tensor(seeded(61, 4));
    const opt = sgd({ lr: 0.1, momentum: 0.9 });
    opt.applyGradients({ [v.name]: g });
    const saved = opt.stateDict();
    const ghost = name('ghost/kernel');
    const fresh = sgd({ lr: 0.1, momentum: 0.9 });
    fresh.loadStateDict({ state: { [ghost]: saved.state[v.name] }, paramGroups: [{ ...saved.paramGroups[0], params: [ghost] }] });
    const before = snapshot(fresh, [v]);
    expect(thrownBy(() => fresh.applyGradients({ [v.name]: g }))).toEqual(
      new RangeError(
        `LucidSGD.applyGradients: the loaded state of variable "${ghost}" matches no variable (none is registered with tfjs under that name, nor stepped under a name tfjs-layers makes from it, such as "${ghost}_1"); nothing was changed`,
      ),
    );
    expect(snapshot(fresh, [v])).toEqual(before);
    opt.dispose();
    fresh.dispose();
    tf.dispose([v, g]);
  });

  test('sgd() is tf.train.sgd and tf.train.momentum (with PyTorch\'s names), bit for bit', () => {
    // tf.train.momentum: acc = momentum * acc + g (acc starts at 0, so its first value is g, as
    // torch's clone), v += -lr * acc, or with useNesterov v += -lr * (g + momentum * acc): the
    // float32 operations of torch's SGD with dampening 0, in the same order.
    for (const [ours, theirs] of [
      [sgd({ lr: 0.1 }), tf.train.sgd(0.1)],
      [sgd({ lr: 0.1, momentum: 0.9 }), tf.train.momentum(0.1, 0.9)],
      [sgd({ lr: 0.1, momentum: 0.9, nesterov: true }), tf.train.momentum(0.1, 0.9, true)],
    ] as const) {
      const [a, b] = [0, 1].map((k) => tf.variable(tf.tensor(seeded(70, 9)), true, name(`tfsgd${k}`)));
      for (let step = 0; step < 20; step++) {
        const g = tf.tensor(seeded(71 + step, 9, 2));
        ours.applyGradients({ [a.name]: g });
        theirs.applyGradients([{ name: b.name, tensor: g }]);
        g.dispose();
        expect(bitsOf([a.dataSync() as Float32Array]), `step ${step + 1}`).toEqual(bitsOf([b.dataSync() as Float32Array]));
      }
      ours.dispose();
      theirs.dispose();
      tf.dispose([a, b]);
    }
  });

  test('getConfig / fromConfig: the group\'s hyperparameters now, in lucid-optim\'s names, and back', () => {
    const a = adam({ lr: 0.1, betas: [0.8, 0.9], eps: 1e-6, weightDecay: 0.01, amsgrad: true, skipNonFinite: true });
    a.optimizer.paramGroups[0].lr = 0.05; // as a scheduler would
    const config = a.getConfig();
    expect(config).toEqual({ lr: 0.05, betas: [0.8, 0.9], eps: 1e-6, weightDecay: 0.01, amsgrad: true, maximize: false, decoupledWeightDecay: false, skipNonFinite: true });
    const b = LucidAdam.fromConfig(LucidAdam, { ...config, customObjects: {} }) as LucidAdam; // tfjs-layers adds customObjects
    expect(b).toBeInstanceOf(LucidAdam);
    expect(b.getConfig()).toEqual(config);
    // AdamW has no decoupledWeightDecay option (always on), so its config has none either.
    const w = adamW({ weightDecay: 0.2 });
    expect(w.getConfig()).toEqual({ lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.2, amsgrad: false, maximize: false });
    const w2 = LucidAdamW.fromConfig(LucidAdamW, w.getConfig()) as LucidAdamW;
    expect(w2.getConfig()).toEqual(w.getConfig());
    const m = sgd({ lr: 0.1, momentum: 0.9, nesterov: true });
    expect(m.getConfig()).toEqual({ lr: 0.1, momentum: 0.9, dampening: 0, weightDecay: 0, nesterov: true, maximize: false });
    const m2 = LucidSGD.fromConfig(LucidSGD, { ...m.getConfig(), customObjects: {} }) as LucidSGD;
    expect(m2).toBeInstanceOf(LucidSGD);
    expect(m2.getConfig()).toEqual(m.getConfig());
    expect([a.getClassName(), w.getClassName(), m.getClassName()]).toEqual(['LucidAdam', 'LucidAdamW', 'LucidSGD']);
    for (const o of [a, b, w, w2, m, m2]) o.dispose();
  });

  test.each(Object.keys(FACTORIES) as Factory[])('%s(): a registered class of its own, whose config rebuilds it, refusing tf.train\'s names', (factory) => {
    const opt = bridge(factory, {});
    const cls = opt.constructor as typeof LucidOptimizer & { className: string; tfjsNames: Record<string, string> };
    // tf.serialization finds the class under its name (tf.loadLayersModel rebuilds saved models with it).
    expect(tf.serialization.SerializationMap.getMap().classNameMap[cls.className]?.[0]).toBe(cls);
    expect(cls.className).toBe(`Lucid${opt.optimizer.constructor.name}`);
    // The config is the lucid options, torch's defaults included (not AdamW's fixed
    // decoupledWeightDecay); fromConfig gives the same optimizer.
    const config = opt.getConfig();
    const { decoupledWeightDecay, ...rest } = opt.optimizer.defaults as Record<string, unknown>;
    expect(config).toEqual(factory === 'adamW' ? rest : { ...rest, ...(decoupledWeightDecay === undefined ? {} : { decoupledWeightDecay }) });
    const again = cls.fromConfig(cls, { ...config, customObjects: {} }) as LucidOptimizer;
    expect(again.getConfig()).toEqual(config);
    for (const [name, instead] of Object.entries(cls.tfjsNames)) {
      expect(() => bridge(factory, { [name]: 1 }), name).toThrow(`${name} is not an option`);
      expect(() => bridge(factory, { [name]: 1 }), name).toThrow(instead);
    }
    opt.dispose();
    again.dispose();
  });

  test("muon(): 2-D variables only, as torch's Muon; a bias is refused by its name and nothing changes", () => {
    const kernel = tf.variable(tf.tensor(seeded(60, 6), [2, 3]), true, name('kernel'));
    const bias = tf.variable(tf.tensor(seeded(61, 3)), true, name('bias'));
    const opt = muon({ lr: 0.02 });
    const grad = (seed: number, shape: number[]) => tf.tensor(seeded(seed, shape.reduce((a, b) => a * b, 1)), shape);
    const [g1, g2, g3] = [grad(62, [2, 3]), grad(63, [2, 3]), grad(64, [3])];
    opt.applyGradients({ [kernel.name]: g1 });
    const before = { kernel: Array.from(kernel.dataSync()), bias: Array.from(bias.dataSync()), state: opt.stateDict() };
    const error = thrownBy(() => opt.applyGradients({ [kernel.name]: g2, [bias.name]: g3 }));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toContain(`(Parameter "${bias.name}") has shape [3], but Muon takes only 2-D parameters`);
    expect({ kernel: Array.from(kernel.dataSync()), bias: Array.from(bias.dataSync()), state: opt.stateDict() }).toEqual(before);
    opt.dispose();
    tf.dispose([kernel, bias, g1, g2, g3]);
  });

  describe('bad input names the field and changes nothing', () => {
    test('options: lucid-optim validates them; tf.train.adam names get a hint', () => {
      expect(thrownBy(() => adamW({ weight_decay: 0.1 } as never))).toEqual(new TypeError('AdamW: weight_decay is not an option (did you mean weightDecay?), got 0.1'));
      expect(thrownBy(() => adamW({ lr: -1 }))).toEqual(new RangeError('AdamW: lr must be a finite number >= 0, got -1'));
      expect(thrownBy(() => adam({ betas: [0.9, 1] }))).toEqual(new RangeError('Adam: betas[1] must be in [0, 1), got 1'));
      expect(thrownBy(() => adamW({ learningRate: 0.01 } as never))).toEqual(new TypeError("LucidAdamW: learningRate is not an option (tf.train.adam's learningRate is lr here), got 0.01"));
      expect(thrownBy(() => adam({ epsilon: 1e-7 } as never))).toEqual(new TypeError("LucidAdam: epsilon is not an option (tf.train.adam's epsilon is eps here), got 1e-7"));
      expect(thrownBy(() => sgd({ useNesterov: true } as never))).toEqual(new TypeError("LucidSGD: useNesterov is not an option (tf.train.momentum's useNesterov is nesterov here), got true"));
      expect(thrownBy(() => sgd({ learningRate: 0.1 } as never))).toEqual(new TypeError("LucidSGD: learningRate is not an option (tf.train.momentum's learningRate is lr here), got 0.1"));
      expect(thrownBy(() => sgd({ nesterov: true }))).toEqual(
        new RangeError('SGD: nesterov must be false unless momentum > 0 and dampening is 0 (torch: "Nesterov momentum requires a momentum and zero dampening"), got nesterov: true, momentum: 0, dampening: 0'),
      );
    });

    test('applyGradients: an unknown variable, a wrong size; after dispose()', () => {
      const v = tf.variable(tf.tensor(seeded(40, 5)), true, name('bad'));
      const g = tf.tensor(seeded(41, 5));
      const opt = adamW();
      opt.applyGradients({ [v.name]: g });
      const wrong = tf.tensor(seeded(42, 4));
      const before = snapshot(opt, [v]);
      expect(thrownBy(() => opt.applyGradients([{ name: v.name, tensor: g }, { name: 'no such variable', tensor: g }]))).toEqual(
        new TypeError('LucidAdamW.applyGradients: no variable named "no such variable" is registered with tfjs (was it disposed?)'),
      );
      expect(thrownBy(() => opt.applyGradients({ [v.name]: wrong }))).toEqual(
        new RangeError(`LucidAdamW.applyGradients: the gradient of "${v.name}" must have 5 elements (the variable's size), got 4`),
      );
      expect(snapshot(opt, [v])).toEqual(before);
      // A group lr lucid-optim refuses at the step, with a variable seen for the first time: its
      // Parameter is not added (addParams cannot be undone), nothing changes.
      const late = tf.variable(tf.tensor(seeded(43, 5)), true, name('late'));
      opt.optimizer.paramGroups[0].lr = -1;
      const refused = snapshot(opt, [v, late]);
      expect(thrownBy(() => opt.applyGradients({ [v.name]: g, [late.name]: g }))).toEqual(
        new RangeError('AdamW.step: paramGroups[0].lr must be a finite number >= 0, got -1'),
      );
      expect(snapshot(opt, [v, late])).toEqual(refused);
      expect(thrownBy(() => opt.applyGradients({ [v.name]: g }))).toEqual(new RangeError('AdamW.step: paramGroups[0].lr must be a finite number >= 0, got -1'));
      expect(snapshot(opt, [v, late])).toEqual(refused);
      opt.optimizer.paramGroups[0].lr = 1e-3;
      opt.applyGradients({ [v.name]: g, [late.name]: g });
      expect(opt.optimizer.paramGroups[0].params.map((p) => p.name)).toEqual([v.name, late.name]);
      late.dispose();
      const memory = memoryStats().allocatedBytes;
      opt.dispose();
      expect(memoryStats().allocatedBytes).toBeLessThan(memory); // its Parameters and state are freed
      expect(thrownBy(() => opt.applyGradients({ [v.name]: g }))).toEqual(new TypeError('LucidAdamW.applyGradients: optimizer used after dispose()'));
      tf.dispose([v, g, wrong]);
    });

    test('dispose() frees every byte lucid-optim allocated for the optimizer', () => {
      const start = memoryStats().allocatedBytes;
      const v = tf.variable(tf.tensor(seeded(43, 300)), true, name('free'));
      const g = tf.tensor(seeded(44, 300));
      const opt = adamW({ amsgrad: true });
      opt.applyGradients({ [v.name]: g });
      expect(memoryStats().allocatedBytes).toBeGreaterThan(start + 4 * 300 * 4); // data, grad, 3 state buffers
      opt.dispose();
      expect(memoryStats().allocatedBytes).toBe(start);
      tf.dispose([v, g]);
    });

    test('loadStateDict: a bad entry is named by its variable, and nothing changes', () => {
      const v = tf.variable(tf.tensor(seeded(45, 3)), true, name('lsd'));
      const g = tf.tensor(seeded(46, 3));
      const opt = adamW();
      opt.applyGradients({ [v.name]: g });
      const good = opt.stateDict();
      const before = snapshot(opt, [v]);
      const bad = { ...good, state: { [v.name]: { ...good.state[v.name], step: -1 } } };
      expect(thrownBy(() => opt.loadStateDict(bad))).toEqual(new RangeError(`AdamW.loadStateDict: stateDict.state["${v.name}"].step must be an integer >= 0, got -1`));
      const short = { ...good, state: { [v.name]: { ...good.state[v.name], expAvg: new Float32Array(2) } } };
      expect(thrownBy(() => opt.loadStateDict(short))).toEqual(
        new RangeError(`AdamW.loadStateDict: stateDict.state["${v.name}"].expAvg.length must be 3 (the parameter's length), got 2`),
      );
      expect(thrownBy(() => opt.loadStateDict({ ...good, state: { other: good.state[v.name] } }))).toEqual(
        new RangeError('LucidAdamW.loadStateDict: stateDict.state["other"] names a variable that stateDict.paramGroups[0].params does not list'),
      );
      expect(snapshot(opt, [v])).toEqual(before);
      // Into an optimizer that has not seen the variables yet, a bad entry of one of them: their
      // Parameters would have to be added first, so lucid-optim checks the whole dict before.
      const fresh = adamW();
      const other = { ...good.state[v.name], expAvg: new Float32Array(2), expAvgSq: new Float32Array(2) };
      const mixed = { state: { [v.name]: good.state[v.name], other: { ...other, step: 1.5 } }, paramGroups: [{ ...good.paramGroups[0], params: [v.name, 'other'] }] };
      const untouched = snapshot(fresh, [v]);
      expect(thrownBy(() => fresh.loadStateDict(mixed))).toEqual(new RangeError('AdamW.loadStateDict: stateDict.state["other"].step must be an integer >= 0, got 1.5'));
      expect(snapshot(fresh, [v])).toEqual(untouched); // no Parameter added, no byte allocated
      expect(fresh.optimizer.paramGroups[0].params).toEqual([]);
      fresh.loadStateDict({ ...mixed, state: { ...mixed.state, other } });
      expect(fresh.optimizer.paramGroups[0].params.map((p) => p.name)).toEqual([v.name, 'other']);
      expect(fresh.stateDict().state[v.name].step).toBe(1);
      opt.dispose();
      fresh.dispose();
      tf.dispose([v, g]);
    });
  });
}
