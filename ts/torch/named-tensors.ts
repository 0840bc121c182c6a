import { rangeError, typeError } from '../runtime/errors.js';
import type { Parameter } from '../nn/parameter.js';
import { liveParameters } from '../nn/param-list.js';
import type { TorchTensor } from './tensor.js';

/**
 * A model's weights as PyTorch's `model.state_dict()` holds them: each Parameter's `name` mapped to
 * a float32 {@link TorchTensor} of its `shape`, in the order given. Ready for
 * {@link saveTorch} (`model.load_state_dict(torch.load(path, weights_only=True))` in Python) or
 * {@link saveSafetensors}. The data are copies, never views into WebAssembly memory.
 *
 * The way back is `new Parameter(t.data, { shape: t.shape, name })` for each entry of a loaded
 * state dict.
 *
 * Throws a `TypeError` for anything but an iterable of live Parameters or for a Parameter without
 * a name, and a `RangeError` for a name used twice.
 *
 * @example
 * ```ts
 * const w = new Parameter(4 * 3, { shape: [4, 3], name: 'fc.weight' });
 * const b = new Parameter(4, { shape: [4], name: 'fc.bias' });
 * writeFileSync('model.pt', saveTorch(namedTensors([w, b]))); // python: model.load_state_dict(torch.load('model.pt', weights_only=True))
 * ```
 */
export function namedTensors(params: Iterable<Parameter>): Map<string, TorchTensor> {
  const where = 'namedTensors';
  const list = liveParameters(where, params, 'an iterable of named Parameters');
  // Every check before any copy: a refused call builds nothing.
  const names = new Set<string>();
  list.forEach((p, i) => {
    if (p.name === undefined) throw typeError(where, `params[${i}].name`, "a string (give it one: new Parameter(values, { name: 'fc.weight' }))", p.name);
    if (names.has(p.name)) throw rangeError(where, `params[${i}].name`, 'unique (a state dict has one entry per name)', p.name);
    names.add(p.name);
  });
  return new Map(list.map((p): [string, TorchTensor] => [p.name!, { dtype: 'float32', shape: [...p.shape], data: p.data.slice() }]));
}
