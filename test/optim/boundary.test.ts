// TypeScript and Rust agree at the edges. Each range has one owner, Rust (adam-core's `Rule` and
// `MAX_STEP`, crates/adam-core/src/hyperparameters.rs and optimizer/mod.rs); this suite sends the
// edge values through every entry point that takes them (the constructor, a live group changed
// before `step()`, `loadStateDict`, and a step itself) and expects the same verdict from each.
//
// The expected verdicts are PyTorch's `torch.optim.Adam.__init__` checks (`0.0 <= lr`,
// `0.0 <= eps`, `0.0 <= betas[i] < 1.0`, `0.0 <= weight_decay`), tightened to refuse NaN and
// ±Infinity, written out by hand per value below; step counts are integers in [0, 2^53 - 1], the
// integers a JavaScript number (and so a state dict) holds exactly.
import { beforeAll, describe, expect, test } from 'vitest';
import { Adam, init, Parameter, type AdamStateDict } from 'lucid-optim';
import { outcome } from '../helpers.js';
import { observe } from '../observe.js';

beforeAll(() => init());

const BELOW_ONE = 1 - 2 ** -53; // the largest double below 1
const ABOVE_ONE = 1 + 2 ** -52; // the smallest double above 1
const MAX_STEP = 2 ** 53 - 1;

// [value, accepted as lr / eps / weightDecay (a finite number >= 0), accepted as a beta ([0, 1))]
const VALUES: [number, boolean, boolean][] = [
  [0, true, true],
  [-0, true, true], // -0 >= 0 in IEEE and in Python
  [Number.MIN_VALUE, true, true],
  [BELOW_ONE, true, true],
  [1, true, false],
  [ABOVE_ONE, true, false],
  [Number.MAX_VALUE, true, false],
  [-Number.MIN_VALUE, false, false],
  [-1, false, false],
  [Infinity, false, false],
  [-Infinity, false, false],
  [NaN, false, false],
];

type Field = 'lr' | 'eps' | 'weightDecay' | 'betas[0]' | 'betas[1]';
const FIELDS: Field[] = ['lr', 'eps', 'weightDecay', 'betas[0]', 'betas[1]'];

/** Options (or a group) with `field` set to `value` and everything else at a valid value. */
function withField(target: Record<string, unknown>, field: Field, value: number): Record<string, unknown> {
  if (field === 'betas[0]') target.betas = [value, 0.999];
  else if (field === 'betas[1]') target.betas = [0.9, value];
  else target[field] = value;
  return target;
}


function fresh() {
  const p = new Parameter([1, -2, 3], { name: 'w' });
  p.grad = [0.5, 0.25, -1];
  return p;
}

describe.each(FIELDS)('%s', (field) => {
  test.each(VALUES)('%s', (value, nonNegative, unit) => {
    const accepted = field.startsWith('betas') ? unit : nonNegative;
    // The message ends with the value as Rust saw it (-0 stays -0).
    const shown = Object.is(value, -0) ? '-0' : String(value);

    // 1. The constructor.
    const p1 = fresh();
    const atConstruction = outcome(() => new Adam([p1], withField({ lr: 0.1 }, field, value)).dispose());

    // 2. A live group changed between steps: refused by the step, which then changes nothing.
    const p2 = fresh();
    const opt = new Adam([p2], { lr: 0.1 });
    opt.step();
    withField(opt.paramGroups[0], field, value);
    const before = observe([p2], [opt]);
    const atStep = outcome(() => opt.step());
    if (atStep !== undefined) expect(observe([p2], [opt])).toEqual(before);

    // 3. loadStateDict, from a dict that is otherwise the optimizer's own.
    opt.paramGroups[0].lr = 0.1;
    opt.paramGroups[0].eps = 1e-8;
    opt.paramGroups[0].weightDecay = 0;
    opt.paramGroups[0].betas = [0.9, 0.999];
    const sd = opt.stateDict();
    withField(sd.paramGroups[0], field, value);
    const beforeLoad = observe([p2], [opt]);
    const atLoad = outcome(() => opt.loadStateDict(sd));
    if (atLoad !== undefined) expect(observe([p2], [opt])).toEqual(beforeLoad);

    for (const [where, error] of [['new Adam', atConstruction], ['step', atStep], ['loadStateDict', atLoad]] as const) {
      if (accepted) {
        expect(error, `${where} accepts ${field} = ${shown}`).toBeUndefined();
      } else {
        expect(error, `${where} refuses ${field} = ${shown}`).toBeInstanceOf(RangeError);
        const escape = (text: string) => text.replace(/[[\]+.]/g, '\\$&');
        expect(error!.message, where).toMatch(new RegExp(`${escape(field)} must be .*, got ${escape(shown)}$`));
      }
    }
    opt.dispose();
    [p1, p2].forEach((p) => p.dispose());
  });
});

describe('step counts', () => {
  /** An optimizer over one parameter whose state says it has taken `step` steps. */
  function loadedAt(step: number) {
    const p = fresh();
    const opt = new Adam([p], { lr: 0.1 });
    const sd: AdamStateDict = opt.stateDict();
    sd.state[0] = { step, expAvg: new Float32Array([0.1, 0.1, 0.1]), expAvgSq: new Float32Array([0.01, 0.01, 0.01]) };
    return { p, opt, load: () => opt.loadStateDict(sd) };
  }

  // [step, accepted by loadStateDict]. 2^53 + 1 is not a double: it reads as 2^53.
  test.each([
    [0, true],
    [1, true],
    [MAX_STEP - 1, true],
    [MAX_STEP, true],
    [2 ** 53, false],
    [2 ** 53 + 1, false],
    [2 ** 53 + 2, false],
    [-1, false],
    [1.5, false],
    [Infinity, false],
    [NaN, false],
  ])('loading step %s', (step, accepted) => {
    const { p, opt, load } = loadedAt(step);
    const error = outcome(load);
    if (accepted) {
      expect(error).toBeUndefined();
      expect(opt.stateDict().state[0].step).toBe(step);
    } else {
      expect(error).toBeInstanceOf(RangeError);
      expect(error!.message).toMatch(/^Adam.loadStateDict: stateDict.state\[0\].step must be /);
      expect(opt.stateDict().state).toEqual({});
    }
    opt.dispose();
    p.dispose();
  });

  test('a state at 2^53 - 2 steps once, saves, loads back, and then refuses to step again', () => {
    const { p, opt, load } = loadedAt(MAX_STEP - 1);
    load();
    opt.step();
    const saved = opt.stateDict();
    expect(saved.state[0].step).toBe(MAX_STEP);

    // What it saved, its own loadStateDict accepts (Rust's and TypeScript's limits are one).
    const q = fresh();
    const other = new Adam([q], { lr: 0.1 });
    other.loadStateDict(saved);
    expect(other.stateDict()).toEqual(saved);

    // One more step would count past the limit: a RangeError naming the parameter, nothing changed.
    for (const o of [opt, other]) {
      const params = o === opt ? [p] : [q];
      const before = observe(params, [o]);
      const error = outcome(() => o.step());
      expect(error).toBeInstanceOf(RangeError);
      expect(error!.message).toBe(
        'Adam.step: parameter 0 (Parameter "w") has taken 9007199254740991 steps, the most a state can count (9007199254740991, 2^53 - 1); nothing was changed',
      );
      expect(observe(params, [o])).toEqual(before);
    }
    // Without a gradient the parameter does not step, so the optimizer steps (nothing) fine.
    p.grad = null;
    expect(outcome(() => opt.step())).toBeUndefined();
    [opt, other].forEach((o) => o.dispose());
    [p, q].forEach((x) => x.dispose());
  });
});
