/** A saved group of {@link NamedStateDict}: its hyperparameters, extra keys, and its variables by name. */
export type NamedParamGroup = Record<string, unknown> & {
  /** The names of the tfjs variables in the group, in the order the optimizer first saw them. */
  params: string[];
};

/**
 * What a bridge's `stateDict()` returns and `loadStateDict()` takes: PyTorch's
 * `optimizer.state_dict()` shape, keyed by tfjs variable name (`variable.name`) rather than by
 * position. Buffers are `Float32Array` copies (arrays of numbers load too, as JSON gives back).
 */
export interface NamedStateDict<S extends object = object> {
  /** Per variable name, its state. */
  state: Record<string, S>;
  /** The one group's hyperparameters, with `params`: its variables' names. */
  paramGroups: NamedParamGroup[];
}

/** `"dense_Dense1/kernel"`: a variable name as error messages quote it. */
export const quote = (name: string): string => JSON.stringify(name);
