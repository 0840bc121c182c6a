// Each algorithm's TensorFlow.js optimizer: the one bridge (lucid-optimizer.ts) with the
// algorithm's lucid-optim class, the name tf.serialization knows it by, and tf.train's option
// names for it, refused with the name to use instead.

import {
  ASGD,
  Adadelta,
  Adafactor,
  Adagrad,
  Adam,
  AdamW,
  Adamax,
  Muon,
  NAdam,
  RAdam,
  RMSprop,
  Rprop,
  SGD,
  type ASGDOptions,
  type AdadeltaOptions,
  type AdafactorOptions,
  type AdagradOptions,
  type AdamOptions,
  type AdamWOptions,
  type AdamaxOptions,
  type MuonOptions,
  type NAdamOptions,
  type RAdamOptions,
  type RMSpropOptions,
  type RpropOptions,
  type SGDOptions,
} from '../index.js';
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

/**
 * PyTorch's RMSprop (lucid-optim's {@link RMSprop}: momentum, `centered`, weight decay) as a TensorFlow.js
 * optimizer, for what `tf.train.rmsprop` does, with PyTorch's numbers (its `decay` is `alpha`, default 0.99
 * where tf.train's is 0.9). Create it with `rmsprop()` from `lucid-optim/tfjs`, after `await init()`.
 */
export class LucidRMSprop extends LucidOptimizer<RMSprop> {
  /** The name `tf.serialization` knows this class by. */
  static override get className(): string {
    return 'LucidRMSprop';
  }
  /** @internal */
  static override readonly lucidClass = RMSprop;
  /** @internal */
  static override readonly tfjsFactory: string = 'tf.train.rmsprop';
  /** @internal tf.train.rmsprop's option names. */
  static override readonly tfjsNames: Readonly<Record<string, string>> = Object.freeze({ learningRate: 'lr', decay: 'alpha', epsilon: 'eps' });

  /** @param options lucid-optim's RMSprop options (`lr`, `alpha`, `eps`, `weightDecay`, `momentum`, `centered`, `maximize`). */
  constructor(options: RMSpropOptions = {}) {
    super(options);
  }
}

/**
 * PyTorch's Adagrad (lucid-optim's {@link Adagrad}) as a TensorFlow.js optimizer, for what
 * `tf.train.adagrad` does, with PyTorch's numbers (default `initialAccumulatorValue` 0 where tf.train's is 0.1). Create it with `adagrad()` from `lucid-optim/tfjs`, after `await init()`.
 */
export class LucidAdagrad extends LucidOptimizer<Adagrad> {
  /** The name `tf.serialization` knows this class by. */
  static override get className(): string {
    return 'LucidAdagrad';
  }
  /** @internal */
  static override readonly lucidClass = Adagrad;
  /** @internal */
  static override readonly tfjsFactory: string = 'tf.train.adagrad';
  /** @internal tf.train.adagrad's option names. */
  static override readonly tfjsNames: Readonly<Record<string, string>> = Object.freeze({ learningRate: 'lr' });

  /** @param options lucid-optim's Adagrad options (`lr`, `lrDecay`, `weightDecay`, `initialAccumulatorValue`, `eps`, `maximize`). */
  constructor(options: AdagradOptions = {}) {
    super(options);
  }
}

/**
 * PyTorch's Adadelta (lucid-optim's {@link Adadelta}) as a TensorFlow.js optimizer, for what
 * `tf.train.adadelta` does, with PyTorch's numbers (default `lr` 1 and `rho` 0.9, where tf.train's are 0.001 and 0.95). Create it with `adadelta()` from `lucid-optim/tfjs`, after `await init()`.
 */
export class LucidAdadelta extends LucidOptimizer<Adadelta> {
  /** The name `tf.serialization` knows this class by. */
  static override get className(): string {
    return 'LucidAdadelta';
  }
  /** @internal */
  static override readonly lucidClass = Adadelta;
  /** @internal */
  static override readonly tfjsFactory: string = 'tf.train.adadelta';
  /** @internal tf.train.adadelta's option names. */
  static override readonly tfjsNames: Readonly<Record<string, string>> = Object.freeze({ learningRate: 'lr', epsilon: 'eps' });

  /** @param options lucid-optim's Adadelta options (`lr`, `rho`, `eps`, `weightDecay`, `maximize`). */
  constructor(options: AdadeltaOptions = {}) {
    super(options);
  }
}

/**
 * PyTorch's Adamax (lucid-optim's {@link Adamax}) as a TensorFlow.js optimizer, for what
 * `tf.train.adamax` does, with PyTorch's numbers. Create it with `adamax()` from `lucid-optim/tfjs`, after `await init()`.
 */
export class LucidAdamax extends LucidOptimizer<Adamax> {
  /** The name `tf.serialization` knows this class by. */
  static override get className(): string {
    return 'LucidAdamax';
  }
  /** @internal */
  static override readonly lucidClass = Adamax;
  /** @internal */
  static override readonly tfjsFactory: string = 'tf.train.adamax';
  /** @internal tf.train.adamax's option names. */
  static override readonly tfjsNames: Readonly<Record<string, string>> = Object.freeze({ learningRate: 'lr', beta1: 'betas: [beta1, beta2]', beta2: 'betas: [beta1, beta2]', epsilon: 'eps', decay: 'a learning-rate scheduler' });

  /** @param options lucid-optim's Adamax options (`lr`, `betas`, `eps`, `weightDecay`, `maximize`). */
  constructor(options: AdamaxOptions = {}) {
    super(options);
  }
}

/**
 * PyTorch's NAdam (lucid-optim's {@link NAdam}: Nesterov momentum in Adam, optionally with decoupled
 * weight decay) as a TensorFlow.js optimizer (tf.train has none). Create it with `nadam()` from `lucid-optim/tfjs`, after `await init()`.
 */
export class LucidNAdam extends LucidOptimizer<NAdam> {
  /** The name `tf.serialization` knows this class by. */
  static override get className(): string {
    return 'LucidNAdam';
  }
  /** @internal */
  static override readonly lucidClass = NAdam;

  /** @param options lucid-optim's NAdam options (`lr`, `betas`, `eps`, `weightDecay`, `momentumDecay`, `decoupledWeightDecay`, `maximize`). */
  constructor(options: NAdamOptions = {}) {
    super(options);
  }
}

/**
 * PyTorch's RAdam (lucid-optim's {@link RAdam}: rectified Adam) as a TensorFlow.js optimizer (tf.train has none). Create it with `radam()` from `lucid-optim/tfjs`, after `await init()`.
 */
export class LucidRAdam extends LucidOptimizer<RAdam> {
  /** The name `tf.serialization` knows this class by. */
  static override get className(): string {
    return 'LucidRAdam';
  }
  /** @internal */
  static override readonly lucidClass = RAdam;

  /** @param options lucid-optim's RAdam options (`lr`, `betas`, `eps`, `weightDecay`, `decoupledWeightDecay`, `maximize`). */
  constructor(options: RAdamOptions = {}) {
    super(options);
  }
}

/**
 * PyTorch's ASGD (lucid-optim's {@link ASGD}: averaged SGD; the averages are in its state, `ax`) as a
 * TensorFlow.js optimizer (tf.train has none). Create it with `asgd()` from `lucid-optim/tfjs`, after `await init()`.
 */
export class LucidASGD extends LucidOptimizer<ASGD> {
  /** The name `tf.serialization` knows this class by. */
  static override get className(): string {
    return 'LucidASGD';
  }
  /** @internal */
  static override readonly lucidClass = ASGD;

  /** @param options lucid-optim's ASGD options (`lr`, `lambd`, `alpha`, `t0`, `weightDecay`, `maximize`). */
  constructor(options: ASGDOptions = {}) {
    super(options);
  }
}

/**
 * PyTorch's Rprop (lucid-optim's {@link Rprop}) as a TensorFlow.js optimizer (tf.train has none). Rprop is
 * meant for full-batch training. Create it with `rprop()` from `lucid-optim/tfjs`, after `await init()`.
 */
export class LucidRprop extends LucidOptimizer<Rprop> {
  /** The name `tf.serialization` knows this class by. */
  static override get className(): string {
    return 'LucidRprop';
  }
  /** @internal */
  static override readonly lucidClass = Rprop;

  /** @param options lucid-optim's Rprop options (`lr`, `etas`, `stepSizes`, `maximize`). */
  constructor(options: RpropOptions = {}) {
    super(options);
  }
}

/**
 * PyTorch's Muon (lucid-optim's {@link Muon}) as a TensorFlow.js optimizer, for 2-D variables
 * only, as torch's (tf.train has none): minimize over the kernels (`optimizer.minimize(f, false,
 * kernels)`) and give the biases and embeddings another optimizer, such as `adamW()`; a variable
 * that is not 2-D is refused by name. Create it with `muon()` from `lucid-optim/tfjs`, after
 * `await init()`.
 */
export class LucidMuon extends LucidOptimizer<Muon> {
  /** The name `tf.serialization` knows this class by. */
  static override get className(): string {
    return 'LucidMuon';
  }
  /** @internal */
  static override readonly lucidClass = Muon;

  /** @param options lucid-optim's Muon options (`lr`, `weightDecay`, `momentum`, `nesterov`, `nsCoefficients`, `eps`, `nsSteps`, `adjustLrFn`). */
  constructor(options: MuonOptions = {}) {
    super(options);
  }
}

/**
 * PyTorch's Adafactor (lucid-optim's {@link Adafactor}) as a TensorFlow.js optimizer (tf.train has
 * none): a variable of 2 or more dimensions (a dense kernel) keeps factored row and column
 * moments, any other a full one. Create it with `adafactor()` from `lucid-optim/tfjs`, after
 * `await init()`.
 */
export class LucidAdafactor extends LucidOptimizer<Adafactor> {
  /** The name `tf.serialization` knows this class by. */
  static override get className(): string {
    return 'LucidAdafactor';
  }
  /** @internal */
  static override readonly lucidClass = Adafactor;

  /** @param options lucid-optim's Adafactor options (`lr`, `beta2Decay`, `eps`, `d`, `weightDecay`, `maximize`). */
  constructor(options: AdafactorOptions = {}) {
    super(options);
  }
}
