// Reliability, bad input, for every algorithm: the matrix of bad-input.test.ts (which walks Adam's
// options by hand) built from each algorithm's spec, so that every option of every optimizer class
// is refused the same way: each option given a value of the wrong type (TypeError) and values its
// rule refuses (RangeError) in the constructor's options, in a group given to addParamGroup, in a
// live group at the next step, and in a saved group loadStateDict reads; and every key of a saved
// state given the wrong type. Each error's message starts with `<where>: <field>` and shows the
// value (`got <value>`), and nothing changes (test/observe.ts: parameters, state, groups, counters,
// what lucid-optim has allocated).
import { beforeAll, describe, expect, test } from 'vitest';
import { init, Parameter } from 'lucid-optim';
import { describeClass, optimizerClasses, setGrad, takesSparseGrads, type OptimizerClass } from '../../helpers.js';
import { observe } from '../../observe.js';

beforeAll(() => init());

const CLASSES = optimizerClasses();

/** Values each rule refuses (crates/optim-core/src/schema.rs, `Rule`, as numbered by the wasm export), as messages show them. */
const REFUSED: Record<number, [number, string][]> = {
  0: [[-1, '-1'], [-1e-12, '-1e-12'], [NaN, 'NaN'], [Infinity, 'Infinity']], // NonNegative
  1: [[1, '1'], [-0.1, '-0.1'], [NaN, 'NaN']], // UnitInterval [0, 1)
  2: [[NaN, 'NaN'], [-Infinity, '-Infinity']], // Finite
  4: [[1.5, '1.5'], [-0.1, '-0.1'], [NaN, 'NaN']], // ClosedUnitInterval [0, 1]
  5: [[0, '0'], [1, '1'], [NaN, 'NaN']], // OpenUnitInterval (0, 1)
  6: [[1, '1'], [0.5, '0.5'], [Infinity, 'Infinity']], // AboveOne
  7: [[100, '100'], [-1, '-1'], [2.5, '2.5'], [NaN, 'NaN']], // IterationCount: an integer in [0, 99]
  9: [[1e-12, '1e-12'], [1, '1'], [NaN, 'NaN'], [-Infinity, '-Infinity']], // NonPositive
  10: [[0.999, '0.999'], [0, '0'], [NaN, 'NaN'], [Infinity, 'Infinity']], // AtLeastOne
  11: [[-1, '-1'], [NaN, 'NaN'], [Infinity, 'Infinity']], // NonNegativeOrNone: NaN as a number is not None
  12: [[0, '0'], [-1e-12, '-1e-12'], [NaN, 'NaN'], [Infinity, 'Infinity']], // Positive
};
const NOT_NUMBERS: [unknown, string][] = [
  ['0.1', '"0.1"'],
  [null, 'null'],
  [true, 'true'],
];
const NOT_FLAGS: [unknown, string][] = [
  [1, '1'],
  ['true', '"true"'],
  [null, 'null'],
];

const NOT_CHOICES: [unknown, string, typeof TypeError | typeof RangeError][] = [
  ['Original', '"Original"', RangeError],
  [1, '1', TypeError],
];

/**
 * Two parameters with state after one step (and a gradient set), one spare; every case gets a
 * fresh one. Matrices, as Muon requires (the element-wise algorithms ignore the shape).
 */
function setup(Class: OptimizerClass) {
  const a = new Parameter([1, -2, 3, 0.5], { name: 'a', shape: [2, 2] });
  const b = new Parameter([0.25, 4], { name: 'b', shape: [1, 2] });
  const spare = new Parameter([1, 2], { name: 'spare', shape: [2, 1] });
  const opt = new Class([{ params: [a] }, { params: [b] }]);
  const sparse = takesSparseGrads(Class); // SparseAdam: the same values as sparse gradients of every row
  setGrad(a, [0.5, -0.5, 0, 2], sparse);
  setGrad(b, [1, 1], sparse);
  opt.step();
  setGrad(a, [0.1, 0.2, 0.3, 0.4], sparse);
  return { a, b, spare, opt, params: [a, b, spare] };
}
type Fixture = ReturnType<typeof setup>;

/** [case, the refused call, error class, where, field, value as shown]. */
type Case = [string, (f: Fixture) => unknown, typeof TypeError | typeof RangeError, string, string, string];

/** Every case for one class, from its spec. */
function casesOf(name: string, Class: OptimizerClass): Case[] {
  const fields = describeClass(Class).options;
  const cases: Case[] = [];
  /** A bad value of option `key` (at `path` in messages) given four ways. */
  const everyWay = (key: string, value: unknown, path: string, shown: string, error: typeof TypeError | typeof RangeError) => {
    cases.push(
      [`options.${path} = ${shown}`, (f) => new Class([f.spare], { [key]: value }), error, name, path, shown],
      [`addParamGroup ${path} = ${shown}`, (f) => f.opt.addParamGroup({ params: [f.spare], [key]: value }), error, `${name}.addParamGroup`, `group.${path}`, shown],
      [
        `live group ${path} = ${shown}, then step()`,
        (f) => {
          const group = f.opt.paramGroups[1] as Record<string, unknown>;
          const old = group[key];
          group[key] = value;
          try {
            f.opt.step();
          } finally {
            group[key] = old;
          }
        },
        error,
        `${name}.step`,
        `paramGroups[1].${path}`,
        shown,
      ],
      [
        `loadStateDict group ${path} = ${shown}`,
        (f) => {
          const sd = f.opt.stateDict() as unknown as { paramGroups: Record<string, unknown>[] };
          sd.paramGroups[0][key] = value;
          f.opt.loadStateDict(sd);
        },
        error,
        `${name}.loadStateDict`,
        `stateDict.paramGroups[0].${path}`,
        shown,
      ],
    );
  };
  for (const f of fields) {
    if (f.fixed) continue; // AdamW's decoupledWeightDecay: its own refusal (test/optim/adamw.test.ts)
    if (f.kind === 'number') {
      for (const [v, shown] of REFUSED[f.rules[0]]) everyWay(f.name, v, f.name, shown, RangeError);
      for (const [v, shown] of NOT_NUMBERS) everyWay(f.name, v, f.name, shown, TypeError);
    } else if (f.kind === 'tuple') {
      const fine: number[] = f.rules.map((rule) => (rule === 6 || rule === 10 ? 2 : rule === 9 ? -0.5 : 0.5)); // a value every tuple rule takes
      f.rules.forEach((rule, e) => {
        for (const [v, shown] of REFUSED[rule]) {
          const pair = [...fine];
          pair[e] = v;
          everyWay(f.name, pair, `${f.name}[${e}]`, shown, RangeError);
        }
        const pair: unknown[] = [...fine];
        pair[e] = '0.5';
        everyWay(f.name, pair, `${f.name}[${e}]`, '"0.5"', TypeError);
        if (rule !== 11) {
          // null is torch's None only where the rule allows it (Adafactor's eps[0]).
          const withNull: unknown[] = [...fine];
          withNull[e] = null;
          everyWay(f.name, withNull, `${f.name}[${e}]`, 'null', TypeError);
        }
      });
      everyWay(f.name, [...fine, 0.5], `${f.name}.length`, String(f.width + 1), RangeError);
    } else if (f.kind === 'flag') {
      for (const [v, shown] of NOT_FLAGS) everyWay(f.name, v, f.name, shown, TypeError);
    } else if (f.kind === 'choice') {
      // A name torch does not have: RangeError; not a name (nor null): TypeError.
      for (const [v, shown, error] of NOT_CHOICES) everyWay(f.name, v, f.name, shown, error);
    }
  }
  // Every key of a saved state, given a value of the wrong type: a string (a number or a buffer expected).
  const f = setup(Class);
  const keys = Object.keys((f.opt.stateDict().state as Record<number, object>)[0] ?? {});
  f.opt.dispose();
  for (const key of keys) {
    cases.push([
      `loadStateDict state[0].${key} = "x"`,
      (g) => {
        const sd = g.opt.stateDict() as unknown as { state: Record<number, Record<string, unknown>> };
        sd.state[0][key] = 'x';
        g.opt.loadStateDict(sd);
      },
      TypeError,
      `${name}.loadStateDict`,
      `stateDict.state[0].${key}`,
      '"x"',
    ]);
  }
  return cases;
}

describe.each(CLASSES)('%s', (name, Class) => {
  // Built inside the test: the specs need init().
  test('every option and state key refused by name and value, in every way in, changing nothing', () => {
    const cases = casesOf(name, Class);
    for (const [what, act, errorClass, where, field, value] of cases) {
      const f = setup(Class);
      const before = observe(f.params, [f.opt]);
      let thrown: unknown;
      try {
        act(f);
      } catch (error) {
        thrown = error;
      }
      expect(thrown, `${what}: throws`).toBeInstanceOf(errorClass);
      const message = (thrown as Error).message;
      expect(message.startsWith(`${where}: ${field}`), `${what}: ${message}`).toBe(true);
      expect(message, `${what}: shows the value`).toContain(`got ${value}`);
      expect(observe(f.params, [f.opt]), `${what}: nothing changed`).toEqual(before);
      f.opt.dispose();
      for (const p of f.params) p.dispose();
    }
    console.log(`${name}: ${cases.length} bad inputs refused`);
    expect(cases.length).toBeGreaterThan(40);
  });
});
