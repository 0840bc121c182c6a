// Python's `math.cos(x)` and `x ** y` as the schedulers need them: correctly rounded.
//
// torch's lr_scheduler.py calls Python's math.cos and **, which are the C library's cos() and pow().
// V8's Math.cos and ** are fdlibm ports: on glibc 2.36 (x86-64) they return a different double for
// about 3% (cos) and 7% (pow) of arguments, and because CosineAnnealingLR's formula is recursive
// one such ulp spoils every later learning rate. glibc's results are the correctly rounded ones
// for all but about 0.1% of arguments (measured against 80-digit decimal arithmetic), so this
// module computes the correctly rounded value: a fast path in double-double arithmetic with an
// error bound, and, when the bound cannot decide the rounding (rarely) or the argument is huge, an
// exact evaluation with BigInt fixed-point arithmetic. The fast path allocates nothing.

const SPLIT = 134217729; // 2^27 + 1, Veltkamp's splitter
const BITS = new DataView(new ArrayBuffer(8));

/**
 * The registers of the fast paths: double-double values (high part at i, low part at i + 1). The
 * helpers below take register indices and return nothing, so that a call V8 does not inline passes
 * small integers only: doubles would be boxed into heap numbers, and a scheduler step must not allocate.
 */
const F = new Float64Array(32);
const IO = 0; // pyCos / pyPow: the arguments in, the result out
const RR = 2; // the reduced argument (cos), the series' result
const ZZ = 4; // its square
const SS = 6; // partial results
const TT = 8;
const P0 = 10; // products k * (part of pi/2 or ln 2), negated
const P1 = 12;
const P2 = 14;
const UU = 16; // single-double operands
const VV = 18;
const CC = 20; // a series coefficient
const WW = 22; // scratch of ddDiv

/** F[o] + F[o+1] = F[a] + F[b] exactly (Knuth's TwoSum). */
function twoSum(o: number, a: number, b: number): void {
  const x = F[a];
  const y = F[b];
  const s = x + y;
  const bb = s - x;
  F[o] = s;
  F[o + 1] = x - (s - bb) + (y - bb);
}

/** F[o] + F[o+1] = F[a] * F[b] exactly (Dekker's TwoProduct); |F[a]|, |F[b]| < 2^996. */
function twoProd(o: number, a: number, b: number): void {
  const x = F[a];
  const y = F[b];
  const p = x * y;
  let t = SPLIT * x;
  const xh = t - (t - x);
  const xl = x - xh;
  t = SPLIT * y;
  const yh = t - (t - y);
  const yl = y - yh;
  F[o] = p;
  F[o + 1] = xh * yh - p + xh * yl + xl * yh + xl * yl;
}

/** dd(o) = dd(a) * dd(b), relative error below 2^-102. */
function ddMul(o: number, a: number, b: number): void {
  const al = F[a + 1];
  const bh = F[b];
  const bl = F[b + 1];
  const ah = F[a];
  twoProd(TT, a, b);
  const p = F[TT];
  const e = F[TT + 1] + (ah * bl + al * bh);
  const s = p + e;
  F[o] = s;
  F[o + 1] = e - (s - p);
}

/** dd(o) = dd(a) + dd(b), relative error below 2^-103 (the "accurate" double-double sum). */
function ddAdd(o: number, a: number, b: number): void {
  const al = F[a + 1];
  const bl = F[b + 1];
  twoSum(TT, a, b);
  let s = F[TT];
  let e = F[TT + 1];
  const t = al + bl;
  const tt = t - al;
  const f = al - (t - tt) + (bl - tt);
  e += t;
  let u = s + e;
  e -= u - s;
  s = u;
  e += f;
  u = s + e;
  F[o] = u;
  F[o + 1] = e - (u - s);
}

/** dd(o) = dd(a) + F[d], relative error below 2^-104 (sums of doubles of any magnitudes, one at a time). */
function ddAddD(o: number, a: number, d: number): void {
  const al = F[a + 1];
  twoSum(TT, a, d);
  const s = F[TT];
  const e = F[TT + 1] + al;
  const u = s + e;
  F[o] = u;
  F[o + 1] = e - (u - s);
}

/** dd(o) = dd(a) / dd(b), relative error below 2^-101. */
function ddDiv(o: number, a: number, b: number): void {
  const bh = F[b];
  const q1 = F[a] / bh;
  F[UU] = q1;
  F[UU + 1] = 0;
  ddMul(WW, UU, b);
  F[WW] = -F[WW];
  F[WW + 1] = -F[WW + 1];
  ddAdd(WW, a, WW);
  const q2 = F[WW] / bh;
  const s = q1 + q2;
  F[o] = s;
  F[o + 1] = q2 - (s - q1);
}

/** F[o] = 2^e, exactly, for -1022 <= e <= 1023. */
function powerOfTwoTo(o: number, e: number): void {
  BITS.setUint32(0, (e + 1023) << 20);
  BITS.setUint32(4, 0);
  F[o] = BITS.getFloat64(0);
}

// ---------------------------------------------------------------------------------------------
// Exact arithmetic (BigInt fixed point): the reference, and the fallback of the fast paths.

/** A finite double as `mantissa * 2^exponent`, mantissa an integer. */
function decompose(x: number): [bigint, number] {
  BITS.setFloat64(0, x);
  const hi = BITS.getUint32(0);
  const lo = BITS.getUint32(4);
  const field = (hi >>> 20) & 0x7ff;
  const fraction = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  const sign = hi >>> 31 === 1 ? -1n : 1n;
  if (field === 0) return [sign * fraction, -1074];
  return [sign * (fraction | (1n << 52n)), field - 1075];
}

function bitLength(n: bigint): number {
  return n === 0n ? 0 : (n < 0n ? -n : n).toString(2).length;
}

/** 2^e as a double, exactly, for -1074 <= e <= 1023. */
function powerOfTwo(e: number): number {
  if (e < -1022) return powerOfTwo(e + 600) * powerOfTwo(-600);
  BITS.setUint32(0, (e + 1023) << 20);
  BITS.setUint32(4, 0);
  return BITS.getFloat64(0);
}

/** `n * 2^-scale`, correctly rounded to a double (ties to even), subnormals and overflow included. */
export function fixedToDouble(n: bigint, scale: number): number {
  if (n === 0n) return 0;
  const negative = n < 0n;
  let m = negative ? -n : n;
  const length = bitLength(m);
  // Keep 53 significant bits, or fewer where the result is subnormal (lowest bit 2^-1074).
  const shift = Math.max(length - 53, scale - 1074);
  let e = -scale;
  if (shift > 0) {
    const kept = m >> BigInt(shift);
    const rest = m - (kept << BigInt(shift));
    const half = 1n << BigInt(shift - 1);
    m = rest > half || (rest === half && (kept & 1n) === 1n) ? kept + 1n : kept;
    e += shift;
  }
  // m <= 2^53 fits a double exactly; the scaling is exact unless it overflows.
  const bits = bitLength(m);
  let value: number;
  if (e + bits > 1024) value = Infinity;
  else value = Number(m) * powerOfTwo(e);
  return negative ? -value : value;
}

/** `floor(2^bits * atanh(1 / n))`-ish sums: `sum 1 / ((2k+1) n^(2k+1))`, with alternating signs if `alternate`. */
function inverseSeries(n: bigint, bits: number, alternate: boolean): bigint {
  let power = (1n << BigInt(bits)) / n;
  let sum = 0n;
  const n2 = n * n;
  for (let k = 0n; power !== 0n; k++) {
    const term = power / (2n * k + 1n);
    sum += alternate && k % 2n === 1n ? -term : term;
    power /= n2;
  }
  return sum;
}

const GUARD = 32;
let piCache: [number, bigint] = [0, 0n];
/** pi in fixed point with `bits` fractional bits, error below 1 unit (Machin's formula). */
function fixedPi(bits: number): bigint {
  if (piCache[0] < bits + GUARD) {
    const w = bits + GUARD;
    piCache = [w, 16n * inverseSeries(5n, w, true) - 4n * inverseSeries(239n, w, true)];
  }
  return piCache[1] >> BigInt(piCache[0] - bits);
}

let ln2Cache: [number, bigint] = [0, 0n];
/** ln 2 = 2 atanh(1/3) in fixed point with `bits` fractional bits, error below 1 unit. */
function fixedLn2(bits: number): bigint {
  if (ln2Cache[0] < bits + GUARD) {
    const w = bits + GUARD;
    ln2Cache = [w, 2n * inverseSeries(3n, w, false)];
  }
  return ln2Cache[1] >> BigInt(ln2Cache[0] - bits);
}

/**
 * Rounds a value computed in fixed point: `compute(bits)` returns `[v, err, scale]` with the
 * exact value within `(v ± err) * 2^-scale`. Raises the precision until both ends of that interval
 * round to the same double (the values here are transcendental, never exactly halfway).
 */
function roundExact(compute: (bits: number) => [bigint, bigint, number]): number {
  for (let bits = 128; ; bits *= 2) {
    const [v, err, scale] = compute(bits);
    const low = fixedToDouble(v - err, scale);
    if (low === fixedToDouble(v + err, scale)) return low;
  }
}

/** cos(x) for a finite x, correctly rounded, in BigInt arithmetic (the reference). */
export function cosExact(x: number): number {
  const [mantissa, exponent] = decompose(Math.abs(x));
  if (mantissa === 0n) return 1;
  return roundExact((bits) => {
    // Enough guard bits that k * (error of pi/2) stays below 2^-bits.
    const w = bits + Math.max(0, exponent + 53) + 16;
    const halfPi = fixedPi(w) >> 1n; // error below 1.5 units
    const shift = exponent + w;
    const scaled = shift >= 0 ? mantissa << BigInt(shift) : mantissa >> BigInt(-shift);
    const k = (scaled + halfPi / 2n) / halfPi; // nearest multiple of pi/2
    const r = scaled - k * halfPi; // |r| <= pi/4 (in units of 2^-w), error below 1.5k + 1
    const r2 = (r * r) >> BigInt(w);
    const quadrant = Number(k % 4n);
    // cos(x) = cos r, -sin r, -cos r, sin r in quadrants 0..3.
    let term = quadrant % 2 === 0 ? 1n << BigInt(w) : r;
    let sum = term;
    let terms = 0;
    for (let n = quadrant % 2 === 0 ? 1n : 2n; term !== 0n; n += 2n, terms++) {
      term = -((term * r2) >> BigInt(w)) / (n * (n + 1n));
      sum += term;
    }
    const err = 2n * k + BigInt(4 * terms + 16);
    return [quadrant === 1 || quadrant === 2 ? -sum : sum, err, w];
  });
}

function integerSqrt(n: bigint): bigint {
  if (n < 2n) return n;
  let x = 1n << BigInt((bitLength(n) >> 1) + 1);
  for (;;) {
    const next = (x + n / x) >> 1n;
    if (next >= x) return x;
    x = next;
  }
}

/**
 * x ** y rounded, when it is a dyadic rational short enough to be a double or a midpoint between
 * two (the only cases where no precision decides the rounding), else undefined. With x = t 2^g,
 * t odd: a power of two when t = 1 and g y is an integer; `t^y 2^(gy)` for an integer y > 0;
 * `u^p 2^(gp/2^k)` for y = p/2^k, k <= 5, when t = u^(2^k). A midpoint needs 54 significant bits,
 * so t > 1 with more than 34 factors cannot be one; 1/t^n (t > 1, odd) is not dyadic at all.
 * The caller has checked |y log2 x| <= 1100.
 */
function dyadicPower(x: number, y: number): number | undefined {
  let [t, g] = decompose(x);
  while ((t & 1n) === 0n) [t, g] = [t >> 1n, g + 1];
  let [p, ey] = decompose(y);
  if (p === 0n) return 1;
  while ((p & 1n) === 0n) [p, ey] = [p >> 1n, ey + 1];
  const gp = BigInt(g) * p;
  if (t === 1n) {
    if (ey >= 0) return fixedToDouble(1n, -Number(gp << BigInt(ey)));
    const root = 1n << BigInt(-ey);
    return gp % root === 0n ? fixedToDouble(1n, -Number(gp / root)) : undefined;
  }
  if (p < 0n) return undefined;
  if (ey >= 0) {
    const n = p << BigInt(ey);
    return n <= 34n ? fixedToDouble(t ** n, -Number(gp << BigInt(ey))) : undefined;
  }
  const k = -ey;
  if (k > 5 || p > 34n) return undefined;
  let u = t;
  for (let i = 0; i < k; i++) u = integerSqrt(u);
  const root = 1n << BigInt(k);
  if (u ** root !== t || gp % root !== 0n) return undefined;
  return fixedToDouble(u ** p, -Number(gp / root));
}

/** x ** y for finite x > 0 and finite y, correctly rounded, in BigInt arithmetic (the reference). */
export function powExact(x: number, y: number): number {
  // Certain overflow or underflow (below half the smallest subnormal): 2^1100, 2^-1100.
  const log2 = y * Math.log2(x);
  if (log2 > 1100) return Infinity;
  if (log2 < -1100) return 0;
  const dyadic = dyadicPower(x, y);
  if (dyadic !== undefined) return dyadic;
  const [mx, ex] = decompose(x);
  const [my, ey] = decompose(y);
  // x = m * 2^e with m in [1, 2).
  const e = ex + bitLength(mx) - 1;
  const yBits = Math.max(0, bitLength(my) + ey);
  return roundExact((bits) => {
    const w = bits + yBits + bitLength(BigInt(Math.abs(e) + 4)) + 16;
    const one = 1n << BigInt(w);
    const shift = w - bitLength(mx) + 1;
    const m = shift >= 0 ? mx << BigInt(shift) : mx >> BigInt(-shift);
    // ln m = 2 atanh(s), s = (m - 1) / (m + 1) <= 1/3.
    const s = ((m - one) << BigInt(w)) / (m + one);
    const s2 = (s * s) >> BigInt(w);
    let power = s;
    let lnm = 0n;
    for (let k = 0n; power !== 0n; k++) {
      lnm += power / (2n * k + 1n);
      power = (power * s2) >> BigInt(w);
    }
    const ln2 = fixedLn2(w);
    const lnx = BigInt(e) * ln2 + 2n * lnm; // error below |e| + 2w units
    const product = lnx * my;
    const t = ey >= 0 ? product << BigInt(ey) : product >> BigInt(-ey); // y ln x
    const k = (t + (t >= 0n ? ln2 / 2n : -ln2 / 2n)) / ln2;
    const r = t - k * ln2; // |r| <= ln2 / 2
    let term = one;
    let sum = one;
    let terms = 0;
    for (let n = 1n; term !== 0n; n++, terms++) {
      term = ((term * r) >> BigInt(w)) / n;
      sum += term;
    }
    // Error of t in units: |y| (|e| + 2w + 1) + 1; of r: that + |k|; exp(r) <= 1.5 amplifies it.
    const yMagnitude = 1n << BigInt(yBits + 1);
    const errT = yMagnitude * BigInt(Math.abs(e) + 2 * w + 2) + 1n;
    const err = 2n * (errT + (k < 0n ? -k : k) + 2n) + BigInt(2 * terms + 8);
    return [sum, err, w - Number(k)];
  });
}

// ---------------------------------------------------------------------------------------------
// Fast paths in double-double arithmetic.

/** A rational as a double-double: the nearest double, and the nearest double to the rest. */
function rationalPair(numerator: bigint, denominator: bigint): [number, number] {
  const w = 256;
  const fixed = (numerator << BigInt(w)) / denominator;
  const hi = fixedToDouble(fixed, w);
  const [mh, eh] = decompose(hi);
  const hiFixed = eh + w >= 0 ? mh << BigInt(eh + w) : mh >> BigInt(-eh - w);
  return [hi, fixedToDouble(fixed - hiFixed, w)];
}

/** Coefficient tables (hi parts, lo parts) of a series, from exact rationals. */
function table(count: number, coefficient: (i: number) => [bigint, bigint]): [Float64Array, Float64Array] {
  const hi = new Float64Array(count);
  const lo = new Float64Array(count);
  for (let i = 0; i < count; i++) [hi[i], lo[i]] = rationalPair(...coefficient(i));
  return [hi, lo];
}

function factorial(n: number): bigint {
  let f = 1n;
  for (let i = 2n; i <= BigInt(n); i++) f *= i;
  return f;
}

// Taylor coefficients: |r| <= 0.8 needs r^31/31! < 2^-120 for cos and sin, r^26/26! for exp (|r| <= 0.35).
const [COS_HI, COS_LO] = table(16, (i) => [i % 2 === 0 ? 1n : -1n, factorial(2 * i)]); // (-1)^i / (2i)!
const [SIN_HI, SIN_LO] = table(16, (i) => [i % 2 === 0 ? 1n : -1n, factorial(2 * i + 1)]); // (-1)^i / (2i+1)!
const [ATANH_HI, ATANH_LO] = table(24, (i) => [1n, BigInt(2 * i + 1)]); // 1 / (2i+1)
const [EXP_HI, EXP_LO] = table(27, (i) => [1n, factorial(i)]); // 1 / i!

// pi/2 = PIO2_0 + PIO2_1 + PIO2_2 + PIO2_3 + O(2^-215), each the nearest double to the rest (computed
// with 120-digit decimal arithmetic; test/schedulers/python-math.test.ts checks the fast path, which
// uses them, against the exact one, which computes pi with Machin's formula).
const PIO2_0 = 1.5707963267948966; // 0x1.921fb54442d18p+0
const PIO2_1 = 6.123233995736766e-17; // 0x1.1a62633145c07p-54
const PIO2_2 = -1.4973849048591698e-33; // -0x1.f1976b7ed8fbcp-110
const PIO2_3 = 5.562271104316826e-50; // 0x1.4cf98e804177dp-164
const TWO_OVER_PI = 0.6366197723675814;
// ln 2 = LN2_0 + LN2_1 + LN2_2 + O(2^-165).
const LN2_0 = 0.6931471805599453; // 0x1.62e42fefa39efp-1
const LN2_1 = 2.3190468138462996e-17; // 0x1.abc9e3b39803fp-56
const LN2_2 = 5.707708438416212e-34; // 0x1.7b57a079a1934p-111

const TWO_M27 = 1 / 134217728; // 2^-27
const TWO_M48 = TWO_M27 / 2097152; // 2^-48
const TWO_M52 = TWO_M48 / 16;
const TWO_M96 = TWO_M48 * TWO_M48;
const TWO_M100 = TWO_M96 / 16;
const COS_FAST_LIMIT = 1048576; // 2^20: beyond it, argument reduction needs more than double-double

/** Horner's rule in double-double: dd(o) = sum c_i z^i, z = dd(z), c_i = hi[i] + lo[i]. */
function horner(o: number, hi: Float64Array, lo: Float64Array, z: number): void {
  const n = hi.length;
  F[o] = hi[n - 1];
  F[o + 1] = lo[n - 1];
  for (let i = n - 2; i >= 0; i--) {
    ddMul(o, o, z);
    F[CC] = hi[i];
    F[CC + 1] = lo[i];
    ddAdd(o, o, CC);
  }
}

/**
 * The registers through which a scheduler's step calls {@link cosInPlace} and {@link powInPlace}:
 * write the arguments into `PY[PY_X]` (and `PY[PY_Y]`), call, read the result from `PY[PY_X]`.
 * A double passed to or returned from a call that V8 does not inline is boxed into a heap number,
 * and whether it inlines depends on when the optimizing compiler runs; through the registers a
 * step allocates nothing either way. ({@link pyCos} and {@link pyPow} are the plain-call forms,
 * for code that may allocate.)
 */
export const PY: Float64Array = F;
/** The argument in, and the result out. */
export const PY_X = IO;
/** `powInPlace`'s exponent. */
export const PY_Y = IO + 1;

/** Python's `math.cos(x)`: the correctly rounded cosine. Allocates nothing for |x| < 2^20, if inlined. */
export function pyCos(x: number): number {
  F[IO] = x;
  cosInPlace();
  return F[IO];
}

/** PY[PY_X] = cos(PY[PY_X]), correctly rounded (Python's `math.cos`). */
export function cosInPlace(): void {
  const ax = Math.abs(F[IO]);
  if (ax < TWO_M27) {
    F[IO] = 1; // 1 - x^2/2 is within half an ulp below 1
    return;
  }
  if (!(ax < COS_FAST_LIMIT)) {
    F[IO] = ax === Infinity || ax !== ax ? NaN : cosExact(ax);
    return;
  }
  // r = ax - k pi/2 in double-double: every product exact (TwoProduct), so the only errors are
  // those of the double-double sums (relative 2^-104 of magnitudes below |ax - p0| + 2^-49 (ax + 1)).
  const k = Math.round(ax * TWO_OVER_PI);
  F[UU] = k;
  F[VV] = -PIO2_0;
  twoProd(P0, UU, VV);
  F[VV] = -PIO2_1;
  twoProd(P1, UU, VV);
  F[VV] = -PIO2_2;
  twoProd(P2, UU, VV);
  F[VV] = ax;
  twoSum(RR, VV, P0);
  const first = Math.abs(F[RR]);
  ddAddD(RR, RR, P0 + 1);
  ddAddD(RR, RR, P1);
  ddAddD(RR, RR, P1 + 1);
  ddAddD(RR, RR, P2);
  ddAddD(RR, RR, P2 + 1);
  F[VV] = -k * PIO2_3;
  ddAddD(RR, RR, VV);
  const errR = TWO_M100 * (first + TWO_M48 * (ax + 1));
  // cos(x) = cos r, -sin r, -cos r, sin r in quadrants 0..3 (k < 2^20).
  const quadrant = k & 3;
  ddMul(ZZ, RR, RR);
  if ((quadrant & 1) === 0) {
    horner(SS, COS_HI, COS_LO, ZZ);
  } else {
    horner(SS, SIN_HI, SIN_LO, ZZ);
    ddMul(SS, SS, RR);
  }
  // Series and sums: relative error below 2^-96; |d cos/dr| <= 1 carries errR through. Both ends of
  // h + l ± err round to the same double, or the exact evaluation decides (the slack covers rounding l ± err).
  const h = F[SS];
  const l = F[SS + 1];
  const err = (errR + TWO_M96 * Math.abs(h)) * (1 + TWO_M48) + TWO_M52 * Math.abs(l);
  const low = h + (l - err);
  if (low !== h + (l + err)) {
    F[IO] = cosExact(ax);
    return;
  }
  F[IO] = quadrant === 1 || quadrant === 2 ? -low : low;
}

/**
 * Python's `x ** y` for the schedulers' operands (`x >= 0`, both finite): the correctly rounded
 * power, with CPython's special cases (`x ** 0 == 1`, `1 ** y == 1`). `0 ** y` for y < 0 (a
 * ZeroDivisionError in Python) and overflow (OverflowError) return Infinity: callers check.
 * Allocates nothing for normal operands and results.
 */
export function pyPow(x: number, y: number): number {
  F[IO] = x;
  F[IO + 1] = y;
  powInPlace();
  return F[IO];
}

/** PY[PY_X] = PY[PY_X] ** PY[PY_Y], correctly rounded (Python's `**`, as {@link pyPow}). */
export function powInPlace(): void {
  const x = F[IO];
  const y = F[IO + 1];
  if (y === 0 || x === 1) {
    F[IO] = 1;
    return;
  }
  if (!(x >= 0) || !Number.isFinite(x) || !Number.isFinite(y)) throw new Error(`pyPow: unsupported operands ${x} ** ${y}`);
  if (x === 0 || y === 1 || y === 2 || y === 0.5) {
    // 0 ** y; x; one rounding of the exact square; IEEE sqrt is correctly rounded.
    F[IO] = x === 0 ? (y > 0 ? 0 : Infinity) : y === 1 ? x : y === 2 ? x * x : Math.sqrt(x);
    return;
  }
  BITS.setFloat64(0, x);
  const high = BITS.getUint32(0);
  const field = (high >>> 20) & 0x7ff;
  if (field === 0) {
    F[IO] = powExact(x, y); // subnormal x
    return;
  }
  // x = m 2^e with m in [sqrt(1/2), sqrt(2)): m is x with the exponent of 1.
  let e = field - 1023;
  BITS.setUint32(0, (high & 0x800fffff) | 0x3ff00000);
  let m = BITS.getFloat64(0);
  if (m > Math.SQRT2) {
    m /= 2;
    e += 1;
  }
  // ln m = 2 atanh(s) = 2 s (1 + s^2/3 + s^4/5 + ...), s = (m - 1) / (m + 1), |s| <= 0.1716.
  F[UU] = m;
  F[VV] = 1;
  twoSum(TT + 0, UU, VV); // m + 1 (TT is ddDiv's scratch too: copy it out first)
  F[P1] = F[TT];
  F[P1 + 1] = F[TT + 1];
  F[P0] = m - 1; // exact (Sterbenz)
  F[P0 + 1] = 0;
  ddDiv(SS, P0, P1);
  ddMul(ZZ, SS, SS);
  horner(RR, ATANH_HI, ATANH_LO, ZZ);
  F[SS] *= 2;
  F[SS + 1] *= 2;
  ddMul(RR, RR, SS);
  const lnm = Math.abs(F[RR]);
  // ln x = e ln2 + ln m: e * LN2_0 is exact (TwoProduct), e * LN2_1 a correction below its ulp.
  F[UU] = e;
  F[VV] = LN2_0;
  twoProd(P2, UU, VV);
  F[P2 + 1] += e * LN2_1;
  ddAdd(RR, P2, RR);
  const lnx = Math.abs(F[RR]);
  const errLn = TWO_M100 * (lnm + Math.abs(e));
  // t = y ln x.
  F[UU] = y;
  F[UU + 1] = 0;
  ddMul(SS, RR, UU);
  const th = F[SS];
  // Keep the result and its low part normal: beyond these, the exact path (also overflow and subnormals).
  if (!(th < 700 && th > -600)) {
    F[IO] = powExact(x, y);
    return;
  }
  // exp(t) = 2^k exp(r), r = t - k ln2, |r| <= 0.35; k ln2 exact in its first two parts.
  const k = Math.round(th / LN2_0);
  F[UU] = k;
  F[VV] = -LN2_0;
  twoProd(P0, UU, VV);
  F[VV] = -LN2_1;
  twoProd(P1, UU, VV);
  F[P1 + 1] -= k * LN2_2;
  ddAdd(SS, SS, P0);
  ddAdd(SS, SS, P1);
  horner(RR, EXP_HI, EXP_LO, SS);
  powerOfTwoTo(VV, k | 0); // an int32 (|k| < 1100): passed as a small integer, never boxed
  const h = F[RR] * F[VV];
  const l = F[RR + 1] * F[VV];
  // Relative error: that of t (|y| errLn and the sums), of r, and of the series, each well below 2^-90.
  const errT = Math.abs(y) * errLn + TWO_M100 * (Math.abs(th) + lnx + 1);
  const err = Math.abs(h) * (2 * errT + TWO_M96) * (1 + TWO_M48) + TWO_M52 * Math.abs(l);
  const low = h + (l - err);
  F[IO] = low === h + (l + err) ? low : powExact(x, y);
}
