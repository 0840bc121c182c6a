// lucid-optim/tfjs: PyTorch's Adam and AdamW as TensorFlow.js optimizers, for model.compile,
// model.fit and optimizer.minimize. Built on lucid-optim's public API and the application's own
// @tensorflow/tfjs-core (a peer dependency, never bundled).

import { serialization } from '@tensorflow/tfjs-core';
import type { AdamOptions, AdamWOptions } from '../index.js';
import { LucidAdam } from './lucid-adam.js';
import { LucidAdamW } from './lucid-adamw.js';

export { LucidAdam, type NamedGradient } from './lucid-adam.js';
export { LucidAdamW } from './lucid-adamw.js';
export type { NamedParamGroup, NamedStateDict } from './named-state-dict.js';

// Under their own names, so that tfjs's `Adam` stays what it is, and `tf.loadLayersModel` can
// rebuild a model saved with either (the saved training config names the class).
serialization.registerClass(LucidAdam);
serialization.registerClass(LucidAdamW);

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
