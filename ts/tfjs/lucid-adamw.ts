import { AdamW, type AdamOptions, type AdamWOptions } from '../index.js';
import { LucidAdam } from './lucid-adam.js';

/**
 * PyTorch's AdamW (lucid-optim's {@link AdamW}: decoupled weight decay, default `weightDecay: 1e-2`)
 * as a TensorFlow.js optimizer; {@link LucidAdam} in every other respect. Create it with
 * `adamW()` from `lucid-optim/tfjs`, after `await init()`.
 *
 * Owns WebAssembly memory: call {@link LucidAdam.dispose} when done.
 *
 * @example
 * ```ts
 * import { init, CosineAnnealingLR } from 'lucid-optim';
 * import { adamW } from 'lucid-optim/tfjs';
 * await init();
 * const opt = adamW({ lr: 1e-3, weightDecay: 1e-2 });
 * const schedule = new CosineAnnealingLR(opt.optimizer, { tMax: 100 });
 * model.compile({ optimizer: opt, loss: 'categoricalCrossentropy' });
 * await model.fit(xs, ys, { epochs: 100, callbacks: { onEpochEnd: () => schedule.step() } });
 * ```
 */
export class LucidAdamW extends LucidAdam {
  /** The name `tf.serialization` knows this class by. */
  static override get className(): string {
    return 'LucidAdamW';
  }

  /** @internal */
  static override readonly lucidClass: typeof AdamW = AdamW;

  /** The lucid-optim AdamW underneath (see {@link LucidAdam.optimizer}). */
  declare readonly optimizer: AdamW;

  /** @param options lucid-optim's AdamW options (`lr`, `betas`, `eps`, `weightDecay`, `amsgrad`, `maximize`, …). */
  constructor(options: AdamWOptions = {}) {
    super(options as AdamOptions);
  }
}
