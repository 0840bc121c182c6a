// Writes the data.pkl of a torch.save file: pickle protocol 2, the opcodes CPython's pickler emits
// for these types, tensors as torch's `Tensor.__reduce_ex__` writes them
// (torch._utils._rebuild_tensor_v2 with a persistent id for the storage), so that
// torch.load(weights_only=True) accepts the result.

import { DTYPES, checkTensor, isTorchTensor, type TorchTensor } from './tensor.js';

/** Deepest nesting the writer follows (the reader's limit too). */
const MAX_DEPTH = 1000;
/** CPython batches APPENDS/SETITEMS by 1000 items (pickle.py `_BATCHSIZE`). */
const BATCH = 1000;

const encoder = new TextEncoder();

/** A growable byte buffer. */
class Out {
  private buf = new Uint8Array(1024);
  private view = new DataView(this.buf.buffer);
  length = 0;
  private reserve(n: number) {
    if (this.length + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  byte(b: number) {
    this.reserve(1);
    this.buf[this.length++] = b;
  }
  bytes(b: Uint8Array) {
    this.reserve(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }
  u16(v: number) {
    this.reserve(2);
    this.view.setUint16(this.length, v, true);
    this.length += 2;
  }
  i32(v: number) {
    this.reserve(4);
    this.view.setInt32(this.length, v, true);
    this.length += 4;
  }
  u32(v: number) {
    this.reserve(4);
    this.view.setUint32(this.length, v, true);
    this.length += 4;
  }
  f64be(v: number) {
    this.reserve(8);
    this.view.setFloat64(this.length, v, false);
    this.length += 8;
  }
  result(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

/** The storages a pickle refers to, in the order of their keys '0', '1', ... */
export type Storages = TorchTensor[];

/**
 * Pickles `value` (Map or plain object -> dict, Array -> list, number -> int when an integer and
 * float otherwise, bigint -> int, string, boolean, null -> None, TorchTensor -> tensor). Each tensor
 * gets its own storage, appended to `storages`; its key is its index there.
 */
export function pickle(value: unknown, storages: Storages): Uint8Array {
  const out = new Out();
  const open = new Set<object>();

  const int = (v: number | bigint) => {
    if (typeof v === 'number' && v >= 0 && v < 0x100) {
      out.byte(0x4b); // BININT1
      out.byte(v);
    } else if (typeof v === 'number' && v >= 0 && v < 0x10000) {
      out.byte(0x4d); // BININT2
      out.u16(v);
    } else if (typeof v === 'number' && v >= -0x80000000 && v < 0x80000000) {
      out.byte(0x4a); // BININT
      out.i32(v);
    } else {
      // LONG1: little-endian two's complement, as short as CPython's encode_long makes it.
      let b = BigInt(v);
      const bytes: number[] = [];
      for (;;) {
        bytes.push(Number(b & 0xffn));
        b >>= 8n;
        const sign = bytes[bytes.length - 1] & 0x80;
        if ((b === 0n && !sign) || (b === -1n && sign)) break;
      }
      out.byte(0x8a);
      out.byte(bytes.length);
      out.bytes(Uint8Array.from(bytes));
    }
  };
  const str = (s: string) => {
    const b = encoder.encode(s);
    out.byte(0x58); // BINUNICODE
    out.u32(b.length);
    out.bytes(b);
  };
  const global = (module: string, name: string) => {
    out.byte(0x63); // GLOBAL
    out.bytes(encoder.encode(`${module}\n${name}\n`));
  };
  const intTuple = (items: number[]) => {
    if (items.length === 0) return out.byte(0x29); // EMPTY_TUPLE
    if (items.length > 3) out.byte(0x28); // MARK
    for (const i of items) int(i);
    out.byte(items.length > 3 ? 0x74 : 0x84 + items.length); // TUPLE or TUPLE1..3
  };

  const tensor = (t: TorchTensor) => {
    checkTensor(t, 'saveTorch');
    const key = storages.length;
    storages.push(t);
    const stride: number[] = [];
    for (let i = t.shape.length - 1, s = 1; i >= 0; i--) {
      stride.unshift(s);
      s *= t.shape[i];
    }
    global('torch._utils', '_rebuild_tensor_v2');
    out.byte(0x28); // MARK: the argument tuple
    out.byte(0x28); // MARK: the persistent id ('storage', type, key, location, numel)
    str('storage');
    global('torch', DTYPES[t.dtype].storage);
    str(String(key));
    str('cpu');
    int(t.data.length);
    out.byte(0x74); // TUPLE
    out.byte(0x51); // BINPERSID
    int(0); // storage_offset
    intTuple(t.shape);
    intTuple(stride);
    out.byte(0x89); // NEWFALSE: requires_grad
    global('collections', 'OrderedDict'); // backward_hooks = OrderedDict()
    out.byte(0x29); // EMPTY_TUPLE
    out.byte(0x52); // REDUCE
    out.byte(0x74); // TUPLE
    out.byte(0x52); // REDUCE
  };

  const write = (v: unknown, depth: number): void => {
    if (v === null) return out.byte(0x4e); // NONE
    switch (typeof v) {
      case 'boolean':
        return out.byte(v ? 0x88 : 0x89);
      case 'number':
        if (Number.isSafeInteger(v) && !Object.is(v, -0)) return int(v);
        out.byte(0x47); // BINFLOAT
        return out.f64be(v);
      case 'bigint':
        return int(v);
      case 'string':
        return str(v);
      case 'object':
        break;
      default:
        throw new TypeError(`saveTorch: cannot save a ${typeof v}`);
    }
    const obj = v as object;
    if (isTorchTensor(obj)) return tensor(obj);
    if (depth >= MAX_DEPTH) throw new RangeError(`saveTorch: nesting deeper than ${MAX_DEPTH} levels`);
    if (open.has(obj)) throw new TypeError('saveTorch: the value contains itself');
    open.add(obj);
    if (Array.isArray(obj)) {
      out.byte(0x5d); // EMPTY_LIST
      for (let i = 0; i < obj.length; i += BATCH) {
        out.byte(0x28); // MARK
        for (const item of obj.slice(i, i + BATCH)) write(item, depth + 1);
        out.byte(0x65); // APPENDS
      }
    } else {
      let entries: [unknown, unknown][];
      if (obj instanceof Map) entries = [...obj.entries()];
      else if (Object.getPrototypeOf(obj) === Object.prototype || Object.getPrototypeOf(obj) === null) entries = Object.entries(obj);
      else throw new TypeError(`saveTorch: cannot save a ${obj.constructor?.name ?? 'object'} (Map, plain objects, arrays and TorchTensors only)`);
      out.byte(0x7d); // EMPTY_DICT
      for (let i = 0; i < entries.length; i += BATCH) {
        out.byte(0x28); // MARK
        for (const [k, val] of entries.slice(i, i + BATCH)) {
          if (k !== null && typeof k === 'object') throw new TypeError('saveTorch: dict keys must be numbers, bigints, strings, booleans or null');
          write(k, depth + 1);
          write(val, depth + 1);
        }
        out.byte(0x75); // SETITEMS
      }
    }
    open.delete(obj);
  };

  out.byte(0x80); // PROTO 2
  out.byte(2);
  write(value, 0);
  out.byte(0x2e); // STOP
  return out.result();
}
