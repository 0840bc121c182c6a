// Reliability, out of memory in Adam.addParams: when WebAssembly memory cannot hold the room for
// the new parameters (adam-core's `reserve_params`, refused by the headroom policy), the call is a
// RangeError that adds none of them and changes nothing; once memory is freed the same call works.
// Memory is grown from JavaScript to 48 MiB short of wasm32's 4 GiB (nearly-full-memory.ts: untouched
// pages, no RSS), then filled with parameters until nothing more is admitted.
import { expect, test } from 'vitest';
import { thrownBy } from '../../helpers.js';
import { observe } from '../../observe.js';
import { initNearlyFull } from './nearly-full-memory.js';

const { Adam, Parameter } = await initNearlyFull(48 * 2 ** 20);
type Param = InstanceType<typeof Parameter>;

test('addParams whose bookkeeping does not fit adds none of the parameters, and changes nothing', () => {
  const x = new Parameter([1, 2], { name: 'x' });
  const opt = new Adam([{ params: [] }, { params: [x] }], { lr: 0.1 });
  x.grad = [1, 1];
  opt.step();
  // 16,384 parameters need 16,384 slots of bookkeeping (16 bytes each: 256 KiB), more than the
  // 64 KiB headroom (adam-wasm's HEADROOM) the filled memory keeps.
  const added: Param[] = Array.from({ length: 16_384 }, () => new Parameter(1));
  const blockers: Param[] = [];
  for (let size = 2 ** 22; size >= 16; size /= 2) {
    for (;;) {
      try {
        blockers.push(new Parameter(size));
      } catch {
        break;
      }
    }
  }
  const before = observe([x], [opt]);
  const error = thrownBy(() => opt.addParams(added, 0));
  expect(error).toBeInstanceOf(RangeError);
  expect(error.message).toMatch(/^Adam\.addParams: cannot add 16384 parameters: .*out of WebAssembly memory.*; nothing was changed$/);
  expect(observe([x], [opt])).toEqual(before);
  expect(opt.paramGroups[0].params).toEqual([]);

  blockers.forEach((b) => b.dispose());
  opt.addParams(added, 0);
  expect(opt.paramGroups[0].params.length).toBe(16_384);
  expect(opt.stateDict().paramGroups[1].params).toEqual([16_384]); // x moved up, as in torch
  x.grad = [1, 1];
  opt.step();
  expect(opt.stateDict().state[16_384].step).toBe(2);
  opt.dispose();
  [x, ...added].forEach((p) => p.dispose());
});
