// float32 arithmetic facts the fidelity suites and scripts/fidelity.mjs measure with. Not shipped.

/** Unit roundoff of float32 round-to-nearest: |fl(x) - x| <= U * |x| for normal x. */
export const U = 2 ** -24;
/** Largest absolute rounding error in the subnormal range (half the smallest subnormal). */
export const ETA = 2 ** -150;

/** A bound on the error of rounding the exact value `x` to float32 (normal or subnormal range). */
export function rho(x) {
  return U * Math.abs(x) + ETA;
}

const f32 = new Float32Array(1);
const i32 = new Int32Array(f32.buffer);

/** The float32 bit pattern of `x` (rounded to float32 first) as a signed 32-bit integer. */
export function bitsOf(x) {
  f32[0] = x;
  return i32[0];
}

/** Position of float32 `x` on a line where adjacent floats are 1 apart (-0 and +0 both at 0). */
function ordinal(x) {
  const i = bitsOf(x);
  return i < 0 ? -2147483648 - i : i;
}

/** Number of float32 values between two float32 values (0 when equal, +0 and -0 equal). */
export function ulpsBetween(a, b) {
  return Math.abs(ordinal(a) - ordinal(b));
}

/** The float32 neighbour of float32 `x` towards +Infinity (`dir = 1`) or -Infinity (`dir = -1`). */
export function nextFloat32(x, dir) {
  const o = ordinal(x) + dir;
  i32[0] = o < 0 ? -2147483648 - o : o;
  return f32[0];
}

/**
 * The spacing of float32 numbers at |x| (x any real): 2^(e - 23) for 2^e <= |x| < 2^(e+1), and
 * the subnormal spacing 2^-149 below 2^-126. Like numpy's `np.spacing(np.float32(|x|))` for x
 * already in float32, and what "ulp of the reference value" means in the reports.
 */
export function ulpOf(x) {
  const a = Math.abs(x);
  if (a < 2 ** -126) return 2 ** -149;
  let e = Math.floor(Math.log2(a));
  // log2 can be off by one next to powers of two; settle it exactly.
  if (2 ** e > a) e -= 1;
  else if (2 ** (e + 1) <= a) e += 1;
  return 2 ** (e - 23);
}

/** |got - want| in units of the float32 spacing at `want` (fractional: `want` is a float64). */
export function ulpError(got, want) {
  return Math.abs(got - want) / ulpOf(want);
}

/**
 * fma(a, b, c) = a * b + c rounded once to float32 (round to nearest, ties to even), for float32
 * a, b, c: what an FMA instruction computes. a * b is exact in float64 (48 bits); the sum's exact
 * value is s + err (TwoSum), and err only matters when s is exactly halfway between two floats.
 */
export function fma32(a, b, c) {
  const p = a * b;
  const s = p + c;
  const bb = s - p;
  const err = p - (s - bb) + (c - bb);
  let r = Math.fround(s);
  if (err !== 0 && r !== s) {
    const other = nextFloat32(r, s > r ? 1 : -1);
    if (s === (r + other) / 2) r = err > 0 ? Math.max(r, other) : Math.min(r, other);
  }
  return r;
}

/**
 * ||a - b||_2 / ||b - p0||_2 in float64, with `b` and `p0` as fixtures write them (rounded to
 * float32 here): how far `a` is from `b`, relative to how far `b` moved from `p0`.
 */
export function relativeDistance(a, b, p0) {
  let diff = 0;
  let moved = 0;
  for (let i = 0; i < b.length; i++) {
    diff += (a[i] - Math.fround(b[i])) ** 2;
    moved += (Math.fround(b[i]) - Math.fround(p0[i])) ** 2;
  }
  return Math.sqrt(diff / moved);
}

/** max |a - b| / max |b| (`b` as fixtures write it, rounded to float32): the largest error relative to the largest value. */
export function relativeMaxError(a, b) {
  let err = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    err = Math.max(err, Math.abs(a[i] - Math.fround(b[i])));
    scale = Math.max(scale, Math.abs(Math.fround(b[i])));
  }
  return scale === 0 ? err : err / scale;
}
