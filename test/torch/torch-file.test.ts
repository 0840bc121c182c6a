// loadTorch/saveTorch round trips: every dtype, every structure, the zip layout torch.save writes,
// and views of one shared storage in a pickle assembled by hand.
import { crc32 } from 'node:zlib';
import { unzipSync } from 'fflate';
import { describe, expect, test } from 'vitest';
import { loadTorch, saveTorch, type TorchTensor } from 'lucid-optim';
import { OP, bytes, canonical, global, storagePid, str, tensor, tensorOf, torchZip, binint } from './torch-helpers.js';

/** One tensor of each dtype, with values at the edges of its range. */
const everyDtype = (): Map<string, TorchTensor> =>
  new Map([
    ['f32', tensor('float32', [2, 3], new Float32Array([0, -0, 1.5, -3.25e-38, Infinity, NaN]))],
    ['f64', tensor('float64', [3], new Float64Array([Math.PI, -Number.MAX_VALUE, Number.MIN_VALUE]))],
    // float16 bits: 1.0 = 0x3c00, -2.0 = 0xc000, +inf = 0x7c00; bfloat16 bits: 1.0 = 0x3f80
    ['f16', tensor('float16', [3], new Uint16Array([0x3c00, 0xc000, 0x7c00]))],
    ['bf16', tensor('bfloat16', [1, 2], new Uint16Array([0x3f80, 0xff80]))],
    ['i64', tensor('int64', [3], new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n, 0n]))],
    ['i32', tensor('int32', [2], new Int32Array([-(2 ** 31), 2 ** 31 - 1]))],
    ['i16', tensor('int16', [2], new Int16Array([-32768, 32767]))],
    ['i8', tensor('int8', [2], new Int8Array([-128, 127]))],
    ['u8', tensor('uint8', [2], new Uint8Array([0, 255]))],
    ['bool', tensor('bool', [3], new Uint8Array([1, 0, 1]))],
    ['scalar', tensor('float32', [], new Float32Array([7]))],
    ['empty', tensor('float32', [0, 4], new Float32Array(0))],
    ['4d', tensor('int16', [2, 1, 2, 2], Int16Array.from({ length: 8 }, (_, i) => i - 4))],
  ]);

describe('round trips', () => {
  test('every dtype comes back with its dtype, shape and exact bits', () => {
    const value = everyDtype();
    const back = loadTorch(saveTorch(value)) as Map<string, TorchTensor>;
    expect([...back.keys()]).toEqual([...value.keys()]);
    for (const [k, t] of value) {
      const u = back.get(k)!;
      expect(u.dtype).toBe(t.dtype);
      expect(u.shape).toEqual(t.shape);
      expect(u.data.constructor).toBe(t.data.constructor);
      expect(canonical(u)).toEqual(canonical(t));
    }
  });

  test('structures: nested dicts with number and string keys, lists, ints, bigints, floats, bools, None, strings', () => {
    const value = new Map<unknown, unknown>([
      ['state', new Map([[0, new Map([['step', tensor('float32', [], new Float32Array([3]))]])], [1, new Map()]])],
      ['param_groups', [new Map<string, unknown>([['lr', 0.001], ['betas', [0.9, 0.999]], ['eps', 1e-8], ['amsgrad', false], ['params', [0, 1]], ['foreach', null]])]],
      ['ints', [0, 255, 256, 65535, 65536, -1, -(2 ** 31), 2 ** 31 - 1, 2 ** 31, 2 ** 53 - 1, -(2 ** 53) + 1]],
      ['bigints', [2n ** 53n, -(2n ** 53n), 2n ** 63n, -(2n ** 200n)]],
      ['floats', [0.5, -0, Infinity, -Infinity, NaN, 1e300]],
      ['strings', ['', 'ascii', 'ünïcødé ✓ 𝄞']],
      [-7, [true, false, null, [], new Map(), [[[1]]]]],
    ]);
    const back = loadTorch(saveTorch(value));
    expect(canonical(back)).toEqual(canonical(value));
  });

  test('plain objects save as dicts with string keys; integral numbers as ints (so 2.0 comes back as 2)', () => {
    const back = loadTorch(saveTorch({ a: 1, b: { c: 2.0, d: [2.5] } }));
    expect(back).toEqual(new Map<string, unknown>([['a', 1], ['b', new Map<string, unknown>([['c', 2], ['d', [2.5]]])]]));
  });

  test('an ArrayBuffer is accepted as well as a Uint8Array', () => {
    const file = saveTorch([1, 'two']);
    const copy = file.slice().buffer;
    expect(loadTorch(copy)).toEqual([1, 'two']);
  });

  test('saveTorch output is deterministic', () => {
    expect(saveTorch(everyDtype())).toEqual(saveTorch(everyDtype()));
  });
});

describe('the zip layout torch.save writes', () => {
  test('archive/data.pkl, archive/byteorder, archive/data/<n>, archive/version; storages 64-byte aligned', () => {
    const file = saveTorch(everyDtype());
    const entries = unzipSync(file);
    const names = Object.keys(entries);
    expect(names).toEqual(['archive/data.pkl', 'archive/byteorder', ...[...Array(13).keys()].map((i) => `archive/data/${i}`), 'archive/version']);
    // Walk the local headers: signature PK\3\4, name length at +26, extra length at +28, data after,
    // then (as torch.save writes them too: general purpose flag bit 3) a data descriptor with the
    // entry's CRC-32 (checked against zlib's) and sizes.
    const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
    let at = 0;
    for (const name of names) {
      expect(view.getUint32(at, true)).toBe(0x04034b50);
      expect(view.getUint16(at + 6, true) & 8).toBe(8);
      const size = entries[name].length;
      const data = at + 30 + view.getUint16(at + 26, true) + view.getUint16(at + 28, true);
      if (name.startsWith('archive/data/')) expect(data % 64).toBe(0);
      at = data + size;
      expect([view.getUint32(at, true), view.getUint32(at + 4, true), view.getUint32(at + 8, true), view.getUint32(at + 12, true)]).toEqual([
        0x08074b50,
        crc32(entries[name]),
        size,
        size,
      ]);
      at += 16;
    }
  });

  test("the browser build (its own slicing-by-8 CRC-32) writes the same bytes as the Node build (zlib's CRC-32)", async () => {
    // dist/browser.mjs is plain ESM; saveTorch needs no WebAssembly, so Node can run it as it is.
    const browser = (await import('../../dist/browser.mjs')) as { saveTorch: typeof saveTorch };
    // Lengths around the 8-byte rounds of the slicing-by-8 loop, and a few MB of varied bytes.
    for (const n of [0, 1, 7, 8, 9, 15, 16, 17, 1000, 3 << 20]) {
      const data = Uint8Array.from({ length: n }, (_, i) => (i * 2654435761) >>> 24);
      const value = new Map([['x', tensor('uint8', [n], data)]]);
      expect(Buffer.compare(browser.saveTorch(value), saveTorch(value)), `${n} bytes`).toBe(0);
    }
  });

  test('contiguous tensors load as views of the (aligned) storage entries, not copies', () => {
    const back = loadTorch(saveTorch(new Map([['w', tensor('float32', [1000], new Float32Array(1000).fill(1))]]))) as Map<string, TorchTensor>;
    const w = back.get('w')!;
    expect(w.data.byteLength).toBe(4000);
    expect(w.data.buffer.byteLength).toBe(4000); // the storage entry's own buffer
  });

  test('a top-level folder other than "archive" (torch uses the file name) is read', () => {
    const pkl = bytes(OP.PROTO, 2, ...str('hello'), OP.STOP);
    expect(loadTorch(torchZip(pkl, {}, 'my_model'))).toBe('hello');
  });
});

describe('views of one shared storage', () => {
  // A pickle assembled by hand, as torch.save writes a dict of views of one tensor
  //   s = torch.arange(12, dtype=torch.float32)
  //   torch.save({'a': s.view(3, 4), 'b': s.view(3, 4).t(), 'c': s[5::3][:2],
  //               'd': s[1:4].expand(2, 3), 'e': s[7], 'f': s.view(3, 4)[1:, 2:]}, f)
  // Every tensor refers to storage '0' (12 float32 elements) with its own offset, size and stride.
  // The first persistent id is memoized (BINPUT 0) and the others fetch it (BINGET 0), as pickle's
  // memo does for a repeated object.
  const s = Float32Array.from({ length: 12 }, (_, i) => i);
  const pid = storagePid('FloatStorage', '0', binint(12));
  const pkl = bytes(
    OP.PROTO, 2, OP.EMPTY_DICT, OP.MARK,
    ...str('a'), ...tensorOf([...pid, OP.BINPUT, 0], 0, [3, 4], [4, 1]),
    ...str('b'), ...tensorOf([OP.BINGET, 0], 0, [4, 3], [1, 4]),
    ...str('c'), ...tensorOf([OP.BINGET, 0], 5, [2], [3]),
    ...str('d'), ...tensorOf([OP.BINGET, 0], 1, [2, 3], [0, 1]),
    ...str('e'), ...tensorOf([OP.BINGET, 0], 7, [], []),
    ...str('f'), ...tensorOf([OP.BINGET, 0], 6, [2, 2], [4, 1]),
    OP.SETITEMS, OP.STOP,
  );
  const file = torchZip(pkl, { '0': new Uint8Array(s.buffer) });
  const got = loadTorch(file) as Map<string, TorchTensor>;
  const values = (k: string) => Array.from(got.get(k)!.data as Float32Array);

  test('a: the whole storage as 3x4', () => {
    expect(got.get('a')!.shape).toEqual([3, 4]);
    expect(values('a')).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  });
  test('b: the transpose, b[i][j] = s[4j + i]', () => {
    expect(got.get('b')!.shape).toEqual([4, 3]);
    expect(values('b')).toEqual([0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11]);
  });
  test('c: offset 5, stride 3: s[5], s[8]', () => expect(values('c')).toEqual([5, 8]));
  test('d: stride 0 (expand): rows of s[1..3] twice', () => expect(values('d')).toEqual([1, 2, 3, 1, 2, 3]));
  test('e: a 0-d tensor at offset 7', () => {
    expect(got.get('e')!.shape).toEqual([]);
    expect(values('e')).toEqual([7]);
  });
  test('f: the bottom-right 2x2 block, rows s[6..7] and s[10..11]', () => expect(values('f')).toEqual([6, 7, 10, 11]));
  test('a saveTorch of the loaded views writes them contiguous and reads back equal', () => {
    expect(canonical(loadTorch(saveTorch(got)))).toEqual(canonical(got));
  });
});
