// A restricted unpickler for the data.pkl inside a torch.save file. It does no more than torch's own
// weights-only unpickler (torch/_weights_only_unpickler.py) and less: the opcodes it accepts are a
// subset of the ones torch's `Unpickler._load` handles, and the globals a subset of
// `_get_allowed_globals()`: collections.OrderedDict, torch._utils._rebuild_tensor_v2,
// torch._utils._rebuild_parameter and the legacy storage classes (torch.FloatStorage, ...).
//
// Two passes. The first only scans: every opcode is checked against the allowlist, every GLOBAL
// against the allowed names, and every argument length against the end of the pickle, so a hostile
// file is refused (TypeError naming the opcode or the global) before any value is built. The second
// builds the values; tensors are validated as they are met (dtype, offset, shape and strides
// against their storage, the total element count against a budget derived from the file size) and
// their data are materialized only at the end, after a check of the whole structure (no cycles
// through the memo, nesting at most MAX_DEPTH).
//
// Errors: TypeError for anything that is not a well-formed, allowed pickle; RangeError for lengths,
// offsets, counts and depths out of bounds.

import { DTYPES, DTYPE_OF_STORAGE, numelOf, typedOf, type TorchDtype, type TorchTensor } from './tensor.js';

/** Deepest nesting of lists and dicts a loaded value may have. */
export const MAX_DEPTH = 1000;

/** The opcodes this reader executes (each also allowed by torch's weights-only unpickler). */
const OP = {
  PROTO: 0x80,
  STOP: 0x2e, // .
  MARK: 0x28, // (
  EMPTY_DICT: 0x7d, // }
  EMPTY_LIST: 0x5d, // ]
  EMPTY_TUPLE: 0x29, // )
  TUPLE: 0x74, // t
  TUPLE1: 0x85,
  TUPLE2: 0x86,
  TUPLE3: 0x87,
  NONE: 0x4e, // N
  NEWTRUE: 0x88,
  NEWFALSE: 0x89,
  BININT: 0x4a, // J
  BININT1: 0x4b, // K
  BININT2: 0x4d, // M
  LONG1: 0x8a,
  BINFLOAT: 0x47, // G
  BINUNICODE: 0x58, // X
  SHORT_BINSTRING: 0x55, // U
  BINGET: 0x68, // h
  LONG_BINGET: 0x6a, // j
  BINPUT: 0x71, // q
  LONG_BINPUT: 0x72, // r
  APPEND: 0x61, // a
  APPENDS: 0x65, // e
  SETITEM: 0x73, // s
  SETITEMS: 0x75, // u
  GLOBAL: 0x63, // c
  REDUCE: 0x52, // R
  BUILD: 0x62, // b
  BINPERSID: 0x51, // Q
} as const;

const ALLOWED = new Map<number, string>(Object.entries(OP).map(([name, code]) => [code, name]));

/** Names of the opcodes this reader refuses, for the error message. */
const REFUSED: Record<number, string> = {
  0x69: 'INST', 0x6f: 'OBJ', 0x82: 'EXT1', 0x83: 'EXT2', 0x84: 'EXT4', 0x81: 'NEWOBJ', 0x92: 'NEWOBJ_EX',
  0x93: 'STACK_GLOBAL', 0x50: 'PERSID', 0x53: 'STRING', 0x54: 'BINSTRING', 0x56: 'UNICODE', 0x49: 'INT',
  0x4c: 'LONG', 0x46: 'FLOAT', 0x8b: 'LONG4', 0x30: 'POP', 0x31: 'POP_MARK', 0x32: 'DUP', 0x67: 'GET',
  0x70: 'PUT', 0x6c: 'LIST', 0x64: 'DICT', 0x94: 'MEMOIZE', 0x95: 'FRAME', 0x42: 'BINBYTES',
  0x43: 'SHORT_BINBYTES', 0x8c: 'SHORT_BINUNICODE', 0x8d: 'BINUNICODE8', 0x8e: 'BINBYTES8',
  0x8f: 'EMPTY_SET', 0x90: 'ADDITEMS', 0x91: 'FROZENSET', 0x96: 'BYTEARRAY8', 0x97: 'NEXT_BUFFER',
  0x98: 'READONLY_BUFFER',
};

const opName = (code: number) => ALLOWED.get(code) ?? REFUSED[code] ?? `0x${code.toString(16).padStart(2, '0')}`;

const REBUILD_TENSOR_V2 = 'torch._utils._rebuild_tensor_v2';
const REBUILD_PARAMETER = 'torch._utils._rebuild_parameter';
const ORDERED_DICT = 'collections.OrderedDict';

/** The globals this reader resolves: a subset of torch's `_get_allowed_globals()`. */
const ALLOWED_GLOBALS = new Set<string>([ORDERED_DICT, REBUILD_TENSOR_V2, REBUILD_PARAMETER, ...[...DTYPE_OF_STORAGE.keys()].map((s) => `torch.${s}`)]);

/** A resolved GLOBAL on the stack. */
class GlobalRef {
  constructor(readonly name: string) {}
}

/** A storage resolved through BINPERSID: its dtype, element count and bytes. */
class StorageRef {
  constructor(readonly dtype: TorchDtype, readonly numel: number, readonly bytes: Uint8Array) {}
}

/** A tensor whose data are copied or viewed once the whole pickle has been checked. */
interface Pending {
  tensor: TorchTensor;
  storage: StorageRef;
  offset: number;
  stride: number[];
  numel: number;
}

/** What the unpickler needs from the container. */
export interface UnpickleSource {
  /** The bytes of storage `key` (archive/data/<key>), or undefined when the file has none. */
  storage(key: string): Uint8Array | undefined;
  /** The most tensor elements all tensors together may have (bounds memory by the file size). */
  elementBudget: number;
}

const fail = (msg: string): never => {
  throw new TypeError(`torch pickle: ${msg}`);
};
const outOfRange = (msg: string): never => {
  throw new RangeError(`torch pickle: ${msg}`);
};

const latin1 = new TextDecoder('latin1');
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Reads "module\nname\n" at `pos`; returns the dotted name and the position after it. */
function readGlobal(p: Uint8Array, pos: number): [string, number] {
  const parts: string[] = [];
  for (let k = 0; k < 2; k++) {
    const end = p.indexOf(0x0a, pos);
    if (end < 0 || end - pos > 256) outOfRange('GLOBAL name runs past the end of the pickle or is too long');
    parts.push(latin1.decode(p.subarray(pos, end)));
    pos = end + 1;
  }
  return [`${parts[0]}.${parts[1]}`, pos];
}

const u32 = (p: Uint8Array, i: number) => (p[i] | (p[i + 1] << 8) | (p[i + 2] << 16)) + p[i + 3] * 0x1000000;

/** Argument length of each fixed-width opcode. */
const FIXED: Record<number, number> = {
  [OP.PROTO]: 1, [OP.BININT]: 4, [OP.BININT1]: 1, [OP.BININT2]: 2, [OP.BINFLOAT]: 8,
  [OP.BINGET]: 1, [OP.LONG_BINGET]: 4, [OP.BINPUT]: 1, [OP.LONG_BINPUT]: 4,
};

/**
 * Pass 1: walks the opcodes without building anything. Refuses (TypeError) any opcode or global
 * outside the allowlists and (RangeError) any argument that runs past the end; requires a STOP.
 */
function scan(p: Uint8Array): void {
  let pos = 0;
  while (pos < p.length) {
    const code = p[pos++];
    if (!ALLOWED.has(code)) fail(`opcode ${opName(code)} is not allowed (torch.load(weights_only=True) accepts a small set of opcodes; lucid-optim a subset of it)`);
    let len = FIXED[code] ?? 0;
    if (code === OP.STOP) return;
    if (code === OP.GLOBAL) {
      const [name, next] = readGlobal(p, pos);
      if (!ALLOWED_GLOBALS.has(name)) {
        fail(`global '${name}' is not allowed (lucid-optim resolves only ${[...ALLOWED_GLOBALS].slice(0, 3).join(', ')} and the torch.*Storage classes, all allowed by torch.load(weights_only=True))`);
      }
      pos = next;
      continue;
    }
    if (code === OP.BINUNICODE) {
      if (pos + 4 > p.length) outOfRange('BINUNICODE length runs past the end');
      len = 4 + u32(p, pos);
    } else if (code === OP.SHORT_BINSTRING || code === OP.LONG1) {
      if (pos + 1 > p.length) outOfRange(`${opName(code)} length runs past the end`);
      len = 1 + p[pos];
    }
    if (pos + len > p.length) outOfRange(`${opName(code)} argument runs past the end of the pickle`);
    pos += len;
  }
  outOfRange('no STOP: the pickle is truncated');
}

/** Decodes LONG1's little-endian two's-complement bytes: a number when safe, a bigint beyond 2^53. */
function decodeLong(b: Uint8Array): number | bigint {
  if (b.length === 0) return 0;
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
  if (b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);

/**
 * Unpickles `p` (protocol 2, as torch.save writes it) into plain values: dict/OrderedDict -> Map,
 * list/tuple -> Array, int -> number (bigint beyond 2^53), float -> number, bool, None -> null,
 * str -> string, tensor -> TorchTensor.
 */
export function unpickle(p: Uint8Array, source: UnpickleSource): unknown {
  scan(p);

  const stack: unknown[] = [];
  const marks: number[] = [];
  const memo = new Map<number, unknown>();
  const tuples = new WeakSet<object>();
  const orderedDicts = new WeakSet<object>();
  const tensors = new WeakSet<object>();
  const storages = new Map<string, StorageRef>();
  const pending: Pending[] = [];
  let budget = source.elementBudget;
  const view = new DataView(p.buffer, p.byteOffset, p.byteLength);

  const pop = (): unknown => (stack.length > (marks.length ? marks[marks.length - 1] : 0) ? stack.pop() : fail('stack underflow'));
  const top = (): unknown => (stack.length > (marks.length ? marks[marks.length - 1] : 0) ? stack[stack.length - 1] : fail('stack underflow'));
  const popMark = (): unknown[] => {
    const m = marks.pop();
    if (m === undefined) fail('no MARK to pop to');
    return stack.splice(m as number);
  };
  const tuple = (items: unknown[]) => (tuples.add(items), items);

  const persistent = (pid: unknown): StorageRef => {
    if (!Array.isArray(pid) || pid.length !== 5 || pid[0] !== 'storage') fail('BINPERSID: expected a (\'storage\', type, key, location, numel) tuple');
    const [, type, key, location, numel] = pid as unknown[];
    if (!(type instanceof GlobalRef)) return fail('BINPERSID: the storage type is not a torch storage class');
    const dtype = DTYPE_OF_STORAGE.get(type.name.slice('torch.'.length));
    if (!dtype || !type.name.startsWith('torch.')) return fail(`BINPERSID: '${type.name}' is not a storage class`);
    if (typeof key !== 'string' || typeof location !== 'string' || !isInt(numel) || numel < 0) return fail('BINPERSID: malformed storage key, location or size');
    if (!location.startsWith('cpu') && !location.startsWith('cuda') && !location.startsWith('mps')) fail(`BINPERSID: unknown location '${location}'`);
    const known = storages.get(key);
    if (known) {
      if (known.dtype !== dtype) fail(`storage ${key} is used with two dtypes`);
      return known;
    }
    const bytes = source.storage(key);
    if (!bytes) return fail(`storage ${key} has no data/${key} entry in the file`);
    const nbytes = numel * DTYPES[dtype].itemsize;
    // torch: "record size (28 bytes) does not match expected size (24 bytes = ...)": a record must
    // hold exactly its storage's bytes, no fewer and no more.
    if (nbytes !== bytes.length) outOfRange(`storage ${key} claims ${numel} ${dtype} elements (${nbytes} bytes) but its entry holds ${bytes.length} bytes`);
    const ref = new StorageRef(dtype, numel, bytes.subarray(0, nbytes));
    storages.set(key, ref);
    return ref;
  };

  const rebuildTensor = (args: unknown[]): TorchTensor => {
    if (args.length !== 6 && args.length !== 7) fail(`_rebuild_tensor_v2 takes 6 or 7 arguments, got ${args.length}`);
    const [storage, offset, size, stride] = args;
    if (!(storage instanceof StorageRef)) return fail('_rebuild_tensor_v2: the first argument is not a storage');
    if (!isInt(offset) || offset < 0) return fail('_rebuild_tensor_v2: storage offset must be a non-negative integer');
    if (!Array.isArray(size) || !Array.isArray(stride) || size.length !== stride.length || size.length > 64) {
      return fail('_rebuild_tensor_v2: size and stride must be tuples of one length (at most 64)');
    }
    if (!stride.every((s) => isInt(s) && s >= 0)) fail('_rebuild_tensor_v2: strides must be non-negative integers');
    const numel = numelOf(size, budget, 'torch pickle: tensor');
    const strides = stride as number[];
    // The last element the view reads must lie inside the storage.
    let last = offset;
    for (let i = 0; i < size.length; i++) last += ((size[i] as number) - 1) * strides[i];
    if (numel > 0 ? last >= storage.numel : offset > storage.numel) {
      outOfRange(`tensor of shape [${size.join(', ')}] at offset ${offset} reads past its storage of ${storage.numel} elements`);
    }
    budget -= numel;
    const tensor = { dtype: storage.dtype, shape: (size as number[]).slice(), data: new (DTYPES[storage.dtype].array)(0) } as TorchTensor;
    tensors.add(tensor);
    pending.push({ tensor, storage, offset, stride: strides.slice(), numel });
    return tensor;
  };

  const reduce = (func: unknown, args: unknown): unknown => {
    if (!(func instanceof GlobalRef)) return fail('REDUCE on a value that is not an allowed callable');
    if (!Array.isArray(args) || !tuples.has(args)) return fail('REDUCE: the arguments are not a tuple');
    switch (func.name) {
      case ORDERED_DICT: {
        if (args.length !== 0) fail('OrderedDict(...) with arguments is not supported');
        const m = new Map();
        orderedDicts.add(m);
        return m;
      }
      case REBUILD_TENSOR_V2:
        return rebuildTensor(args);
      case REBUILD_PARAMETER:
        if (args.length !== 3 || !tensors.has(args[0] as object)) fail('_rebuild_parameter: expected (tensor, requires_grad, hooks)');
        return args[0];
      default:
        return fail(`REDUCE: '${func.name}' is not callable`);
    }
  };

  let pos = 0;
  for (;;) {
    const code = p[pos++];
    switch (code) {
      case OP.PROTO:
        if (p[pos] < 2 || p[pos] > 5) fail(`unsupported pickle protocol ${p[pos]}`);
        pos += 1;
        break;
      case OP.STOP: {
        if (marks.length !== 0 || stack.length !== 1) fail('STOP with a malformed stack');
        const value = stack[0];
        checkStructure(value);
        materialize(pending);
        return value;
      }
      case OP.MARK:
        marks.push(stack.length);
        break;
      case OP.EMPTY_DICT:
        stack.push(new Map());
        break;
      case OP.EMPTY_LIST:
        stack.push([]);
        break;
      case OP.EMPTY_TUPLE:
        stack.push(tuple([]));
        break;
      case OP.TUPLE:
        stack.push(tuple(popMark()));
        break;
      case OP.TUPLE1:
      case OP.TUPLE2:
      case OP.TUPLE3: {
        const n = code - OP.TUPLE1 + 1;
        const items: unknown[] = [];
        for (let i = 0; i < n; i++) items.unshift(pop());
        stack.push(tuple(items));
        break;
      }
      case OP.NONE:
        stack.push(null);
        break;
      case OP.NEWTRUE:
        stack.push(true);
        break;
      case OP.NEWFALSE:
        stack.push(false);
        break;
      case OP.BININT:
        stack.push(view.getInt32(pos, true));
        pos += 4;
        break;
      case OP.BININT1:
        stack.push(p[pos]);
        pos += 1;
        break;
      case OP.BININT2:
        stack.push(view.getUint16(pos, true));
        pos += 2;
        break;
      case OP.LONG1: {
        const n = p[pos];
        stack.push(decodeLong(p.subarray(pos + 1, pos + 1 + n)));
        pos += 1 + n;
        break;
      }
      case OP.BINFLOAT:
        stack.push(view.getFloat64(pos, false));
        pos += 8;
        break;
      case OP.BINUNICODE: {
        const n = u32(p, pos);
        let s: string;
        try {
          s = utf8.decode(p.subarray(pos + 4, pos + 4 + n));
        } catch {
          return fail('BINUNICODE is not valid UTF-8');
        }
        stack.push(s);
        pos += 4 + n;
        break;
      }
      case OP.SHORT_BINSTRING: {
        const n = p[pos];
        stack.push(latin1.decode(p.subarray(pos + 1, pos + 1 + n)));
        pos += 1 + n;
        break;
      }
      case OP.BINGET:
      case OP.LONG_BINGET: {
        const key = code === OP.BINGET ? p[pos] : u32(p, pos);
        pos += code === OP.BINGET ? 1 : 4;
        if (!memo.has(key)) fail(`${opName(code)} ${key}: no such memo entry`);
        stack.push(memo.get(key));
        break;
      }
      case OP.BINPUT:
      case OP.LONG_BINPUT: {
        const key = code === OP.BINPUT ? p[pos] : u32(p, pos);
        pos += code === OP.BINPUT ? 1 : 4;
        memo.set(key, top());
        break;
      }
      case OP.APPEND: {
        const item = pop();
        const list = top();
        if (!Array.isArray(list) || tuples.has(list)) fail('APPEND to something that is not a list');
        (list as unknown[]).push(item);
        break;
      }
      case OP.APPENDS: {
        const items = popMark();
        const list = top();
        if (!Array.isArray(list) || tuples.has(list)) fail('APPENDS to something that is not a list');
        for (const item of items) (list as unknown[]).push(item);
        break;
      }
      case OP.SETITEM: {
        const value = pop();
        const key = pop();
        const dict = top();
        if (!(dict instanceof Map)) fail('SETITEM on something that is not a dict');
        (dict as Map<unknown, unknown>).set(key, value);
        break;
      }
      case OP.SETITEMS: {
        const items = popMark();
        const dict = top();
        if (!(dict instanceof Map)) fail('SETITEMS on something that is not a dict');
        if (items.length % 2) fail('SETITEMS with an odd number of items');
        for (let i = 0; i < items.length; i += 2) (dict as Map<unknown, unknown>).set(items[i], items[i + 1]);
        break;
      }
      case OP.GLOBAL: {
        const [name, next] = readGlobal(p, pos);
        pos = next;
        stack.push(new GlobalRef(name));
        break;
      }
      case OP.REDUCE: {
        const args = pop();
        const func = pop();
        stack.push(reduce(func, args));
        break;
      }
      case OP.BUILD: {
        const state = pop();
        const inst = top();
        // torch's BUILD on an OrderedDict updates its __dict__: attributes, not items (a module's
        // state_dict() carries `_metadata` this way). The attributes are dropped here, never set on
        // anything; BUILD on anything else (torch allows Tensor and Parameter state too) is refused.
        if (!(inst instanceof Map && orderedDicts.has(inst) && (state === null || state instanceof Map))) fail('BUILD is only allowed on an OrderedDict (with a dict of attributes, which are dropped)');
        break;
      }
      case OP.BINPERSID:
        stack.push(persistent(pop()));
        break;
      default:
        // Unreachable: scan() refused every other opcode.
        fail(`opcode ${opName(code)} is not allowed`);
    }
  }
}

/**
 * Walks the loaded value without recursion: refuses a cycle (a list or dict that contains itself
 * through the memo) and nesting deeper than MAX_DEPTH. Linear in the number of containers and edges.
 */
function checkStructure(root: unknown): void {
  const height = new Map<object, number>(); // finished containers
  const onPath = new Set<object>();
  const children = (v: object): unknown[] => (Array.isArray(v) ? v : [...(v as Map<unknown, unknown>).keys(), ...(v as Map<unknown, unknown>).values()]);
  const isContainer = (v: unknown): v is object => Array.isArray(v) || v instanceof Map;
  if (!isContainer(root)) return;
  const frames: { node: object; items: unknown[]; i: number; h: number }[] = [{ node: root, items: children(root), i: 0, h: 0 }];
  onPath.add(root);
  while (frames.length) {
    const f = frames[frames.length - 1];
    if (f.i < f.items.length) {
      const c = f.items[f.i++];
      if (!isContainer(c)) continue;
      if (onPath.has(c)) fail('the value contains itself (a cycle through the memo)');
      const known = height.get(c);
      if (known !== undefined) {
        f.h = Math.max(f.h, known + 1);
        continue;
      }
      if (frames.length >= MAX_DEPTH) outOfRange(`nesting deeper than ${MAX_DEPTH} levels`);
      onPath.add(c);
      frames.push({ node: c, items: children(c), i: 0, h: 0 });
    } else {
      frames.pop();
      onPath.delete(f.node);
      height.set(f.node, f.h);
      if (frames.length) frames[frames.length - 1].h = Math.max(frames[frames.length - 1].h, f.h + 1);
    }
  }
}

/** Gives each pending tensor its data: a view of the storage when contiguous, else a gathered copy. */
function materialize(pending: Pending[]): void {
  for (const { tensor, storage, offset, stride, numel } of pending) {
    const { shape, dtype } = tensor;
    const itemsize = DTYPES[dtype].itemsize;
    let contiguous = true;
    for (let i = shape.length - 1, expected = 1; i >= 0; i--) {
      if (shape[i] !== 1 && stride[i] !== expected) contiguous = false;
      expected *= shape[i];
    }
    if (contiguous || numel === 0) {
      tensor.data = typedOf(dtype, storage.bytes.subarray(offset * itemsize, (offset + numel) * itemsize));
      continue;
    }
    const src = typedOf(dtype, storage.bytes) as unknown as ArrayLike<unknown> & { [i: number]: unknown };
    const out = new (DTYPES[dtype].array)(numel) as unknown as { [i: number]: unknown };
    const index = new Array<number>(shape.length).fill(0);
    let at = offset;
    for (let k = 0; k < numel; k++) {
      out[k] = src[at];
      for (let d = shape.length - 1; d >= 0; d--) {
        if (++index[d] < shape[d]) {
          at += stride[d];
          break;
        }
        at -= (shape[d] - 1) * stride[d];
        index[d] = 0;
      }
    }
    tensor.data = out as unknown as TorchTensor['data'];
  }
}
