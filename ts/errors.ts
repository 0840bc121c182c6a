// Errors that name the field and the bad value, e.g. `Adam: betas[1] must be in [0, 1), got 1`.
// Every check here runs before anything is written, so a thrown error leaves all state as it was.

/** A short, unambiguous rendering of a bad value for an error message. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (value === null || value === undefined || typeof value === 'boolean') return String(value);
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) {
    const shown = value.slice(0, 4).map(describe).join(', ');
    return `[${shown}${value.length > 4 ? `, … (${value.length} items)` : ''}]`;
  }
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name} of length ${(value as Float32Array).length}`;
  return `an object (${Object.prototype.toString.call(value).slice(8, -1)})`;
}

export function typeError(where: string, field: string, rule: string, value: unknown): TypeError {
  return new TypeError(`${where}: ${field} must be ${rule}, got ${describe(value)}`);
}

export function rangeError(where: string, field: string, rule: string, value: unknown): RangeError {
  return new RangeError(`${where}: ${field} must be ${rule}, got ${describe(value)}`);
}

/** A finite number >= 0 (lr, eps, weightDecay). */
export function checkNonNegative(where: string, field: string, value: unknown): number {
  if (typeof value !== 'number') throw typeError(where, field, 'a number', value);
  if (!(Number.isFinite(value) && value >= 0)) throw rangeError(where, field, 'a finite number >= 0', value);
  return value;
}

/** A number in [0, 1) (each beta). */
export function checkUnitInterval(where: string, field: string, value: unknown): number {
  if (typeof value !== 'number') throw typeError(where, field, 'a number', value);
  if (!(value >= 0 && value < 1)) throw rangeError(where, field, 'in [0, 1)', value);
  return value;
}

export function checkBoolean(where: string, field: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw typeError(where, field, 'a boolean', value);
  return value;
}

/** An integer in [min, 2^53]. */
export function checkInteger(where: string, field: string, value: unknown, min: number): number {
  if (typeof value !== 'number') throw typeError(where, field, 'a number', value);
  if (!Number.isSafeInteger(value) || value < min) throw rangeError(where, field, `an integer >= ${min}`, value);
  return value;
}

/**
 * Numbers to copy into a parameter buffer of `length` elements: a Float32Array, or any array-like
 * of numbers (other values are refused by index, so a typo cannot silently become NaN).
 */
export function checkValues(where: string, field: string, values: unknown, length: number): ArrayLike<number> {
  if (values instanceof Float32Array) {
    if (values.length !== length) throw rangeError(where, `${field}.length`, `${length}`, values.length);
    return values;
  }
  if (values === null || typeof values !== 'object' || typeof (values as ArrayLike<unknown>).length !== 'number') {
    throw typeError(where, field, 'a Float32Array or an array of numbers', values);
  }
  const items = values as ArrayLike<unknown>;
  if (items.length !== length) throw rangeError(where, `${field}.length`, `${length}`, items.length);
  if (!ArrayBuffer.isView(items)) {
    for (let i = 0; i < length; i++) {
      if (typeof items[i] !== 'number') throw typeError(where, `${field}[${i}]`, 'a number', items[i]);
    }
  } else if (items instanceof BigInt64Array || items instanceof BigUint64Array) {
    throw typeError(where, field, 'a Float32Array or an array of numbers', values);
  }
  return items as ArrayLike<number>;
}
