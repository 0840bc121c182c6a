// lucid-optim/tfjs: PyTorch's optimizers as TensorFlow.js optimizers, for model.compile,
// model.fit and optimizer.minimize. Built on lucid-optim's public API and the application's own
// @tensorflow/tfjs-core (a peer dependency, never bundled).

import { serialization } from '@tensorflow/tfjs-core';
import type {
  ASGDOptions,
  AdadeltaOptions,
  AdafactorOptions,
  AdagradOptions,
  AdamOptions,
  AdamWOptions,
  AdamaxOptions,
  MuonOptions,
  NAdamOptions,
  RAdamOptions,
  RMSpropOptions,
  RpropOptions,
  SGDOptions,
} from '../index.js';
import {
  LucidASGD,
  LucidAdadelta,
  LucidAdafactor,
  LucidAdagrad,
  LucidAdam,
  LucidAdamW,
  LucidAdamax,
  LucidMuon,
  LucidNAdam,
  LucidRAdam,
  LucidRMSprop,
  LucidRprop,
  LucidSGD,
} from './algorithms.js';

export { LucidOptimizer, type NamedGradient, type OptimizerWeight, type StateOf } from './lucid-optimizer.js';
export {
  LucidASGD,
  LucidAdadelta,
  LucidAdafactor,
  LucidAdagrad,
  LucidAdam,
  LucidAdamW,
  LucidAdamax,
  LucidMuon,
  LucidNAdam,
  LucidRAdam,
  LucidRMSprop,
  LucidRprop,
  LucidSGD,
} from './algorithms.js';
export type { NamedParamGroup, NamedStateDict } from './named-state-dict.js';

// Under their own names, so that tfjs's `Adam` stays what it is, and `tf.loadLayersModel` can
// rebuild a model saved with any of them (the saved training config names the class).
for (const cls of [LucidAdam, LucidAdamW, LucidSGD, LucidRMSprop, LucidAdagrad, LucidAdadelta, LucidAdamax, LucidNAdam, LucidRAdam, LucidASGD, LucidRprop, LucidMuon, LucidAdafactor]) {
  serialization.registerClass(cls);
}

/**
 * PyTorch's `torch.optim.Adam` as a TensorFlow.js optimizer. Call `await init()` (from
 * `lucid-optim`) first. Options are lucid-optim's (PyTorch's): `lr` (default 1e-3), `betas`
 * ([0.9, 0.999]), `eps` (1e-8), `weightDecay` (0: L2, added to the gradient), `amsgrad`,
 * `maximize`, `decoupledWeightDecay`, `skipNonFinite`.
 *
 * @example
 * ```ts
 * await init();
 * model.compile({ optimizer: adam({ lr: 1e-3 }), loss: 'meanSquaredError' });
 * ```
 */
export function adam(options: AdamOptions = {}): LucidAdam {
  return new LucidAdam(options);
}

/**
 * PyTorch's `torch.optim.AdamW` as a TensorFlow.js optimizer. Call `await init()` (from
 * `lucid-optim`) first. Options as {@link adam}'s, with `weightDecay` defaulting to 1e-2, decoupled.
 *
 * @example
 * ```ts
 * await init();
 * const opt = adamW({ lr: 1e-3, weightDecay: 1e-2 });
 * model.compile({ optimizer: opt, loss: 'categoricalCrossentropy' });
 * ```
 */
export function adamW(options: AdamWOptions = {}): LucidAdamW {
  return new LucidAdamW(options);
}

/**
 * PyTorch's `torch.optim.SGD` as a TensorFlow.js optimizer: `tf.train.sgd` (no momentum) and
 * `tf.train.momentum` (with `momentum`; `nesterov` for tf.train's `useNesterov`) with PyTorch's
 * numbers. Call `await init()` (from `lucid-optim`) first. Options: `lr` (default 1e-3),
 * `momentum` (0), `dampening` (0), `weightDecay` (0), `nesterov`, `maximize`, `skipNonFinite`.
 *
 * @example
 * ```ts
 * await init();
 * model.compile({ optimizer: sgd({ lr: 0.1, momentum: 0.9, nesterov: true }), loss: 'meanSquaredError' });
 * ```
 */
export function sgd(options: SGDOptions = {}): LucidSGD {
  return new LucidSGD(options);
}

/**
 * PyTorch's `torch.optim.RMSprop` as a TensorFlow.js optimizer: what `tf.train.rmsprop` does (its `decay`
 * is `alpha` here, `epsilon` is `eps`), with PyTorch's numbers. Call `await init()` (from `lucid-optim`)
 * first. Options: `lr` (default 1e-2), `alpha` (0.99), `eps` (1e-8), `weightDecay` (0), `momentum` (0),
 * `centered`, `maximize`, `skipNonFinite`.
 *
 * @example
 * ```ts
 * await init();
 * model.compile({ optimizer: rmsprop({ lr: 1e-3, momentum: 0.9 }), loss: 'meanSquaredError' });
 * ```
 */
export function rmsprop(options: RMSpropOptions = {}): LucidRMSprop {
  return new LucidRMSprop(options);
}

/**
 * PyTorch's `torch.optim.Adagrad` as a TensorFlow.js optimizer: what `tf.train.adagrad` does, with
 * PyTorch's numbers (its default `initialAccumulatorValue` is 0, tf.train's 0.1). Call `await init()`
 * first. Options: `lr` (default 1e-2), `lrDecay` (0), `weightDecay` (0), `initialAccumulatorValue` (0),
 * `eps` (1e-10), `maximize`, `skipNonFinite`.
 *
 * @example
 * ```ts
 * await init();
 * model.compile({ optimizer: adagrad({ lr: 0.1, initialAccumulatorValue: 0.1 }), loss: 'meanSquaredError' });
 * ```
 */
export function adagrad(options: AdagradOptions = {}): LucidAdagrad {
  return new LucidAdagrad(options);
}

/**
 * PyTorch's `torch.optim.Adadelta` as a TensorFlow.js optimizer: what `tf.train.adadelta` does, with
 * PyTorch's numbers and defaults (`lr` 1, `rho` 0.9). Call `await init()` first. Options: `lr`, `rho`,
 * `eps` (1e-6), `weightDecay` (0), `maximize`, `skipNonFinite`.
 *
 * @example
 * ```ts
 * await init();
 * model.compile({ optimizer: adadelta({ rho: 0.95 }), loss: 'meanSquaredError' });
 * ```
 */
export function adadelta(options: AdadeltaOptions = {}): LucidAdadelta {
  return new LucidAdadelta(options);
}

/**
 * PyTorch's `torch.optim.Adamax` as a TensorFlow.js optimizer: what `tf.train.adamax` does, with
 * PyTorch's numbers. Call `await init()` first. Options: `lr` (default 2e-3), `betas` ([0.9, 0.999]),
 * `eps` (1e-8), `weightDecay` (0), `maximize`, `skipNonFinite`.
 *
 * @example
 * ```ts
 * await init();
 * model.compile({ optimizer: adamax({ lr: 2e-3 }), loss: 'meanSquaredError' });
 * ```
 */
export function adamax(options: AdamaxOptions = {}): LucidAdamax {
  return new LucidAdamax(options);
}

/**
 * PyTorch's `torch.optim.NAdam` as a TensorFlow.js optimizer. Call `await init()` first. Options: `lr`
 * (default 2e-3), `betas` ([0.9, 0.999]), `eps` (1e-8), `weightDecay` (0), `momentumDecay` (4e-3),
 * `decoupledWeightDecay`, `maximize`, `skipNonFinite`.
 *
 * @example
 * ```ts
 * await init();
 * model.compile({ optimizer: nadam({ lr: 2e-3, weightDecay: 1e-2, decoupledWeightDecay: true }), loss: 'meanSquaredError' });
 * ```
 */
export function nadam(options: NAdamOptions = {}): LucidNAdam {
  return new LucidNAdam(options);
}

/**
 * PyTorch's `torch.optim.RAdam` as a TensorFlow.js optimizer. Call `await init()` first. Options: `lr`
 * (default 1e-3), `betas` ([0.9, 0.999]), `eps` (1e-8), `weightDecay` (0), `decoupledWeightDecay`,
 * `maximize`, `skipNonFinite`.
 *
 * @example
 * ```ts
 * await init();
 * model.compile({ optimizer: radam({ lr: 1e-3 }), loss: 'meanSquaredError' });
 * ```
 */
export function radam(options: RAdamOptions = {}): LucidRAdam {
  return new LucidRAdam(options);
}

/**
 * PyTorch's `torch.optim.ASGD` as a TensorFlow.js optimizer (the averaged weights are in
 * `stateDict().state[name].ax`). Call `await init()` first. Options: `lr` (default 1e-2), `lambd` (1e-4),
 * `alpha` (0.75), `t0` (1e6), `weightDecay` (0), `maximize`, `skipNonFinite`.
 *
 * @example
 * ```ts
 * await init();
 * model.compile({ optimizer: asgd({ lr: 1e-2, t0: 100 }), loss: 'meanSquaredError' });
 * ```
 */
export function asgd(options: ASGDOptions = {}): LucidASGD {
  return new LucidASGD(options);
}

/**
 * PyTorch's `torch.optim.Rprop` as a TensorFlow.js optimizer, for full-batch training. Call `await init()`
 * first. Options: `lr` (default 1e-2), `etas` ([0.5, 1.2]), `stepSizes` ([1e-6, 50]), `maximize`,
 * `skipNonFinite`.
 *
 * @example
 * ```ts
 * await init();
 * model.compile({ optimizer: rprop({ lr: 1e-2 }), loss: 'meanSquaredError' });
 * ```
 */
export function rprop(options: RpropOptions = {}): LucidRprop {
  return new LucidRprop(options);
}

/**
 * PyTorch's `torch.optim.Muon` as a TensorFlow.js optimizer, for 2-D variables only (dense
 * kernels): give the others (biases, embeddings) another optimizer. Call `await init()` first.
 * Options: `lr` (default 1e-3), `weightDecay` (0.1), `momentum` (0.95), `nesterov` (true),
 * `nsCoefficients` ([3.4445, -4.775, 2.0315]), `eps` (1e-7), `nsSteps` (5), `adjustLrFn` (null),
 * `skipNonFinite`.
 *
 * @example
 * ```ts
 * await init();
 * const kernels = model.trainableWeights.filter((w) => w.shape.length === 2).map((w) => w.read());
 * muon({ lr: 0.02 }).minimize(() => loss(model.predict(x), y), false, kernels as tf.Variable[]);
 * ```
 */
export function muon(options: MuonOptions = {}): LucidMuon {
  return new LucidMuon(options);
}

/**
 * PyTorch's `torch.optim.Adafactor` as a TensorFlow.js optimizer. Call `await init()` first.
 * Options: `lr` (default 1e-2), `beta2Decay` (-0.8), `eps` ([null, 1e-3]: null is torch's None),
 * `d` (1), `weightDecay` (0), `maximize`, `skipNonFinite`. Variables of 2 or more dimensions keep
 * factored moments (a row and a column vector), others a full one.
 *
 * @example
 * ```ts
 * await init();
 * model.compile({ optimizer: adafactor({ lr: 1e-2 }), loss: 'meanSquaredError' });
 * ```
 */
export function adafactor(options: AdafactorOptions = {}): LucidAdafactor {
  return new LucidAdafactor(options);
}
