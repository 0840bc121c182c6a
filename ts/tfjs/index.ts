// lucid-optim/tfjs: PyTorch's optimizers as TensorFlow.js optimizers, for model.compile,
// model.fit and optimizer.minimize. Built on lucid-optim's public API and the application's own
// @tensorflow/tfjs-core (a peer dependency, never bundled).

import { serialization } from '@tensorflow/tfjs-core';
import type { AdamOptions, AdamWOptions, SGDOptions } from '../index.js';
import { LucidAdam, LucidAdamW, LucidSGD } from './algorithms.js';

export { LucidOptimizer, type NamedGradient } from './lucid-optimizer.js';
export { LucidAdam, LucidAdamW, LucidSGD } from './algorithms.js';
export type { NamedParamGroup, NamedStateDict } from './named-state-dict.js';

// Under their own names, so that tfjs's `Adam` stays what it is, and `tf.loadLayersModel` can
// rebuild a model saved with any of them (the saved training config names the class).
serialization.registerClass(LucidAdam);
serialization.registerClass(LucidAdamW);
serialization.registerClass(LucidSGD);

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
