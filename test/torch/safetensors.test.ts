// loadSafetensors/saveSafetensors: round trips of every dtype, the layout, and malformed files.
import { describe, expect, test } from 'vitest';
import { loadSafetensors, saveSafetensors, type TorchTensor } from 'lucid-optim';
import { canonical, tensor } from './torch-helpers.js';

const sample = (): Map<string, TorchTensor> =>
  new Map([
    ['f32', tensor('float32', [2, 2], new Float32Array([1, -0, NaN, Infinity]))],
    ['f64', tensor('float64', [1], new Float64Array([Math.E]))],
    ['f16', tensor('float16', [2], new Uint16Array([0x3c00, 0xfc00]))],
    ['bf16', tensor('bfloat16', [], new Uint16Array([0x3f80]))],
    ['i64', tensor('int64', [2], new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n]))],
    ['i32', tensor('int32', [1, 1], new Int32Array([-5]))],
    ['i16', tensor('int16', [3], new Int16Array([1, -1, 32767]))],
    ['i8', tensor('int8', [1], new Int8Array([-128]))],
    ['u8', tensor('uint8', [3], new Uint8Array([0, 128, 255]))],
    ['bool', tensor('bool', [2], new Uint8Array([0, 1]))],
    ['empty', tensor('float32', [0], new Float32Array(0))],
  ]);

/** A safetensors file from a header object and a data area. */
function file(header: unknown, data = new Uint8Array(0)): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setUint32(0, json.length, true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

describe('round trips', () => {
  test('every dtype, with metadata', () => {
    const { tensors, metadata } = loadSafetensors(saveSafetensors(sample(), { format: 'pt', note: 'ünï' }));
    expect(metadata).toEqual({ format: 'pt', note: 'ünï' });
    expect(new Set(tensors.keys())).toEqual(new Set(sample().keys()));
    for (const [k, t] of sample()) expect(canonical(tensors.get(k))).toEqual(canonical(t));
  });

  test('a plain object of tensors and no metadata', () => {
    const { tensors, metadata } = loadSafetensors(saveSafetensors({ w: tensor('float32', [2], new Float32Array([1, 2])) }));
    expect(metadata).toEqual({});
    expect(Array.from(tensors.get('w')!.data as Float32Array)).toEqual([1, 2]);
  });

  test('layout: header padded to 8 bytes, tensors by decreasing element size, each aligned to its size', () => {
    const bytes = saveSafetensors(sample());
    const n = new DataView(bytes.buffer).getUint32(0, true);
    expect(n % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
    for (const [k, t] of sample()) {
      const size = { float64: 8, int64: 8, float32: 4, int32: 4, float16: 2, bfloat16: 2, int16: 2, int8: 1, uint8: 1, bool: 1 }[t.dtype];
      expect(header[k].data_offsets[0] % size).toBe(0);
    }
    // Aligned tensors are views of the file's bytes.
    const { tensors } = loadSafetensors(bytes);
    expect(tensors.get('f64')!.data.buffer).toBe(bytes.buffer);
  });
});

describe('malformed files: TypeError or RangeError', () => {
  test('shorter than 8 bytes; a header length beyond the file', () => {
    expect(() => loadSafetensors(new Uint8Array(3))).toThrow(RangeError);
    const b = new Uint8Array(16);
    new DataView(b.buffer).setUint32(4, 1, true); // 2^32
    expect(() => loadSafetensors(b)).toThrow(RangeError);
  });

  test('a header that is not JSON, not an object, or not UTF-8', () => {
    const raw = (s: Uint8Array) => {
      const out = new Uint8Array(8 + s.length);
      out[0] = s.length;
      out.set(s, 8);
      return out;
    };
    expect(() => loadSafetensors(raw(new TextEncoder().encode('{"a":')))).toThrow(TypeError);
    expect(() => loadSafetensors(file([1, 2]))).toThrow(TypeError);
    expect(() => loadSafetensors(raw(Uint8Array.from([0x22, 0xff, 0x22])))).toThrow(TypeError);
  });

  test('an unknown dtype, a bad shape, bad offsets', () => {
    expect(() => loadSafetensors(file({ a: { dtype: 'C64', shape: [1], data_offsets: [0, 8] } }, new Uint8Array(8)))).toThrow(/unsupported dtype/);
    expect(() => loadSafetensors(file({ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, new Uint8Array(4)))).toThrow(TypeError);
    expect(() => loadSafetensors(file({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, new Uint8Array(4)))).toThrow(RangeError);
    expect(() => loadSafetensors(file({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, new Uint8Array(4)))).toThrow(RangeError);
    expect(() => loadSafetensors(file({ a: { dtype: 'F32', shape: [1], data_offsets: [0] } }, new Uint8Array(4)))).toThrow(TypeError);
  });

  test('a 2^31-element tensor in a tiny file', () => {
    expect(() => loadSafetensors(file({ a: { dtype: 'U8', shape: [2 ** 31], data_offsets: [0, 2 ** 31] } }, new Uint8Array(4)))).toThrow(RangeError);
  });

  test('overlapping tensors, a gap, trailing bytes', () => {
    const d = new Uint8Array(8);
    expect(() => loadSafetensors(file({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, d))).toThrow(RangeError);
    expect(() => loadSafetensors(file({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, d))).toThrow(RangeError);
    expect(() => loadSafetensors(file({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, d))).toThrow(RangeError);
  });

  test('metadata that is not strings', () => {
    expect(() => loadSafetensors(file({ __metadata__: { a: 1 } }))).toThrow(TypeError);
  });

  test('saveSafetensors refuses non-tensors, mismatched data and bad metadata', () => {
    expect(() => saveSafetensors({ a: [1, 2] as never })).toThrow(TypeError);
    expect(() => saveSafetensors({ a: tensor('float32', [3], new Float32Array(2)) })).toThrow(RangeError);
    expect(() => saveSafetensors({ a: tensor('float32', [2], new Float64Array(2)) })).toThrow(TypeError);
    expect(() => saveSafetensors({}, { a: 1 } as never)).toThrow(TypeError);
    expect(() => saveSafetensors({ a: tensor('bool', [2], new Uint8Array([1, 2])) })).toThrow(/bool data must be 0 or 1/);
  });
});
