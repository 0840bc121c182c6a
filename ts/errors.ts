// Errors that name the field and the bad value, e.g. `Adam: betas[1] must be in [0, 1), got 1`.
// Every check here runs before anything is written, so a thrown error leaves all state as it was.

/**
 * The most elements one parameter (or one state buffer) can hold: a wasm32 allocation is at most
 * 2^31 - 1 bytes. Mirrors `MAX_ELEMENTS` in crates/adam-wasm/src/parameter.rs.
 */
export const MAX_ELEMENTS = Math.floor((2 ** 31 - 1) / 4);

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

/** An integer in [min, max] (max defaults to 2^53 - 1). */
export function checkInteger(where: string, field: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number') throw typeError(where, field, 'a number', value);
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    const rule = max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer in [${min}, ${max}]`;
    throw rangeError(where, field, rule, value);
  }
  return value;
}

/** True for a typed array whose buffer was detached (e.g. by WebAssembly memory growth). */
export function isDetached(view: ArrayBufferView): boolean {
  const buffer = view.buffer as ArrayBuffer & { detached?: boolean };
  if (typeof buffer.detached === 'boolean') return buffer.detached; // ES2024
  if (buffer.byteLength !== 0 || !(buffer instanceof ArrayBuffer)) return false;
  try {
    buffer.slice(0); // throws on a detached buffer, and only there
    return false;
  } catch {
    return true;
  }
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

/**
 * `values`, or a copy of it if it is a view into WebAssembly memory (`buffer`): call before an
 * allocation that may grow memory, which would detach such a view before it is read.
 */
export function copyIfIn(values: ArrayLike<number>, buffer: ArrayBufferLike): ArrayLike<number> {
  return ArrayBuffer.isView(values) && values.buffer === buffer ? Float32Array.from(values) : values;
}
