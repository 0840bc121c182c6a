// The tensor value that crosses the border with PyTorch: what loadTorch/loadSafetensors return and
// what saveTorch/saveSafetensors take. Shared with the fixtures helper (notes/torch-tensor.md).

/** The element types lucid-optim reads and writes, named as torch names them (`torch.float32` -> 'float32'). */
export type TorchDtype = 'float32' | 'float64' | 'float16' | 'bfloat16' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool';

/**
 * A dense CPU tensor: `shape` and the elements in row-major order.
 *
 * float32: Float32Array, float64: Float64Array, float16/bfloat16: Uint16Array (raw bits),
 * int64: BigInt64Array, int32: Int32Array, int16: Int16Array, int8: Int8Array, uint8: Uint8Array,
 * bool: Uint8Array (0/1). Contiguous, row-major, `shape` product elements.
 */
export interface TorchTensor {
  /** The element type, as torch names it (`'float32'`, `'int64'`, ...). */
  dtype: TorchDtype;
  /** The dimensions (`[]` for a 0-d tensor). */
  shape: number[];
  /** The elements, row-major, in a typed array of the dtype. */
  data: Float32Array | Float64Array | Uint16Array | BigInt64Array | Int32Array | Int16Array | Int8Array | Uint8Array;
}

type ArrayCtor =
  | Float32ArrayConstructor
  | Float64ArrayConstructor
  | Uint16ArrayConstructor
  | BigInt64ArrayConstructor
  | Int32ArrayConstructor
  | Int16ArrayConstructor
  | Int8ArrayConstructor
  | Uint8ArrayConstructor;

/** Per dtype: its typed array, its size in bytes, torch's legacy storage class name and safetensors' code. */
export interface DtypeInfo {
  array: ArrayCtor;
  itemsize: number;
  storage: string;
  safetensors: string;
}

/** @internal */
export const DTYPES: Record<TorchDtype, DtypeInfo> = {
  float32: { array: Float32Array, itemsize: 4, storage: 'FloatStorage', safetensors: 'F32' },
  float64: { array: Float64Array, itemsize: 8, storage: 'DoubleStorage', safetensors: 'F64' },
  float16: { array: Uint16Array, itemsize: 2, storage: 'HalfStorage', safetensors: 'F16' },
  bfloat16: { array: Uint16Array, itemsize: 2, storage: 'BFloat16Storage', safetensors: 'BF16' },
  int64: { array: BigInt64Array, itemsize: 8, storage: 'LongStorage', safetensors: 'I64' },
  int32: { array: Int32Array, itemsize: 4, storage: 'IntStorage', safetensors: 'I32' },
  int16: { array: Int16Array, itemsize: 2, storage: 'ShortStorage', safetensors: 'I16' },
  int8: { array: Int8Array, itemsize: 1, storage: 'CharStorage', safetensors: 'I8' },
  uint8: { array: Uint8Array, itemsize: 1, storage: 'ByteStorage', safetensors: 'U8' },
  bool: { array: Uint8Array, itemsize: 1, storage: 'BoolStorage', safetensors: 'BOOL' },
};

/** @internal The dtype of a legacy storage class name ('FloatStorage' -> 'float32'). */
export const DTYPE_OF_STORAGE: ReadonlyMap<string, TorchDtype> = new Map(
  (Object.keys(DTYPES) as TorchDtype[]).map((d) => [DTYPES[d].storage, d]),
);

/** @internal The dtype of a safetensors code ('F32' -> 'float32'). */
export const DTYPE_OF_SAFETENSORS: ReadonlyMap<string, TorchDtype> = new Map(
  (Object.keys(DTYPES) as TorchDtype[]).map((d) => [DTYPES[d].safetensors, d]),
);

/** Host byte order: typed-array views of little-endian files are only valid on a little-endian host. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** @internal Throws unless the host is little-endian (every platform Node and browsers ship on). */
export function assertLittleEndianHost(): void {
  if (!LITTLE_ENDIAN) throw new TypeError('lucid-optim reads and writes checkpoints only on little-endian hosts');
}

/**
 * @internal Number of elements of `shape`, each dimension a non-negative safe integer; RangeError when
 * the product exceeds `limit` (checked at every step, so a hostile shape never overflows).
 */
export function numelOf(shape: readonly unknown[], limit: number, what: string): number {
  let n = 1;
  for (const d of shape) {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) throw new TypeError(`${what}: shape entries must be non-negative integers, got ${String(d)}`);
    n *= d;
    if (n > limit) throw new RangeError(`${what}: shape [${shape.join(', ')}] has more elements than the file can hold (${limit})`);
  }
  return n;
}

/** @internal True when `v` looks like a TorchTensor (a known dtype, a shape array and a typed array). */
export function isTorchTensor(v: unknown): v is TorchTensor {
  if (typeof v !== 'object' || v === null) return false;
  const t = v as Partial<TorchTensor>;
  return typeof t.dtype === 'string' && Object.hasOwn(DTYPES, t.dtype) && Array.isArray(t.shape) && ArrayBuffer.isView(t.data);
}

/** @internal Validates a tensor given to a writer: data of the dtype's array type, `shape` product elements. */
export function checkTensor(t: TorchTensor, what: string): void {
  const info = DTYPES[t.dtype];
  if (!(t.data instanceof info.array)) throw new TypeError(`${what}: dtype '${t.dtype}' needs a ${info.array.name}, got ${t.data.constructor.name}`);
  const n = numelOf(t.shape, Number.MAX_SAFE_INTEGER, what);
  if (n !== t.data.length) throw new RangeError(`${what}: shape [${t.shape.join(', ')}] has ${n} elements, data has ${t.data.length}`);
  if (t.dtype === 'bool' && (t.data as Uint8Array).some((b) => b > 1)) throw new RangeError(`${what}: bool data must be 0 or 1`);
}

/** @internal The bytes of a typed array (a view, no copy). */
export function bytesOf(data: TorchTensor['data']): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** @internal Accepts a Uint8Array or an ArrayBuffer as the file. */
export function asBytes(bytes: Uint8Array | ArrayBuffer, what: string): Uint8Array {
  if (bytes instanceof Uint8Array) return bytes;
  if (bytes instanceof ArrayBuffer) return new Uint8Array(bytes);
  throw new TypeError(`${what}: expected a Uint8Array or an ArrayBuffer`);
}

/**
 * @internal A typed array of `dtype` over `bytes` (which must hold a whole number of elements): a view
 * when the offset is aligned, otherwise a copy. bool bytes are normalized to 0/1 (always a copy).
 */
export function typedOf(dtype: TorchDtype, bytes: Uint8Array): TorchTensor['data'] {
  const info = DTYPES[dtype];
  const n = bytes.byteLength / info.itemsize;
  if (dtype === 'bool') return Uint8Array.from(bytes, (b) => (b !== 0 ? 1 : 0));
  if (bytes.byteOffset % info.itemsize === 0) return new info.array(bytes.buffer as ArrayBuffer, bytes.byteOffset, n);
  return new info.array(bytes.slice().buffer, 0, n);
}
