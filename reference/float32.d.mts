/** Unit roundoff of float32 round-to-nearest: |fl(x) - x| <= U * |x| for normal x. */
export const U: number;
/** Largest absolute rounding error in the subnormal range (half the smallest subnormal). */
export const ETA: number;
/** A bound on the error of rounding the exact value `x` to float32 (normal or subnormal range). */
export function rho(x: number): number;
/** The float32 bit pattern of `x` (rounded to float32 first) as a signed 32-bit integer. */
export function bitsOf(x: number): number;
/** Number of float32 values between two float32 values (0 when equal, +0 and -0 equal). */
export function ulpsBetween(a: number, b: number): number;
/** The float32 neighbour of float32 `x` towards +Infinity (`dir = 1`) or -Infinity (`dir = -1`). */
export function nextFloat32(x: number, dir: 1 | -1): number;
/** The spacing of float32 numbers at |x|. */
export function ulpOf(x: number): number;
/** |got - want| in units of the float32 spacing at `want`. */
export function ulpError(got: number, want: number): number;
/** fma(a, b, c) = a * b + c rounded once to float32, for float32 a, b, c. */
export function fma32(a: number, b: number, c: number): number;
/** ||a - b||_2 / ||b - p0||_2 in float64 (`b`, `p0` rounded to float32): how far `a` is from `b`, relative to how far `b` moved. */
export function relativeDistance(a: ArrayLike<number>, b: readonly number[], p0: readonly number[]): number;
/** max |a - b| / max |b| (`b` rounded to float32). */
export function relativeMaxError(a: ArrayLike<number>, b: readonly number[]): number;
