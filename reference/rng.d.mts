// Types of rng.mjs (the repository's seeded generator).

/** mulberry32: uint32 values from a 32-bit seed. */
export function mulberry32Uint32(seed: number): () => number;
/** mulberry32 as floats in [0, 1) (each value is a uint32 / 2^32). */
export function mulberry32(seed: number): () => number;
