// safetensors files (huggingface/safetensors' format): an 8-byte little-endian header length N, N
// bytes of JSON ({ name: { dtype, shape, data_offsets: [begin, end] }, "__metadata__": {...} }),
// then the tensors' bytes, which the offsets (relative to the end of the header) must cover exactly.

import { DTYPES, DTYPE_OF_SAFETENSORS, asBytes, assertLittleEndianHost, bytesOf, checkTensor, isTorchTensor, numelOf, typedOf, type TorchTensor } from './tensor.js';

/** The reference implementation refuses headers above 100 MB (`MAX_HEADER_SIZE`). */
const MAX_HEADER = 100_000_000;

/** What {@link loadSafetensors} returns. */
export interface Safetensors {
  /** The tensors, by name, in the file's order. */
  tensors: Map<string, TorchTensor>;
  /** The file's `__metadata__` (string to string), empty if it has none. */
  metadata: Record<string, string>;
}

const fail = (msg: string): never => {
  throw new TypeError(`loadSafetensors: ${msg}`);
};

/**
 * Reads a safetensors file. Tensors are views of `bytes` where alignment allows (they share memory
 * with it), copies otherwise. A malformed header is a TypeError, offsets or sizes that do not fit
 * the file a RangeError.
 *
 * @example
 * ```ts
 * const { tensors, metadata } = loadSafetensors(readFileSync('model.safetensors'));
 * ```
 */
export function loadSafetensors(bytes: Uint8Array | ArrayBuffer): Safetensors {
  assertLittleEndianHost();
  const file = asBytes(bytes, 'loadSafetensors');
  if (file.length < 8) throw new RangeError('loadSafetensors: the file is shorter than its 8-byte header length');
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const n = view.getUint32(0, true) + view.getUint32(4, true) * 2 ** 32;
  if (n > file.length - 8 || n > MAX_HEADER) throw new RangeError(`loadSafetensors: header length ${n} does not fit the file of ${file.length} bytes`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(file.subarray(8, 8 + n)));
  } catch {
    return fail('the header is not valid UTF-8 JSON');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) return fail('the header is not a JSON object');
  const data = file.subarray(8 + n);
  const tensors = new Map<string, TorchTensor>();
  let metadata: Record<string, string> = {};
  const spans: [number, number, string][] = [];
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (typeof entry !== 'object' || entry === null || Array.isArray(entry) || !Object.values(entry).every((v) => typeof v === 'string')) fail('__metadata__ must map strings to strings');
      metadata = Object.fromEntries(Object.entries(entry)) as Record<string, string>;
      continue;
    }
    if (typeof entry !== 'object' || entry === null) return fail(`'${name}' is not a tensor entry`);
    const { dtype: code, shape, data_offsets: offsets } = entry as Record<string, unknown>;
    const dtype = typeof code === 'string' ? DTYPE_OF_SAFETENSORS.get(code) : undefined;
    if (!dtype) return fail(`'${name}' has an unsupported dtype ${JSON.stringify(code)}`);
    if (!Array.isArray(shape)) return fail(`'${name}' has no shape`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) return fail(`'${name}' has malformed data_offsets`);
    const itemsize = DTYPES[dtype].itemsize;
    const numel = numelOf(shape, Math.floor(data.length / itemsize), `loadSafetensors: '${name}'`);
    const [begin, end] = offsets as [number, number];
    if (begin > end || end > data.length || end - begin !== numel * itemsize) {
      throw new RangeError(`loadSafetensors: '${name}' data_offsets [${begin}, ${end}] do not hold ${numel} ${dtype} elements inside ${data.length} bytes`);
    }
    spans.push([begin, end, name]);
    tensors.set(name, { dtype, shape: shape.slice(), data: typedOf(dtype, data.subarray(begin, end)) });
  }
  // Like the reference implementation: the tensors tile the data area, no gaps, no overlaps.
  spans.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let at = 0;
  for (const [begin, end, name] of spans) {
    if (begin !== at) throw new RangeError(`loadSafetensors: '${name}' starts at ${begin}, expected ${at} (gap or overlap)`);
    at = end;
  }
  if (at !== data.length) throw new RangeError(`loadSafetensors: the tensors cover ${at} of the ${data.length} data bytes`);
  return { tensors, metadata };
}

/**
 * Writes a safetensors file from a Map or plain object of {@link TorchTensor}s and optional string
 * metadata. Tensors are laid out by decreasing element size, then by name, so every tensor starts
 * aligned to its element size (the header is padded with spaces to a multiple of 8).
 *
 * @example
 * ```ts
 * writeFileSync('w.safetensors', saveSafetensors({ w: { dtype: 'float32', shape: [2], data: new Float32Array([1, 2]) } }));
 * ```
 */
export function saveSafetensors(tensors: Map<string, TorchTensor> | Record<string, TorchTensor>, metadata?: Record<string, string>): Uint8Array {
  assertLittleEndianHost();
  const entries = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
  for (const [name, t] of entries) {
    if (typeof name !== 'string' || name === '__metadata__') throw new TypeError(`saveSafetensors: invalid tensor name ${String(name)}`);
    if (!isTorchTensor(t)) throw new TypeError(`saveSafetensors: '${name}' is not a TorchTensor`);
    checkTensor(t, `saveSafetensors: '${name}'`);
  }
  if (metadata !== undefined && (typeof metadata !== 'object' || metadata === null || !Object.values(metadata).every((v) => typeof v === 'string'))) {
    throw new TypeError('saveSafetensors: metadata must map strings to strings');
  }
  entries.sort(([an, a], [bn, b]) => DTYPES[b.dtype].itemsize - DTYPES[a.dtype].itemsize || (an < bn ? -1 : an > bn ? 1 : 0));
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, t] of entries) {
    const size = t.data.byteLength;
    header[name] = { dtype: DTYPES[t.dtype].safetensors, shape: t.shape, data_offsets: [offset, offset + size] };
    offset += size;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + json.length + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, json.length, true);
  view.setUint32(4, Math.floor(json.length / 2 ** 32), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const [, t] of entries) {
    out.set(bytesOf(t.data), at);
    at += t.data.byteLength;
  }
  return out;
}
