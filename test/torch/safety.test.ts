// The safety matrix: hand-made hostile torch.save files. Each must be refused with lucid-optim's own
// TypeError (not an allowed pickle) or RangeError (a length, offset, count or depth out of bounds),
// never another error class, never a hang (the suite's timeout), never an engine stack overflow.
import { readFileSync } from 'node:fs';
import { zipSync } from 'fflate';
import { describe, expect, test } from 'vitest';
import { loadTorch, saveTorch } from 'lucid-optim';
import { goldenNames } from '../e2e/fidelity/golden';
import { OP, OWN_ERROR, valueOrRefused, binint, bytes, global, long8, storagePid, str, tensor, tensorOf, torchZip } from './torch-helpers.js';

/** loadTorch of a zip holding `pkl` (and `storages`) throws `cls` with a message matching `msg`. */
function refused(pkl: Uint8Array, cls: typeof TypeError | typeof RangeError, msg: RegExp, storages: Record<string, Uint8Array> = {}) {
  let error: unknown;
  try {
    loadTorch(torchZip(pkl, storages));
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(cls);
  expect((error as Error).message).toMatch(OWN_ERROR);
  expect((error as Error).message).toMatch(msg);
}

const P2 = [OP.PROTO, 2];

describe('forbidden globals and opcodes: TypeError naming them, before anything is built', () => {
  test.each([
    ['os', 'system'],
    ['posix', 'system'],
    ['builtins', 'eval'],
    ['__builtin__', 'exec'],
    ['subprocess', 'Popen'],
    ['torch', 'load'],
    ['torch._utils', '_rebuild_qtensor'], // allowed by torch, not by lucid-optim
    ['torch.nn.modules.linear', 'Linear'],
  ])('GLOBAL %s.%s', (module, name) => {
    // os.system('echo pwned'): GLOBAL, ('echo pwned',), REDUCE
    refused(bytes(...P2, ...global(module, name), ...str('echo pwned'), OP.TUPLE1, OP.REDUCE, OP.STOP), TypeError, new RegExp(`global '${module}\\.${name}' is not allowed`));
  });

  test.each([
    ['INST', bytes(...P2, OP.MARK, OP.INST, 'os\nsystem\n', OP.STOP)],
    ['OBJ', bytes(...P2, OP.MARK, ...global('collections', 'OrderedDict'), OP.OBJ, OP.STOP)],
    ['EXT1', bytes(...P2, OP.EXT1, 1, OP.STOP)],
    ['EXT2', bytes(...P2, OP.EXT2, 1, 0, OP.STOP)],
    ['EXT4', bytes(...P2, OP.EXT4, 1, 0, 0, 0, OP.STOP)],
    ['NEWOBJ', bytes(...P2, ...global('collections', 'OrderedDict'), OP.EMPTY_TUPLE, OP.NEWOBJ, OP.STOP)],
    ['STACK_GLOBAL', bytes(...P2, ...str('os'), ...str('system'), OP.STACK_GLOBAL, OP.STOP)],
  ])('opcode %s', (name, pkl) => refused(pkl, TypeError, new RegExp(`opcode ${name} is not allowed`)));

  test('the scan refuses a late forbidden global before building: an earlier structural error is never reached', () => {
    // SETITEM on a list would fail while building; the GLOBAL after it is what gets reported.
    refused(bytes(...P2, OP.EMPTY_LIST, OP.NONE, OP.NONE, OP.SETITEM, ...global('os', 'system'), OP.STOP), TypeError, /global 'os\.system'/);
  });

  test('REDUCE on a value that is not an allowed callable (a list)', () => {
    refused(bytes(...P2, OP.EMPTY_LIST, OP.EMPTY_TUPLE, OP.REDUCE, OP.STOP), TypeError, /REDUCE on a value that is not an allowed callable/);
  });

  test('REDUCE on an allowed global that is not callable (a storage class)', () => {
    refused(bytes(...P2, ...global('torch', 'FloatStorage'), OP.EMPTY_TUPLE, OP.REDUCE, OP.STOP), TypeError, /not callable/);
  });

  test('BUILD on an arbitrary value (a list)', () => {
    refused(bytes(...P2, OP.EMPTY_LIST, OP.EMPTY_DICT, OP.BUILD, OP.STOP), TypeError, /BUILD/);
  });

  test('BUILD on an OrderedDict: its attributes (as torch writes `_metadata`) are dropped, never set', () => {
    const state = [OP.EMPTY_DICT, ...str('__class__'), OP.NONE, OP.SETITEM];
    const v = loadTorch(torchZip(bytes(...P2, ...global('collections', 'OrderedDict'), OP.EMPTY_TUPLE, OP.REDUCE, ...state, OP.BUILD, OP.STOP)));
    expect(v).toBeInstanceOf(Map);
    expect((v as Map<unknown, unknown>).size).toBe(0);
    expect(Object.getPrototypeOf(v)).toBe(Map.prototype);
    expect(Object.keys(v as object)).toEqual([]);
  });

  test('BUILD on a tensor (torch would call set_/__setstate__ on it)', () => {
    const t = tensorOf(storagePid('FloatStorage', '0', binint(1)), 0, [1], [1]);
    refused(bytes(...P2, ...t, OP.EMPTY_TUPLE, OP.BUILD, OP.STOP), TypeError, /BUILD/, { '0': new Uint8Array(4) });
  });

  test('APPEND to a tuple, SETITEM on a list', () => {
    refused(bytes(...P2, OP.EMPTY_TUPLE, OP.NONE, OP.APPEND, OP.STOP), TypeError, /APPEND to something that is not a list/);
    refused(bytes(...P2, OP.EMPTY_LIST, OP.NONE, OP.NONE, OP.SETITEM, OP.STOP), TypeError, /SETITEM on something that is not a dict/);
  });

  test('a persistent id that is not a storage', () => {
    refused(bytes(...P2, ...str('x'), OP.BINPERSID, OP.STOP), TypeError, /BINPERSID/);
  });
});

describe('lengths, offsets and counts are checked against the file', () => {
  const f32 = (n: number) => new Uint8Array(4 * n);

  test('a bogus storage size: the persistent id claims 2^40 elements, the entry holds 16 bytes', () => {
    const pkl = bytes(...P2, ...tensorOf(storagePid('FloatStorage', '0', long8(2n ** 40n)), 0, [4], [1]), OP.STOP);
    refused(pkl, RangeError, /claims 1099511627776 float32 elements/, { '0': f32(4) });
  });

  test('a storage with no data entry', () => {
    refused(bytes(...P2, ...tensorOf(storagePid('FloatStorage', '7', binint(1)), 0, [1], [1]), OP.STOP), TypeError, /no data\/7 entry/);
  });

  test('a view that reads past its storage (offset + extent)', () => {
    refused(bytes(...P2, ...tensorOf(storagePid('FloatStorage', '0', binint(4)), 2, [3], [1]), OP.STOP), RangeError, /reads past its storage/, { '0': f32(4) });
    refused(bytes(...P2, ...tensorOf(storagePid('FloatStorage', '0', binint(4)), 0, [2, 2], [3, 1]), OP.STOP), RangeError, /reads past its storage/, { '0': f32(4) });
  });

  test('a 2^31-element tensor in a file of about 1 KB (stride 0 over one element)', () => {
    const pkl = bytes(...P2, ...tensorOf(storagePid('FloatStorage', '0', binint(1)), 0, [2 ** 31 - 1, 2], [0, 0]), OP.STOP);
    const file = torchZip(pkl, { '0': f32(1) });
    expect(file.length).toBeLessThan(1024);
    expect(() => loadTorch(file)).toThrow(RangeError);
    expect(() => loadTorch(file)).toThrow(/more elements than the file can hold/);
  });

  test('many stride-0 views, each small, together beyond the element budget', () => {
    const view = tensorOf(storagePid('FloatStorage', '0', binint(1)), 0, [4096], [0]);
    const pkl = bytes(...P2, OP.EMPTY_LIST, OP.MARK, ...Array.from({ length: 64 }, () => view).flat(), OP.APPENDS, OP.STOP);
    refused(pkl, RangeError, /more elements than the file can hold/, { '0': f32(1) });
  });

  test('a string whose length runs past the end of the pickle', () => {
    refused(bytes(...P2, OP.BINUNICODE, [0xff, 0xff, 0xff, 0xff], 'abc', OP.STOP), RangeError, /BINUNICODE argument runs past the end/);
  });

  test('a truncated pickle (no STOP)', () => {
    refused(bytes(...P2, OP.EMPTY_LIST, OP.MARK, OP.NONE), RangeError, /no STOP/);
  });

  test('a memo reference that was never stored', () => {
    refused(bytes(...P2, OP.BINGET, 3, OP.STOP), TypeError, /BINGET 3: no such memo entry/);
  });

  test('stack underflow and a dangling MARK', () => {
    refused(bytes(...P2, OP.APPEND, OP.STOP), TypeError, /stack underflow/);
    refused(bytes(...P2, OP.MARK, OP.NONE, OP.STOP), TypeError, /STOP with a malformed stack/);
  });
});

describe('nesting and recursion', () => {
  test('100,000 nested lists (EMPTY_LIST x N, APPEND x N-1): RangeError, no stack overflow', () => {
    const n = 100_000;
    const pkl = new Uint8Array(2 + n + (n - 1) + 1);
    pkl.set([OP.PROTO, 2]);
    pkl.fill(OP.EMPTY_LIST, 2, 2 + n);
    pkl.fill(OP.APPEND, 2 + n, 2 + n + n - 1);
    pkl[pkl.length - 1] = OP.STOP;
    refused(pkl, RangeError, /nesting deeper than 1000 levels/);
  });

  test('100,000 nested tuples through MARK: RangeError', () => {
    const n = 100_000;
    const pkl = bytes(...P2, new Uint8Array(n).fill(OP.MARK), OP.EMPTY_TUPLE, new Uint8Array(n).fill(OP.TUPLE), OP.STOP);
    refused(pkl, RangeError, /nesting deeper than 1000 levels/);
  });

  test('a list that contains itself through the memo: TypeError', () => {
    refused(bytes(...P2, OP.EMPTY_LIST, OP.BINPUT, 0, OP.BINGET, 0, OP.APPEND, OP.STOP), TypeError, /contains itself/);
  });

  test('a dict reached again through a nested list (a longer cycle): TypeError', () => {
    refused(
      bytes(...P2, OP.EMPTY_DICT, OP.BINPUT, 0, ...str('k'), OP.EMPTY_LIST, OP.BINGET, 0, OP.APPEND, OP.SETITEM, OP.STOP),
      TypeError,
      /contains itself/,
    );
  });

  test('a shared (not cyclic) sub-value referenced 10,000 times is fine and stays shared', () => {
    const pkl = bytes(...P2, OP.EMPTY_LIST, OP.MARK, OP.EMPTY_LIST, OP.BINPUT, 0, new Uint8Array(2 * 9_999).map((_, i) => (i % 2 ? 0 : OP.BINGET)), OP.APPENDS, OP.STOP);
    const v = loadTorch(torchZip(pkl)) as unknown[][];
    expect(v.length).toBe(10_000);
    expect(v[9_999]).toBe(v[0]);
  });

  test('saveTorch refuses a cycle and nesting beyond 1000', () => {
    const a: unknown[] = [];
    a.push(a);
    expect(() => saveTorch(a)).toThrow(TypeError);
    let deep: unknown = [];
    for (let i = 0; i < 2000; i++) deep = [deep];
    expect(() => saveTorch(deep)).toThrow(RangeError);
  });
});

describe('the zip container', () => {
  const good = () => saveTorch(new Map([['w', tensor('float32', [4], new Float32Array([1, 2, 3, 4]))]]));
  /** Offset of the central directory entry of `name` (signature PK\1\2). */
  const central = (file: Uint8Array, name: string) => {
    const text = new TextDecoder('latin1').decode(file);
    for (let at = text.indexOf('PK\x01\x02'); at >= 0; at = text.indexOf('PK\x01\x02', at + 4)) {
      if (text.startsWith(name, at + 46)) return at;
    }
    throw new Error(`no ${name}`);
  };

  test('an entry whose local header offset points outside the file', () => {
    const file = good();
    new DataView(file.buffer).setUint32(central(file, 'archive/data/0') + 42, file.length + 1000, true);
    const outcome = (() => {
      try {
        loadTorch(file);
        return 'value';
      } catch (e) {
        return e;
      }
    })();
    expect(outcome).toBeInstanceOf(RangeError);
    expect((outcome as Error).message).toMatch(/entry 'archive\/data\/0' lies outside the file/);
  });

  test('an entry that declares more bytes than the file holds', () => {
    const file = good();
    const dir = central(file, 'archive/data/0');
    new DataView(file.buffer).setUint32(dir + 20, 0x7fffffff, true);
    new DataView(file.buffer).setUint32(dir + 24, 0x7fffffff, true);
    expect(() => loadTorch(file)).toThrow(RangeError);
  });

  test('a directory that claims 65,535 entries in a small file', () => {
    const file = good();
    const eocd = file.length - 22;
    new DataView(file.buffer).setUint16(eocd + 8, 0xffff, true);
    new DataView(file.buffer).setUint16(eocd + 10, 0xffff, true);
    // Refused at the first entry that is garbage or once the count exceeds what the file can hold.
    expect(valueOrRefused(() => loadTorch(file))).not.toBe('value');
  });

  test('a compressed (deflate) entry: TypeError, torch.save stores entries', () => {
    const file = zipSync({ 'archive/data.pkl': [bytes(...P2, OP.NONE, OP.STOP), { level: 6 }] });
    expect(() => loadTorch(file)).toThrow(/is compressed/);
  });

  test('not a zip (the legacy torch format, or random bytes), an empty file, no data.pkl', () => {
    expect(() => loadTorch(bytes(0x80, 2, 0x8a, 10))).toThrow(TypeError);
    expect(() => loadTorch(new Uint8Array(0))).toThrow(TypeError);
    expect(() => loadTorch(bytes('PK\x03\x04', new Uint8Array(40)))).toThrow(TypeError);
    expect(() => loadTorch(zipSync({ 'archive/other.pkl': [new Uint8Array(1), { level: 0 }] }))).toThrow(/expected one <archive>\/data.pkl/);
  });

  test('a big-endian file', () => {
    const file = zipSync({
      'archive/data.pkl': [bytes(...P2, OP.NONE, OP.STOP), { level: 0 }],
      'archive/byteorder': [bytes('big'), { level: 0 }],
      'archive/version': [bytes('3\n'), { level: 0 }],
    });
    expect(() => loadTorch(file)).toThrow(/only little-endian/);
  });
});

/**
 * Files real torch refuses, made from one torch.save file by scripts/golden/refused.py, which
 * recorded torch 2.15's verdict on each (test/fixtures/torch-refused/verdicts.json: torch.load(path,
 * weights_only=True) loads it, or its exception and message). Whatever torch refuses, loadTorch
 * refuses with its own TypeError or RangeError; what torch loads, it loads.
 */
describe("files torch refuses (torch's verdicts in test/fixtures/torch-refused/verdicts.json)", () => {
  const dir = new URL('../fixtures/torch-refused/', import.meta.url);
  const verdicts = JSON.parse(readFileSync(new URL('verdicts.json', dir), 'utf8')) as {
    files: Record<string, { what: string; torch: 'loads' | 'refuses'; error?: string; message?: string }>;
  };
  const files = goldenNames('torch-refused').filter((f) => f.endsWith('.pt'));

  test('every file has a verdict, and torch refused all but the base file', () => {
    expect(Object.keys(verdicts.files).sort()).toEqual(files);
    expect(files.filter((f) => verdicts.files[f].torch === 'loads')).toEqual(['base.pt']);
  });

  test.each(files.map((f) => [f, verdicts.files[f]] as const))('%s: %o', (name, verdict) => {
    const file = readFileSync(new URL(name, dir));
    if (verdict.torch === 'loads') {
      const value = loadTorch(file) as Map<string, { data: Float32Array }>;
      expect(Array.from(value.get('w')!.data)).toEqual([0, 1, 2, 3, 4, 5]);
      return;
    }
    const outcome = valueOrRefused(() => loadTorch(file));
    expect(outcome, `torch: ${verdict.error}: ${verdict.message}`).not.toBe('value');
    try {
      loadTorch(file);
    } catch (e) {
      expect((e as Error).message).toMatch(OWN_ERROR);
    }
  });
});
