// Errors that name the field and the bad value, e.g. `Adam: betas[1] must be in [0, 1), got 1`.
// Rust reports a failure as a kind (crates/optim-wasm/src/error.rs); the sentences are written here.

import { isTorchTensor } from '../torch/tensor.js';
import { isDetached } from './wasm.js';

/** A short, unambiguous rendering of a bad value for an error message. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (value === null || value === undefined || typeof value === 'boolean') return String(value);
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'symbol') return String(value);
  if (Array.isArray(value)) {
    const shown = value.slice(0, 4).map(describe).join(', ');
    return `[${shown}${value.length > 4 ? `, … (${value.length} items)` : ''}]`;
  }
  if (isTorchTensor(value)) return `${value.dtype.startsWith('i') ? 'an' : 'a'} ${value.dtype} tensor of shape [${value.shape.join(', ')}]`;
  if (ArrayBuffer.isView(value)) {
    const name = value.constructor.name;
    if (isDetached(value)) return `a detached ${name} (a view taken before WebAssembly memory grew)`;
    return 'length' in value ? `${article(name)} of length ${(value as Float32Array).length}` : article(name);
  }
  const proto = Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null;
  const name = proto?.constructor?.name;
  if (proto !== null && proto !== Object.prototype && typeof name === 'string' && name !== '') return article(name);
  return `an object (${Object.prototype.toString.call(value).slice(8, -1)})`;
}

/** `a Map`, `an Int32Array`. */
function article(name: string): string {
  return `${/^[AEIOU]/.test(name) ? 'an' : 'a'} ${name}`;
}

export function typeError(where: string, field: string, rule: string, value: unknown): TypeError {
  return new TypeError(`${where}: ${field} must be ${rule}, got ${describe(value)}`);
}

export function rangeError(where: string, field: string, rule: string, value: unknown): RangeError {
  return new RangeError(`${where}: ${field} must be ${rule}, got ${describe(value)}`);
}

/** An option key nobody reads: refused, so that a typo cannot silently fall back to a default. */
export function unknownKeyError(where: string, field: string, known: readonly string[], value: unknown): TypeError {
  const key = field.slice(field.lastIndexOf('.') + 1);
  const near = known.find((k) => normalize(k) === normalize(key));
  const hint = near === undefined ? `known: ${known.join(', ')}` : `did you mean ${near}?`;
  return new TypeError(`${where}: ${field} is not an option (${hint}), got ${describe(value)}`);
}

/** `weight_decay`, `WeightDecay` and `weightdecay` all normalize to `weightdecay`. */
export function normalize(key: string): string {
  return key.replace(/_/g, '').toLowerCase();
}

/** `Adam.step: params[2] (Parameter "w") was disposed`: the one sentence for a disposed parameter. */
export function disposedError(where: string, subject: string): TypeError {
  return new TypeError(`${where}: ${subject} was disposed`);
}

/** `Adam.step: optimizer used after dispose()`: the one sentence for a disposed object. */
export function usedAfterDispose(where: string, what = 'optimizer'): TypeError {
  return new TypeError(`${where}: ${what} used after dispose()`);
}
