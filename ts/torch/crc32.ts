// The CRC-32 of each zip entry saveTorch writes. fflate computes it a byte at a time (≈ 250 MB/s
// here: it capped saveTorch there, bench/checkpoints.mjs); the Node entry (node.ts) installs
// zlib's `crc32` when the running Node has it (≥ 20.15 / 22.2: several GB/s), and everywhere else
// (browsers, older Node) this slicing-by-8 version runs, which reads 8 bytes per table round.
// Both give the standard CRC-32 (ISO-HDLC, zip's): test/torch/torch-file.test.ts checks that the
// browser build (this version) writes the same bytes as the Node build (zlib's), and Python's
// zipfile checks Node's CRCs when it reads what saveTorch wrote (test/torch/stdlib_check.py).

/** `crc32(data, value)`: the CRC-32 of `data`, continuing from `value` (0 to start), as zlib's. */
export type Crc32 = (data: Uint8Array, value?: number) => number;

/** Slicing-by-8 tables: TABLES[k * 256 + b] is the CRC of byte b followed by k zero bytes. */
const TABLES = /* @__PURE__ */ (() => {
  const t = new Int32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  for (let k = 1; k < 8; k++) {
    for (let n = 0; n < 256; n++) {
      const prev = t[(k - 1) * 256 + n];
      t[k * 256 + n] = (prev >>> 8) ^ t[prev & 0xff];
    }
  }
  return t;
})();

/** The portable CRC-32 (slicing-by-8). */
export const portableCrc32: Crc32 = (data, value = 0) => {
  const t = TABLES;
  let c = ~value;
  const n = data.length;
  let i = 0;
  for (const end = n - (n % 8); i < end; i += 8) {
    const a = c ^ (data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24));
    const b = data[i + 4] | (data[i + 5] << 8) | (data[i + 6] << 16) | (data[i + 7] << 24);
    c =
      t[1792 + (a & 0xff)] ^
      t[1536 + ((a >>> 8) & 0xff)] ^
      t[1280 + ((a >>> 16) & 0xff)] ^
      t[1024 + (a >>> 24)] ^
      t[768 + (b & 0xff)] ^
      t[512 + ((b >>> 8) & 0xff)] ^
      t[256 + ((b >>> 16) & 0xff)] ^
      t[b >>> 24];
  }
  for (; i < n; i++) c = t[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
};

let current: Crc32 = portableCrc32;

/** @internal The CRC-32 saveTorch uses. */
export function crc32(data: Uint8Array): number {
  return current(data, 0) >>> 0;
}

/** @internal Installs a faster CRC-32 (the Node entry: zlib's). */
export function setCrc32(fn: Crc32): void {
  current = fn;
}
