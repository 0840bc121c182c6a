import type { Hyperparameters, ParamState } from '../index.js';

/** A saved group of {@link NamedStateDict}: its hyperparameters, extra keys, and its variables by name. */
export interface NamedParamGroup extends Hyperparameters {
  /** The names of the tfjs variables in the group, in the order the optimizer first saw them. */
  params: string[];
  [key: string]: unknown;
}

/**
 * What `LucidAdam.stateDict()` returns and `loadStateDict()` takes: PyTorch's
 * `optimizer.state_dict()` shape, keyed by tfjs variable name (`variable.name`) rather than by
 * position. Buffers are `Float32Array` copies (plain number arrays load too, as JSON gives back).
 */
export interface NamedStateDict {
  state: Record<string, ParamState>;
  paramGroups: NamedParamGroup[];
}

/** `"dense_Dense1/kernel"`: a variable name as error messages quote it. */
export const quote = (name: string): string => JSON.stringify(name);

/**
 * lucid-optim's error about `state[3]` or `params[3]` (positions in its own state dict) rewritten
 * to name the variable at that position; same error class, same rest of the message.
 */
export function renamePositions(error: unknown, names: readonly string[]): unknown {
  if (!(error instanceof TypeError || error instanceof RangeError)) return error;
  const message = error.message.replace(/\bstate\[(\d+)\]/g, (whole, i: string) => (names[Number(i)] === undefined ? whole : `state[${quote(names[Number(i)])}]`));
  if (message === error.message) return error;
  return error instanceof TypeError ? new TypeError(message) : new RangeError(message);
}
