// The `params` argument of the calls that take a list of Parameters (clipGradNorm, namedTensors,
// AveragedModel): an array or any iterable of live Parameters, checked in one place.

import { disposedError, typeError } from '../runtime/errors.js';
import { Parameter } from './parameter.js';

/**
 * `params` as an array of live Parameters: an array as it is (the usual case allocates nothing),
 * any other iterable spread into one, and with `single`, one Parameter as a list of one. Throws a
 * TypeError naming `params` (`rule` says what it must be), or the first entry that is not a
 * Parameter or was disposed.
 */
export function liveParameters(where: string, params: unknown, rule: string, single = false): readonly Parameter[] {
  let list: readonly unknown[];
  if (Array.isArray(params)) list = params;
  else if (single && params instanceof Parameter) list = [params];
  else if (params === null || typeof params !== 'object' || typeof (params as Iterable<unknown>)[Symbol.iterator] !== 'function') throw typeError(where, 'params', rule, params);
  else list = [...(params as Iterable<unknown>)];
  for (let i = 0; i < list.length; i++) {
    const p = list[i];
    if (!(p instanceof Parameter)) throw typeError(where, `params[${i}]`, 'a Parameter', p);
    if (p.disposed) throw disposedError(where, `params[${i}] (${p.label})`);
  }
  return list as readonly Parameter[];
}
