// Reliability, re-entrancy: code of the user's that runs inside a call (a closure passed to
// step(), a getter on a param group or a state dict, the onNonFinite callback) may dispose the
// optimizer or a parameter. The call then throws the usual TypeError (used after dispose(), or
// the parameter was disposed) and changes nothing, never a raw WebAssembly error such as
// `Error: null pointer passed to rust`.
import { beforeAll, expect, test } from 'vitest';
import { Adam, init, Parameter } from 'lucid-optim';
import { thrownBy } from '../../helpers.js';
import { observe } from '../../observe.js';

beforeAll(() => init());

function fixture() {
  const a = new Parameter([1, 2], { name: 'a' });
  const b = new Parameter([3, 4, 5], { name: 'b' });
  a.grad = [0.5, -0.5];
  b.grad = [1, 1, 1];
  const opt = new Adam([{ params: [a] }, { params: [b] }], { lr: 0.1 });
  opt.step(); // state exists, so there is something to keep unchanged
  return { a, b, opt };
}


/** Defines a getter on `target[key]` that runs `effect` and then returns the old value. */
function trap<T extends object>(target: T, key: string, effect: () => void): void {
  const value = (target as Record<string, unknown>)[key];
  Object.defineProperty(target, key, { get: () => (effect(), value), configurable: true, enumerable: true });
}

test('a closure that disposes the optimizer: step throws the used-after-dispose TypeError', () => {
  const { a, b, opt } = fixture();
  const before = observe([a, b], []).params;
  const error = thrownBy(() => opt.step(() => opt.dispose()));
  expect(error).toEqual(new TypeError('Adam.step: optimizer used after dispose()'));
  expect(observe([a, b], []).params).toEqual(before);
  expect(() => opt.stateDict()).toThrow(new TypeError('Adam.stateDict: optimizer used after dispose()'));
});

test('a closure that disposes a parameter: step names it, and changes nothing', () => {
  const { a, b, opt } = fixture();
  // Disposing b frees its memory (the user's doing): compare the rest.
  const { memory: _, ...before } = observe([a], [opt]);
  const error = thrownBy(() => opt.step(() => b.dispose()));
  expect(error).toEqual(new TypeError('Adam.step: parameter 1 (Parameter "b") was disposed'));
  expect({ ...observe([a], [opt]), memory: undefined }).toEqual({ ...before, memory: undefined });
});

test('a group getter that disposes the optimizer during step', () => {
  const { a, b, opt } = fixture();
  const before = observe([a, b], []).params;
  trap(opt.paramGroups[1], 'lr', () => opt.dispose());
  expect(thrownBy(() => opt.step())).toEqual(new TypeError('Adam.step: optimizer used after dispose()'));
  expect(observe([a, b], []).params).toEqual(before);
});

test('a group getter that disposes a parameter during step: Rust refuses it, by name', () => {
  const { a, b, opt } = fixture();
  trap(opt.paramGroups[1], 'eps', () => b.dispose());
  const before = observe([a], [opt]);
  expect(thrownBy(() => opt.step())).toEqual(new TypeError('Adam.step: parameter 1 (Parameter "b") was disposed'));
  expect(observe([a], [opt])).toEqual(before);
});

test('a group getter that disposes the optimizer during stateDict', () => {
  const { opt } = fixture();
  trap(opt.paramGroups[0], 'amsgrad', () => opt.dispose());
  expect(thrownBy(() => opt.stateDict())).toEqual(new TypeError('Adam.stateDict: optimizer used after dispose()'));
});

test('a state dict getter that disposes the optimizer, or a parameter, during loadStateDict', () => {
  for (const victim of ['optimizer', 'parameter'] as const) {
    const { a, b, opt } = fixture();
    const sd = opt.stateDict();
    sd.state[0].expAvg[0] = 42;
    trap(sd, 'state', () => (victim === 'optimizer' ? opt.dispose() : b.dispose()));
    const before = victim === 'optimizer' ? observe([a], []).params : observe([a], [opt]).optimizers;
    const error = thrownBy(() => opt.loadStateDict(sd));
    expect(error).toEqual(
      victim === 'optimizer'
        ? new TypeError('Adam.loadStateDict: optimizer used after dispose()')
        : new TypeError('Adam.loadStateDict: parameter 1 (Parameter "b") was disposed'),
    );
    expect(victim === 'optimizer' ? observe([a], []).params : observe([a], [opt]).optimizers).toEqual(before);
  }
});

test('a group given to addParamGroup whose getter disposes the optimizer', () => {
  const { a, b, opt } = fixture();
  const c = new Parameter([7], { name: 'c' });
  const group = { params: [c], lr: 0.5 };
  trap(group, 'lr', () => opt.dispose());
  const before = observe([a, b, c], []).params;
  expect(thrownBy(() => opt.addParamGroup(group))).toEqual(new TypeError('Adam.addParamGroup: optimizer used after dispose()'));
  expect(observe([a, b, c], []).params).toEqual(before);
});

test('onNonFinite disposing the optimizer: the skipped step is complete, later use throws', () => {
  const a = new Parameter([1, 2], { name: 'a' });
  a.grad = [NaN, 1];
  const opt = new Adam([a], { skipNonFinite: true, onNonFinite: () => opt.dispose() });
  const before = observe([a], []).params;
  expect(() => opt.step()).not.toThrow();
  expect(observe([a], []).params).toEqual(before);
  expect(opt.disposed).toBe(true);
  expect(thrownBy(() => opt.step())).toEqual(new TypeError('Adam.step: optimizer used after dispose()'));
});
