// torch.optim.swa_utils.AveragedModel (torch 2.15) for lucid Parameters: update_parameters with
// torch's CPU arithmetic for its running mean (get_swa_avg_fn) and for the exponential moving
// average of get_ema_multi_avg_fn, every parameter in one WebAssembly call
// (crates/optim-core/src/averaging.rs); state_dict in lucid's shape and in torch's.

import { disposedError, rangeError, typeError, unknownKeyError } from '../runtime/errors.js';
import { liveParameters } from '../nn/param-list.js';
import { checkChoice, checkFinite, given, readOptions } from '../schedulers/options.js';
import { checkInteger } from '../runtime/validate.js';
import { AverageMode, averageParams, rustError, takeAverageError, wasmMemory } from '../runtime/wasm.js';
import { Parameter } from '../nn/parameter.js';
import { paramIds } from '../nn/param-ids.js';
import { checkBuffer, checkStateDictOptions, savedBuffer } from './state-dict.js';
import type { TorchTensor } from '../torch/tensor.js';

/** Which average: the running mean of stochastic weight averaging, or an exponential moving average. */
export type AverageKind = 'swa' | 'ema';

/** {@link AveragedModel}'s options. */
export interface AveragedModelOptions {
  /**
   * `'swa'` (default): the equal-weight running mean of every model given to `update()`, torch's
   * default `avg_fn`. `'ema'`: `averaged.lerp(current, 1 - decay)`, torch's
   * `multi_avg_fn=get_ema_multi_avg_fn(decay)`.
   */
  average?: AverageKind;
  /** The EMA's decay, in [0, 1] (only with `average: 'ema'`). Default `0.999`, torch's. */
  decay?: number;
}

/** {@link AveragedModel.stateDict}: the number of models averaged, and the averaged parameters' values. */
export interface AveragedModelState {
  /** How many models were averaged in (torch's `n_averaged`). */
  nAveraged: number;
  /** One saved buffer per averaged parameter, in order (JSON writes every value exactly). */
  params: Float32Array[];
}

const OPTION_KEYS = ['average', 'decay'] as const;
const AVERAGES: readonly AverageKind[] = ['swa', 'ema'];
const STATE_KEYS: readonly string[] = Object.freeze(['nAveraged', 'params']);

/**
 * An average of a model's weights over training, as torch's `AveragedModel`: stochastic weight
 * averaging (SWA, the default) or an exponential moving average (EMA, as diffusion and vision
 * training keep). Give it the model's Parameters; it keeps averaged copies of them
 * ({@link AveragedModel.params}: the same shapes and names, Parameters you can evaluate with, or
 * save with `namedTensors`). Call {@link AveragedModel.update} after an optimizer step: the first
 * call copies the weights, later ones average them in, all in one WebAssembly call with torch's
 * float32 arithmetic.
 *
 * Each bad call (a disposed Parameter, a bad state dict) throws a TypeError or RangeError naming
 * the field and the value, and changes nothing. The copies live in WebAssembly memory: call
 * {@link AveragedModel.dispose} when done.
 *
 * @example
 * ```ts
 * const ema = new AveragedModel(model.params, { average: 'ema', decay: 0.999 });
 * for (const batch of batches) { computeGrads(batch); opt.step(); ema.update(); }
 * writeFileSync('ema.pt', saveTorch(namedTensors(ema.params))); // the averaged weights, for torch
 * ```
 */
export class AveragedModel {
  /** The averaged copies, in the order of the Parameters given (same shapes and names). */
  readonly params: readonly Parameter[];
  /** The model's Parameters, which {@link AveragedModel.update} averages in. */
  readonly source: readonly Parameter[];
  /** `'swa'` or `'ema'`. */
  readonly average: AverageKind;
  /** The EMA's decay (`undefined` for SWA). */
  readonly decay: number | undefined;
  #nAveraged = 0;

  constructor(params: Iterable<Parameter>, options: AveragedModelOptions = {}) {
    const where = 'AveragedModel';
    wasmMemory(where);
    const source = liveParameters(where, params, 'an iterable of Parameters');
    const seen = new Set<Parameter>();
    source.forEach((p, i) => {
      if (seen.has(p)) throw rangeError(where, `params[${i}]`, 'listed once (it is already in the list)', p.label);
      seen.add(p);
    });
    const o = readOptions(where, 'options', options, OPTION_KEYS);
    const average = checkChoice<AverageKind>(where, 'average', given(o.average, 'swa'), AVERAGES);
    let decay: number | undefined;
    if (average === 'ema') {
      decay = checkFinite(where, 'decay', given(o.decay, 0.999), 'in [0, 1]', (d) => d >= 0 && d <= 1);
    } else if (o.decay !== undefined) {
      throw typeError(where, 'decay', "left out (it is an option of average: 'ema')", o.decay);
    }
    // torch: `self.module = deepcopy(model)`. A copy that cannot be made gives back the others.
    const copies: Parameter[] = [];
    try {
      for (const p of source) copies.push(new Parameter(p.data, { shape: p.shape, name: p.name }));
    } catch (error) {
      for (const c of copies) c.dispose();
      throw error;
    }
    this.source = Object.freeze([...source]);
    this.params = Object.freeze(copies);
    this.average = average;
    this.decay = decay;
  }

  /** How many models the average holds (torch's `n_averaged`): the number of updates so far. */
  get nAveraged(): number {
    return this.#nAveraged;
  }

  /**
   * Averages the source Parameters' current values in (torch's `update_parameters(model)`): the
   * first update copies them; then SWA's running mean
   * `averaged + (current - averaged) / (nAveraged + 1)` or the EMA's
   * `averaged.lerp(current, 1 - decay)`, in float32 as torch computes them. One WebAssembly call
   * for every parameter; allocates nothing.
   */
  update(): void {
    const where = 'AveragedModel.update';
    const n = this.params.length;
    for (let i = 0; i < n; i++) {
      if (this.source[i].disposed) throw disposedError(where, `source[${i}] (${this.source[i].label})`);
      if (this.params[i].disposed) throw disposedError(where, `params[${i}] (${this.params[i].label}; the AveragedModel was disposed)`);
    }
    const ids = paramIds(where, 2 * n);
    for (let i = 0; i < n; i++) {
      ids[2 * i] = this.params[i].id;
      ids[2 * i + 1] = this.source[i].id;
    }
    const mode = this.#nAveraged === 0 ? AverageMode.Copy : this.average === 'swa' ? AverageMode.Swa : AverageMode.Ema;
    if (!averageParams(n, mode, this.#nAveraged, this.decay ?? 0)) {
      const error = rustError(takeAverageError());
      throw new Error(`${where}: unexpected error from WebAssembly (kind ${error.kind}, at ${error.param})`);
    }
    this.#nAveraged += 1;
  }

  /**
   * The averaged state: `nAveraged` and a copy of each averaged parameter's values. With
   * `{ format: 'torch' }`, torch's `AveragedModel.state_dict()`: `n_averaged` (an int64 0-d
   * tensor), then `module.<name>` for each parameter (named as its Parameter), ready for
   * {@link saveTorch} and `averaged_model.load_state_dict(torch.load(path))` in Python.
   */
  stateDict(options?: { format?: 'lucid' }): AveragedModelState;
  stateDict(options: { format: 'torch' }): Map<string, TorchTensor>;
  stateDict(options?: { format?: 'lucid' | 'torch' }): AveragedModelState | Map<string, TorchTensor> {
    const where = 'AveragedModel.stateDict';
    const format = checkStateDictOptions(where, options ?? {});
    this.#checkLive(where);
    if (format === 'lucid') return { nAveraged: this.#nAveraged, params: this.params.map((p) => savedBuffer(p.data.slice())) };
    const out = new Map<string, TorchTensor>([['n_averaged', { dtype: 'int64', shape: [], data: BigInt64Array.of(BigInt(this.#nAveraged)) }]]);
    this.params.forEach((p, i) => {
      if (p.name === undefined) throw typeError(where, `params[${i}].name`, "a string (torch's state dict names each parameter: give the source Parameters names)", p.name);
      const key = `module.${p.name}`;
      if (out.has(key)) throw rangeError(where, `params[${i}].name`, 'unique (a state dict has one entry per name)', p.name);
      out.set(key, { dtype: 'float32', shape: [...p.shape], data: p.data.slice() });
    });
    return out;
  }

  /**
   * Restores a saved {@link AveragedModel.stateDict}, in lucid's shape or torch's (a `Map` as
   * `loadTorch` returns it, matched by name). Everything is checked first; on any error nothing
   * changes.
   */
  loadStateDict(stateDict: AveragedModelState | Map<string, unknown>): void {
    const where = 'AveragedModel.loadStateDict';
    this.#checkLive(where);
    let nAveraged: number;
    let values: ArrayLike<number>[];
    if (stateDict instanceof Map) {
      const n = stateDict.get('n_averaged') as TorchTensor | undefined;
      if (n === undefined || n === null || typeof n !== 'object' || !(n.data instanceof BigInt64Array) || n.data.length !== 1) {
        throw typeError(where, 'stateDict.n_averaged', 'an int64 tensor of one element', n);
      }
      nAveraged = checkInteger(where, 'stateDict.n_averaged', Number(n.data[0]), 0);
      const expected = new Set(['n_averaged', ...this.params.map((p) => `module.${p.name}`)]);
      for (const key of stateDict.keys()) {
        if (!expected.has(key)) throw rangeError(where, `stateDict`, `only n_averaged and module.<name> of this model's parameters`, key);
      }
      values = this.params.map((p) => {
        const key = `module.${p.name}`;
        const t = stateDict.get(key) as TorchTensor | undefined;
        if (t === undefined || t === null || typeof t !== 'object') throw typeError(where, `stateDict.get(${JSON.stringify(key)})`, 'a tensor', t);
        if (t.dtype !== 'float32') throw typeError(where, `${key}.dtype`, '"float32"', t.dtype);
        if (!Array.isArray(t.shape) || t.shape.length !== p.shape.length || t.shape.some((d, k) => d !== p.shape[k])) {
          throw rangeError(where, `${key}.shape`, JSON.stringify(p.shape), t.shape);
        }
        return checkBuffer(where, key, t.data, p.length);
      });
    } else {
      if (stateDict === null || typeof stateDict !== 'object' || Array.isArray(stateDict)) throw typeError(where, 'stateDict', 'an object', stateDict);
      for (const key of Object.keys(stateDict)) {
        if (!STATE_KEYS.includes(key)) throw unknownKeyError(where, `stateDict.${key}`, STATE_KEYS, (stateDict as unknown as Record<string, unknown>)[key]);
      }
      nAveraged = checkInteger(where, 'stateDict.nAveraged', stateDict.nAveraged, 0);
      const saved: unknown = stateDict.params;
      if (!Array.isArray(saved)) throw typeError(where, 'stateDict.params', 'an array of buffers', saved);
      if (saved.length !== this.params.length) throw rangeError(where, 'stateDict.params.length', `${this.params.length} (this model's parameter count)`, saved.length);
      values = this.params.map((p, i) => checkBuffer(where, `stateDict.params[${i}]`, saved[i], p.length));
    }
    this.params.forEach((p, i) => p.data.set(values[i]));
    this.#nAveraged = nAveraged;
  }

  /** Frees the averaged copies (not the source Parameters). Idempotent. */
  dispose(): void {
    for (const p of this.params) p.dispose();
  }

  #checkLive(where: string): void {
    this.params.forEach((p, i) => {
      if (p.disposed) throw disposedError(where, `params[${i}] (${p.label}; the AveragedModel was disposed)`);
    });
  }
}
