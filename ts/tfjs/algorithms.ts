// Each algorithm's TensorFlow.js optimizer: the one bridge (lucid-optimizer.ts) with the
// algorithm's lucid-optim class, the name tf.serialization knows it by, and tf.train's option
// names for it, refused with the name to use instead.

import { Adam, AdamW, SGD, type AdamOptions, type AdamWOptions, type SGDOptions } from '../index.js';
import { LucidOptimizer } from './lucid-optimizer.js';

/** tf.train.adam's option names. */
const ADAM_NAMES = Object.freeze({ learningRate: 'lr', beta1: 'betas: [beta1, beta2]', beta2: 'betas: [beta1, beta2]', epsilon: 'eps' });

/**
 * PyTorch's Adam (lucid-optim's {@link Adam}) as a TensorFlow.js optimizer; see
 * {@link LucidOptimizer}. Create it with `adam()` from `lucid-optim/tfjs`, after `await init()`.
 */
export class LucidAdam extends LucidOptimizer<Adam> {
  /** The name `tf.serialization` knows this class by (tfjs's own Adam is `'Adam'`). */
  static override get className(): string {
    return 'LucidAdam';
  }
  /** @internal */
  static override readonly lucidClass = Adam;
  /** @internal */
  static override readonly tfjsFactory: string = 'tf.train.adam';
  /** @internal */
  static override readonly tfjsNames: Readonly<Record<string, string>> = ADAM_NAMES;

  /** @param options lucid-optim's Adam options (PyTorch's names: `lr`, `betas`, `eps`, `weightDecay`, …). */
  constructor(options: AdamOptions = {}) {
    super(options);
  }
}

/**
 * PyTorch's AdamW (lucid-optim's {@link AdamW}: decoupled weight decay, default `weightDecay: 1e-2`)
 * as a TensorFlow.js optimizer. Create it with `adamW()` from `lucid-optim/tfjs`, after `await init()`.
 */
export class LucidAdamW extends LucidOptimizer<AdamW> {
  /** The name `tf.serialization` knows this class by. */
  static override get className(): string {
    return 'LucidAdamW';
  }
  /** @internal */
  static override readonly lucidClass = AdamW;
  /** @internal */
  static override readonly tfjsFactory: string = 'tf.train.adam';
  /** @internal */
  static override readonly tfjsNames: Readonly<Record<string, string>> = ADAM_NAMES;

  /** @param options lucid-optim's AdamW options (`lr`, `betas`, `eps`, `weightDecay`, `amsgrad`, `maximize`, …). */
  constructor(options: AdamWOptions = {}) {
    super(options);
  }
}

/**
 * PyTorch's SGD (lucid-optim's {@link SGD}: momentum, dampening, Nesterov, weight decay) as a
 * TensorFlow.js optimizer, for what `tf.train.sgd` and `tf.train.momentum` do. Create it with
 * `sgd()` from `lucid-optim/tfjs`, after `await init()`.
 */
export class LucidSGD extends LucidOptimizer<SGD> {
  /** The name `tf.serialization` knows this class by. */
  static override get className(): string {
    return 'LucidSGD';
  }
  /** @internal */
  static override readonly lucidClass = SGD;
  /** @internal */
  static override readonly tfjsFactory: string = 'tf.train.momentum';
  /** @internal tf.train.sgd's and tf.train.momentum's option names. */
  static override readonly tfjsNames: Readonly<Record<string, string>> = Object.freeze({ learningRate: 'lr', useNesterov: 'nesterov' });

  /** @param options lucid-optim's SGD options (`lr`, `momentum`, `dampening`, `weightDecay`, `nesterov`, `maximize`). */
  constructor(options: SGDOptions = {}) {
    super(options);
  }
}
