// init(): refused use before it, idempotent, concurrent calls share one load, and every kind of
// source (default file, bytes, WebAssembly.Module, Response) works. Each test imports a fresh
// copy of the package (vi.resetModules) so that it starts uninitialised.
import { readFileSync } from 'node:fs';
import { beforeEach, expect, test, vi } from 'vitest';

const wasmBytes = readFileSync(new URL('../../dist/lucid_optim_bg.wasm', import.meta.url));
const fresh = async () => {
  vi.resetModules();
  return (await import('lucid-optim')) as typeof import('lucid-optim');
};

beforeEach(() => vi.resetModules());

test('using the API before init() is a TypeError that says to call init()', async () => {
  const { Parameter, Adam, AdamW, clipGradNorm } = await fresh();
  expect(() => new Parameter([1])).toThrow(new TypeError('Parameter: lucid-optim is not initialised; call `await init()` first'));
  expect(() => new Adam([])).toThrow(/Adam: lucid-optim is not initialised/);
  expect(() => new AdamW([])).toThrow(/AdamW: lucid-optim is not initialised/);
  expect(() => clipGradNorm([], 1)).toThrow(new TypeError('clipGradNorm: lucid-optim is not initialised; call `await init()` first'));
});

test('concurrent and repeated init() calls share one promise and one instance', async () => {
  const { init, Parameter } = await fresh();
  const first = init();
  const second = init();
  expect(second).toBe(first);
  await Promise.all([first, second]);
  expect(init()).toBe(first);
  expect(Array.from(new Parameter([1, 2]).data)).toEqual([1, 2]);
});

test.each([
  ['bytes (Uint8Array)', () => new Uint8Array(wasmBytes)],
  ['an ArrayBuffer', () => wasmBytes.buffer.slice(wasmBytes.byteOffset, wasmBytes.byteOffset + wasmBytes.byteLength)],
  ['a WebAssembly.Module', () => new WebAssembly.Module(wasmBytes)],
  ['a Response', () => new Response(wasmBytes, { headers: { 'Content-Type': 'application/wasm' } })],
])('init(%s) loads the module', async (_name, source) => {
  const { init, Parameter, Adam } = await fresh();
  await init(source() as never);
  const w = new Parameter([1]);
  w.grad = [1];
  new Adam([w], { lr: 0.5 }).step();
  expect(w.data[0]).toBeCloseTo(0.5, 6);
});

test('a failed init() rejects, and a later init() can still succeed', async () => {
  const { init, Parameter } = await fresh();
  await expect(init(new Uint8Array([0, 97, 115, 109, 1, 0, 0]))).rejects.toThrow();
  await init();
  expect(new Parameter(1).length).toBe(1);
});
