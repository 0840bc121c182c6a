// Checks of scheduler options and saved scheduler state. Each throws a TypeError (wrong type, unknown
// key) or a RangeError (right type, value outside the rule) naming the field and the value, before
// anything is written.

import { rangeError, typeError, unknownKeyError } from '../runtime/errors.js';

/** An options object (undefined means `{}`) whose keys are all in `known`. */
export function readOptions(where: string, field: string, options: unknown, known: readonly string[]): Record<string, unknown> {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) throw typeError(where, field, 'an object', options);
  const o = options as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!known.includes(key)) throw unknownKeyError(where, field === 'options' ? key : `${field}.${key}`, known, o[key]);
  }
  return o;
}

/** An option's value, or `fallback` when it is undefined (null is a value, and refused by the check that follows). */
export function given(value: unknown, fallback: unknown): unknown {
  return value === undefined ? fallback : value;
}

/** A saved state dict: an object with exactly the `keys` (unknown ones refused, missing ones too). */
export function readState(where: string, field: string, state: unknown, keys: readonly string[]): Record<string, unknown> {
  const o = readOptions(where, field, state, keys);
  if (state === undefined) throw typeError(where, field, 'an object', state);
  for (const key of keys) if (!(key in o)) throw typeError(where, `${field}.${key}`, 'present', undefined);
  return o;
}

/** A finite number for which `ok` holds (`rule` says which, for the message). */
export function checkFinite(where: string, field: string, value: unknown, rule: string, ok: (v: number) => boolean): number {
  if (typeof value !== 'number') throw typeError(where, field, 'a number', value);
  if (!Number.isFinite(value) || !ok(value)) throw rangeError(where, field, rule, value);
  return value;
}

export const nonNegative = (v: number): boolean => v >= 0;
export const positive = (v: number): boolean => v > 0;

/** A finite number >= 0 (the range of a learning rate). */
export function checkRate(where: string, field: string, value: unknown): number {
  return checkFinite(where, field, value, 'a finite number >= 0', nonNegative);
}

/** Any number (NaN and infinities included): a saved value that is only ever copied. */
export function checkAnyNumber(where: string, field: string, value: unknown): number {
  if (typeof value !== 'number') throw typeError(where, field, 'a number', value);
  return value;
}

/** One of the strings in `choices`. */
export function checkChoice<T extends string>(where: string, field: string, value: unknown, choices: readonly T[]): T {
  const rule = `one of ${choices.map((c) => JSON.stringify(c)).join(', ')}`;
  if (typeof value !== 'string') throw typeError(where, field, rule, value);
  if (!(choices as readonly string[]).includes(value)) throw rangeError(where, field, rule, value);
  return value as T;
}

/** A function. */
export function checkFunction<T extends (...args: never[]) => unknown>(where: string, field: string, value: unknown): T {
  if (typeof value !== 'function') throw typeError(where, field, 'a function', value);
  return value as T;
}

/** An array of `length` items, each checked by `check` (its field named `field[i]`). */
export function checkArray<T>(where: string, field: string, value: unknown, length: number | undefined, check: (field: string, item: unknown) => T): T[] {
  if (!Array.isArray(value)) throw typeError(where, field, 'an array', value);
  if (length !== undefined && value.length !== length) throw rangeError(where, `${field}.length`, `${length} (one per param group)`, value.length);
  return value.map((item, i) => check(`${field}[${i}]`, item));
}

/** A value for every param group: one value for all, or an array of one per group (torch's `_format_param`). */
export function perGroup<T>(where: string, field: string, value: unknown, groups: number, check: (field: string, item: unknown) => T): T[] {
  if (Array.isArray(value)) return checkArray(where, field, value, groups, check);
  const one = check(field, value);
  return Array.from({ length: groups }, () => one);
}

/** Non-finite numbers as JSON cannot hold them: `"Infinity"`, `"-Infinity"`, `"NaN"`. */
export type JsonNumber = number | 'Infinity' | '-Infinity' | 'NaN';

export function toJsonNumber(value: number): JsonNumber {
  if (Number.isFinite(value)) return value;
  return value !== value ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity';
}

export function fromJsonNumber(where: string, field: string, value: unknown): number {
  if (typeof value === 'number') return value;
  if (value === 'Infinity') return Infinity;
  if (value === '-Infinity') return -Infinity;
  if (value === 'NaN') return NaN;
  throw typeError(where, field, 'a number (or "Infinity", "-Infinity", "NaN")', value);
}
