// The one seeded generator of the repository, for tests, scripts, benchmarks and examples alike:
// mulberry32, in integer steps only, so every JavaScript engine gives the same sequence, bit for
// bit, and so does the Rust benches' `Rng` (crates/adam-core/benches/common/mod.rs). Not shipped
// with the package. Types in rng.d.mts.

/** mulberry32: uint32 values from a 32-bit seed. */
export function mulberry32Uint32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** mulberry32 as floats in [0, 1) (each value is a uint32 / 2^32): the demos' and test problems' generator. */
export function mulberry32(seed) {
  const next = mulberry32Uint32(seed);
  return () => next() / 4294967296;
}
