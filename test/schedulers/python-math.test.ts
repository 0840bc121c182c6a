// Python's math.cos and ** as the schedulers compute them (ts/schedulers/python-math.ts): the
// correctly rounded results. This internal module has no public API, so this suite imports its
// source (the schedulers' own suites check it through the package).
//
// Expected values marked "CPython" come from CPython 3.11.7 on glibc 2.36 (x86-64), e.g.
//   python3 -c "import math; print(repr(math.cos(3.7699111843077517)))"
// and are the correctly rounded values (checked with 80-digit decimal arithmetic); "V8" values are
// what Node 20's Math.cos / ** return instead.
import { afterAll, describe, expect, test } from 'vitest';
import { cosExact, powExact, pyCos, pyPow } from '../../ts/schedulers/python-math.js';

/** A seeded linear congruential generator in [0, 1): deterministic arguments without an RNG dependency. */
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** b^n for an integer n > 0 rounded once to the nearest double, ties to even (BigInt, exact). */
function roundedIntegerPower(b: bigint, n: number): number {
  let v = b ** BigInt(n);
  let scale = 0;
  const length = v.toString(2).length;
  if (length > 53) {
    const shift = BigInt(length - 53);
    const kept = v >> shift;
    const rest = v - (kept << shift);
    const half = 1n << (shift - 1n);
    v = rest > half || (rest === half && (kept & 1n) === 1n) ? kept + 1n : kept;
    scale = length - 53;
  }
  return Number(v) * 2 ** scale;
}

/** What this runtime's Math.cos and ** give on the arguments above, printed once. */
const runtime: string[] = [];
afterAll(() => console.log(`this runtime's own Math.cos and ** (informational): ${runtime.join('; ')}`));

describe('pyCos', () => {
  test.each([
    // [x, CPython's math.cos(x), V8's Math.cos(x)]
    [3.7699111843077517, -0.8090169943749476, -0.8090169943749475], // 1.2 pi
    [0.2991993003418851, 0.9555728057861407, 0.9555728057861408], // math.pi * 2 / 21
    [1.0995574287564276, 0.4539904997395468, 0.45399049973954686], // math.pi * 7 / 20
  ])('cos(%s) is CPython\'s %s (Node 20\'s Math.cos gave %s)', (x, python, v8) => {
    expect(pyCos(x)).toBe(python);
    // What the runtime's own Math.cos returns is the runtime's business, not lucid-optim's:
    // reported, not asserted (another engine or version may round these differently).
    runtime.push(`Math.cos(${x}) = ${Math.cos(x)} (Node 20: ${v8}, CPython: ${python})`);
  });

  test.each([
    [0, 1],
    [1e-9, 1], // below 2^-27: 1 - x^2/2 rounds to 1
    [Math.PI, -1],
    [Math.PI / 2, 6.123233995736766e-17], // CPython
    [1e6, 0.9367521275331447], // CPython
    [1e22, 0.523214785395139], // CPython; beyond 2^20: the exact (BigInt) path
    [2 ** 1000, 0.9872460775989135], // CPython
  ])('cos(%s) = %s', (x, expected) => {
    expect(pyCos(x)).toBe(expected);
    expect(pyCos(-x)).toBe(expected);
  });

  test('where glibc is not correctly rounded, the correctly rounded value', () => {
    // cos(2.1093550674102897) = -0.51289927740590607332143... (80-digit decimal Taylor series): the
    // nearest double is -0.5128992774059061; glibc 2.36 returns -0.512899277405906 (see
    // torch-fixtures.test.ts, GLIBC_COS_ROWS: the one fixture cell this changes).
    expect(pyCos(2.1093550674102897)).toBe(-0.5128992774059061);
    expect(cosExact(2.1093550674102897)).toBe(-0.5128992774059061);
  });

  test('NaN and infinities give NaN (Python raises ValueError for the infinities; schedulers never pass them)', () => {
    expect(pyCos(NaN)).toBeNaN();
    expect(pyCos(Infinity)).toBeNaN();
    expect(pyCos(-Infinity)).toBeNaN();
  });

  test('the double-double fast path agrees with exact BigInt evaluation on 30,000 arguments', () => {
    const random = lcg(12345);
    const args: number[] = [];
    for (let i = 0; i < 10_000; i++) args.push(random() * 2 * Math.PI); // one period
    for (let i = 0; i < 5_000; i++) args.push(random() * 2 ** 20); // up to the fast path's limit
    for (let i = 0; i < 5_000; i++) args.push(Math.PI * Math.floor(random() * 1000) / Math.floor(1 + random() * 1000)); // schedules' pi * e / T
    // Near multiples of pi/2, where the reduced argument cancels: cos is tiny there.
    for (let i = 0; i < 5_000; i++) {
      const k = Math.floor(random() * 2 ** 19);
      const near = (k * Math.PI) / 2;
      args.push(near, near + near * 2 ** -52 * Math.floor(random() * 64 - 32));
    }
    const differing = args.filter((x) => pyCos(x) !== cosExact(x));
    expect(differing).toEqual([]);
  });
});

describe('pyPow', () => {
  test.each([
    // [x, y, CPython's x ** y, V8's x ** y]
    [0.7, 2.5, 0.409963413001697, 0.4099634130016969],
    [208065, 3, 9007351116674624, 9007351116674626], // a tie: 208065^3 = 9007351116674625 (54 bits), to even
  ])('%s ** %s is CPython\'s %s (Node 20\'s ** gave %s)', (x, y, python, v8) => {
    expect(pyPow(x, y)).toBe(python);
    runtime.push(`${x} ** ${y} = ${x ** y} (Node 20: ${v8}, CPython: ${python})`);
  });

  test('exact results and ties are rounded to even (the cases no precision decides)', () => {
    // 208065^3 = 9007351116674625 exactly, halfway between ...624 and ...626.
    expect(pyPow(208065, 3)).toBe(roundedIntegerPower(208065n, 3));
    // (208065^2)^1.5 = 208065^3 again: the same tie through a fractional exponent.
    expect(pyPow(208065 * 208065, 1.5)).toBe(9007351116674624);
    // 2^-1075 is halfway between 0 and the smallest subnormal 2^-1074: to even, 0 (CPython: 0.0).
    expect(pyPow(2, -1075)).toBe(0);
    expect(pyPow(2, -1074.5)).toBe(5e-324); // irrational: nearer the subnormal
    expect(pyPow(0.25, 1.5)).toBe(0.125);
    expect(pyPow(0.5, 3)).toBe(0.125);
  });

  test("CPython's special cases", () => {
    expect(pyPow(0.3, 0)).toBe(1); // x ** 0 == 1
    expect(pyPow(1, 1e300)).toBe(1); // 1 ** y == 1
    expect(pyPow(0, 2.5)).toBe(0);
    expect(pyPow(0, -1)).toBe(Infinity); // Python: ZeroDivisionError (callers refuse it)
    expect(pyPow(0.9, 2)).toBe(0.9 * 0.9); // one rounding of the exact square
    expect(pyPow(0.9, 0.5)).toBe(Math.sqrt(0.9));
    expect(pyPow(10, 400)).toBe(Infinity); // Python: OverflowError (callers refuse it)
    expect(pyPow(0.1, 400)).toBe(0);
  });

  test('the double-double fast path agrees with exact BigInt evaluation on 1,500 operand pairs', () => {
    const random = lcg(6789);
    const pairs: [number, number][] = [];
    // PolynomialLR's operands: a ratio in (0, 1] to a power in [0, 5]; gammas to small integer powers.
    for (let i = 0; i < 1000; i++) pairs.push([random(), random() * 5]);
    for (let i = 0; i < 300; i++) pairs.push([random() * 10, Math.floor(random() * 40) - 20]);
    for (let i = 0; i < 200; i++) pairs.push([1 - random() * 2 ** -20, random() * 1e6]); // near 1, large powers
    const differing = pairs.filter(([x, y]) => pyPow(x, y) !== powExact(x, y));
    expect(differing).toEqual([]);
  });
});
