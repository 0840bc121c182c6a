// Checks of JavaScript types and shapes, each throwing a TypeError or RangeError that names the
// field and the value. Every check runs before anything is written, so a thrown error leaves all
// state as it was. Numeric ranges shared with Rust are Rust's (see param-group.ts, wasm.ts).

import { describe, rangeError, typeError } from './errors.js';
import { isDetached } from './wasm.js';

/** A number (its range is Rust's to check). */
export function checkNumber(where: string, field: string, value: unknown): number {
  if (typeof value !== 'number') throw typeError(where, field, 'a number', value);
  return value;
}

export function checkBoolean(where: string, field: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw typeError(where, field, 'a boolean', value);
  return value;
}

/** An integer in [min, max] (max defaults to 2^53 - 1). */
export function checkInteger(where: string, field: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number') throw typeError(where, field, 'a number', value);
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    const rule = max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer in [${min}, ${max}]`;
    throw rangeError(where, field, rule, value);
  }
  return value;
}

/**
 * Numbers to copy into a parameter buffer of `length` elements: a Float32Array, or any array-like
 * of numbers (other values are refused by index, so a typo cannot silently become NaN). Typed
 * arrays of other number types are converted as `Float32Array.prototype.set` converts them;
 * BigInt arrays are refused.
 */
export function checkValues(where: string, field: string, values: unknown, length: number): ArrayLike<number> {
  if (ArrayBuffer.isView(values) && length > 0 && isDetached(values)) {
    throw new TypeError(
      `${where}: ${field} must be live values, got ${describe(values)}; read param.data or param.grad again instead of keeping a view`,
    );
  }
  if (values instanceof Float32Array) {
    if (values.length !== length) throw rangeError(where, `${field}.length`, `${length}`, values.length);
    return values;
  }
  if (values === null || typeof values !== 'object' || typeof (values as ArrayLike<unknown>).length !== 'number') {
    throw typeError(where, field, 'a Float32Array or an array of numbers', values);
  }
  if (values instanceof BigInt64Array || values instanceof BigUint64Array) {
    throw typeError(where, field, 'a Float32Array or an array of numbers', values);
  }
  const items = values as ArrayLike<unknown>;
  if (items.length !== length) throw rangeError(where, `${field}.length`, `${length}`, items.length);
  if (!ArrayBuffer.isView(items)) {
    for (let i = 0; i < length; i++) {
      if (typeof items[i] !== 'number') throw typeError(where, `${field}[${i}]`, 'a number', items[i]);
    }
  }
  return items as ArrayLike<number>;
}
