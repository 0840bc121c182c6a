// clipGradNorm: torch.nn.utils.clip_grad_norm_, in one WebAssembly call for all parameters.
// Rust does the math and the checks of every id (crates/adam-core/src/clip.rs, kernel/norm.rs);
// this file checks JavaScript types, writes the parameters' ids into Rust's id buffer and writes
// the error messages.

import { describe, disposedError, rangeError, typeError, unknownKeyError } from '../runtime/errors.js';
import type { Parameter } from './parameter.js';
import { liveParameters } from './param-list.js';
import { checkBoolean, checkNumber } from '../runtime/validate.js';
import { ErrorKind, clipGradNormRaw, rustError, takeClipError, wasmMemory, type RustError } from '../runtime/wasm.js';
import { paramIds } from './param-ids.js';

/** {@link clipGradNorm}'s options. */
export interface ClipGradNormOptions {
  /**
   * Throw a `RangeError`, changing nothing, if the total norm is NaN or infinite (torch's
   * `error_if_nonfinite`). Default `false`: as in torch, the gradients are then multiplied by a
   * NaN (or, for an infinite norm, by 0).
   */
  errorIfNonfinite?: boolean;
}

const OPTION_KEYS: readonly string[] = Object.freeze(['errorIfNonfinite']);
const NO_OPTIONS: ClipGradNormOptions = Object.freeze({});

/**
 * Clips the gradient norm of `params`, as `torch.nn.utils.clip_grad_norm_(params, max_norm,
 * norm_type, error_if_nonfinite)` does: the total norm is the `normType`-norm of the gradients'
 * norms (as if all gradients were one vector), and every gradient is multiplied in place by
 * `min(maxNorm / (total + 1e-6), 1)`. Parameters whose `grad` is `null` are ignored. Returns the
 * total norm before clipping (the float32 value torch returns, as a number). One WebAssembly call
 * for all parameters, in SIMD.
 *
 * The 2-norm squares in float32 as torch does (so it overflows and underflows where torch's does),
 * sums four squares at a time in float32 and those sums in float64, and rounds once to float32
 * where torch holds a float32 tensor; torch sums in float32 in its own order. The two totals are
 * within an ulp of each other in every case of the torch fixtures (the infinity norm: equal), and
 * the coefficient and the multiplication are torch's float32 operations exactly (see the README).
 *
 * Throws, changing no gradient: a `TypeError` if `params` is not an iterable of live, distinct
 * Parameters or an argument has the wrong type; a `RangeError` if `maxNorm` is NaN or negative,
 * `normType` is not > 0 (torch also accepts 0, negative orders and -Infinity, which are not
 * norms), or, with `errorIfNonfinite`, the total norm is NaN or infinite.
 *
 * @param params the parameters (or one parameter)
 * @param maxNorm the largest total norm allowed, `>= 0` (`Infinity`: never clip)
 * @param normType the order of the norm, `> 0`: `2` (default), `1`, `Infinity` (the largest magnitude), any other p
 * @example
 * ```ts
 * loss.backward(); // however your gradients get into param.grad
 * const totalNorm = clipGradNorm(model.params, 1.0);
 * opt.step();
 * ```
 */
export function clipGradNorm(params: Iterable<Parameter> | Parameter, maxNorm: number, normType = 2, options: ClipGradNormOptions = NO_OPTIONS): number {
  const where = 'clipGradNorm';
  wasmMemory(where); // before init(): the TypeError that says so, before any other check
  if (options === null || typeof options !== 'object' || Array.isArray(options)) throw typeError(where, 'options', 'an object', options);
  for (const key in options) {
    if (!OPTION_KEYS.includes(key)) {
      throw unknownKeyError(where, `options.${key}`, OPTION_KEYS, (options as Record<string, unknown>)[key]);
    }
  }
  const errorIfNonfinite = checkBoolean(where, 'options.errorIfNonfinite', options.errorIfNonfinite ?? false);
  checkNumber(where, 'maxNorm', maxNorm);
  checkNumber(where, 'normType', normType);
  const list = liveParameters(where, params, 'an iterable of Parameters (or a Parameter)', true);
  const n = list.length;
  const ids = paramIds(where, n);
  for (let i = 0; i < n; i++) ids[i] = list[i].id;
  const total = clipGradNormRaw(n, maxNorm, normType, errorIfNonfinite);
  // A norm is never negative: -1 says that the call failed and changed nothing.
  if (total < 0) throw clipError(where, rustError(takeClipError()), list, normType);
  return total;
}

/** The error for a refused call: Rust says what kind, and which position in the list. */
function clipError(where: string, error: RustError, list: readonly Parameter[], normType: number): Error {
  const at = (i: number) => `params[${i}] (${list[i].label})`;
  switch (error.kind) {
    case ErrorKind.MaxNorm:
      return rangeError(where, 'maxNorm', 'a number >= 0 (Infinity: never clip)', error.value);
    case ErrorKind.NormType:
      return rangeError(where, 'normType', 'a number > 0 (the order of a norm; Infinity: the largest magnitude)', error.value);
    case ErrorKind.Disposed:
      return disposedError(where, at(error.param!));
    case ErrorKind.GradLayout:
      return new TypeError(
        `${where}: ${at(error.param!)} has a sparse gradient, which clipGradNorm does not take yet (torch's clip_grad_norm_ takes the norm of the coalesced gradient); nothing was changed`,
      );
    case ErrorKind.NonFinite:
      return new RangeError(
        `${where}: the total norm of order ${describe(normType)} of the gradients is ${describe(error.value)}, so they cannot be clipped ` +
          '(errorIfNonfinite: true); nothing was changed. With errorIfNonfinite: false they are scaled by it anyway, as in torch',
      );
    default:
      return new Error(`${where}: unexpected error from WebAssembly (kind ${error.kind}, value ${error.value})`);
  }
}
