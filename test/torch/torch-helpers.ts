// Hand-assembled pickles and zips for the torch checkpoint tests, and a canonical form of loaded
// values that both the JS side and test/torch/stdlib_check.py produce.
import { zipSync } from 'fflate';
import type { TorchDtype, TorchTensor } from 'lucid-optim';

/** Pickle opcodes by name (CPython's Lib/pickle.py). */
export const OP = {
  PROTO: 0x80, STOP: 0x2e, MARK: 0x28, EMPTY_DICT: 0x7d, EMPTY_LIST: 0x5d, EMPTY_TUPLE: 0x29, TUPLE: 0x74,
  TUPLE1: 0x85, TUPLE2: 0x86, TUPLE3: 0x87, NONE: 0x4e, NEWTRUE: 0x88, NEWFALSE: 0x89, BININT1: 0x4b,
  BINPUT: 0x71, BINGET: 0x68, LONG_BINPUT: 0x72, APPEND: 0x61, APPENDS: 0x65, SETITEM: 0x73, SETITEMS: 0x75,
  REDUCE: 0x52, BUILD: 0x62, BINPERSID: 0x51, INST: 0x69, OBJ: 0x6f, EXT1: 0x82, EXT2: 0x83, EXT4: 0x84,
  NEWOBJ: 0x81, STACK_GLOBAL: 0x93, BINUNICODE: 0x58,
} as const;

type Part = number | number[] | Uint8Array | string;

/** Concatenates opcodes (numbers), byte runs and latin1 text into one pickle. */
export function bytes(...parts: Part[]): Uint8Array {
  const out: number[] = [];
  for (const p of parts) {
    if (typeof p === 'number') out.push(p);
    else if (typeof p === 'string') for (const c of p) out.push(c.charCodeAt(0));
    else out.push(...p);
  }
  return Uint8Array.from(out);
}

/** GLOBAL module\nname\n */
export const global = (module: string, name: string): Part[] => [0x63, `${module}\n${name}\n`];
/** BININT (4-byte signed little-endian) */
export const binint = (v: number): Part[] => [0x4a, [v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >>> 24) & 0xff]];
/** BINUNICODE of an ASCII string */
export const str = (s: string): Part[] => [OP.BINUNICODE, [s.length & 0xff, (s.length >> 8) & 0xff, 0, 0], s];
/** A MARK ... TUPLE of ints (all < 2^31). */
export const ints = (xs: number[]): Part[] => [OP.MARK, ...xs.flatMap(binint), OP.TUPLE];
/** LONG1 of a non-negative integer below 2^63 (8 bytes). */
export const long8 = (v: bigint): Part[] => {
  const b: number[] = [];
  for (let i = 0; i < 8; i++) b.push(Number((v >> BigInt(8 * i)) & 0xffn));
  return [0x8a, 8, b];
};

/** The persistent id torch writes for a storage: ('storage', torch.<type>, key, 'cpu', numel). */
export const storagePid = (type: string, key: string, numel: Part[]): Part[] => [
  OP.MARK, ...str('storage'), ...global('torch', type), ...str(key), ...str('cpu'), ...numel, OP.TUPLE, OP.BINPERSID,
];

/** torch._utils._rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict()) */
export const tensorOf = (pid: Part[], offset: number, size: number[], stride: number[]): Part[] => [
  ...global('torch._utils', '_rebuild_tensor_v2'),
  OP.MARK, ...pid, ...binint(offset), ...ints(size), ...ints(stride), OP.NEWFALSE,
  ...global('collections', 'OrderedDict'), OP.EMPTY_TUPLE, OP.REDUCE,
  OP.TUPLE, OP.REDUCE,
];

/** A torch.save-style zip: <prefix>/data.pkl, <prefix>/data/<key> for each storage, <prefix>/version. */
export function torchZip(pkl: Uint8Array, storages: Record<string, Uint8Array> = {}, prefix = 'archive'): Uint8Array {
  const files: Record<string, [Uint8Array, { level: 0 }]> = { [`${prefix}/data.pkl`]: [pkl, { level: 0 }] };
  for (const [k, v] of Object.entries(storages)) files[`${prefix}/data/${k}`] = [v, { level: 0 }];
  files[`${prefix}/version`] = [new TextEncoder().encode('3\n'), { level: 0 }];
  return zipSync(files);
}

export const tensor = (dtype: TorchDtype, shape: number[], data: TorchTensor['data']): TorchTensor => ({ dtype, shape, data });

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

/**
 * The canonical JSON form of a loaded value, the same one stdlib_check.py prints: ints as decimal
 * strings, floats as the hex of their big-endian float64 bits, tensors with the hex of their
 * little-endian element bytes.
 */
export function canonical(v: unknown): unknown {
  if (v === null) return null;
  switch (typeof v) {
    case 'boolean':
      return { bool: v };
    case 'bigint':
      return { int: v.toString() };
    case 'number': {
      if (Number.isSafeInteger(v) && !Object.is(v, -0)) return { int: String(v) };
      const b = new Uint8Array(8);
      new DataView(b.buffer).setFloat64(0, v, false);
      return { float: hex(b) };
    }
    case 'string':
      return { str: v };
  }
  if (Array.isArray(v)) return { list: v.map(canonical) };
  if (v instanceof Map) return { dict: [...v.entries()].map(([k, x]) => [canonical(k), canonical(x)]) };
  const t = v as TorchTensor;
  if (ArrayBuffer.isView(t.data)) {
    return { tensor: { dtype: t.dtype, shape: t.shape, data: hex(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength)) } };
  }
  return { dict: Object.entries(v as object).map(([k, x]) => [canonical(k), canonical(x)]) };
}

/** The prefixes of lucid-optim's own checkpoint errors (a TypeError from a bug would lack them). */
export const OWN_ERROR = /^(torch pickle|loadTorch|loadSafetensors): /;

/**
 * Calls `f`; the outcome must be a value or one of lucid-optim's own TypeError/RangeError (by
 * message prefix: not an engine error such as a stack overflow), never another class.
 */
export function valueOrRefused(f: () => unknown): 'value' | 'TypeError' | 'RangeError' {
  try {
    f();
    return 'value';
  } catch (e) {
    if ((e instanceof TypeError || e instanceof RangeError) && OWN_ERROR.test(e.message)) return e instanceof TypeError ? 'TypeError' : 'RangeError';
    throw e;
  }
}
