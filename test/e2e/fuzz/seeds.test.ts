// The fuzz suites are reproducible: `npm test` runs fixed seeds, a failure prints the command that
// replays it, and both suites draw their seeds here (a suite that went back to fast-check's own
// random seed would fail the last test).
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { expect, test } from 'vitest';
import { FIXED_SEEDS, checkSeeds, fuzzSeeds } from './seeds.js';

test('npm test runs the fixed seeds, every time; FUZZ_SEED replays one; npm run fuzz draws a fresh one', () => {
  expect(fuzzSeeds({})).toEqual([...FIXED_SEEDS]);
  expect(fuzzSeeds({})).toEqual(fuzzSeeds({}));
  expect(FIXED_SEEDS.length).toBeGreaterThan(1);
  expect(fuzzSeeds({ FUZZ_SEED: '12345' })).toEqual([12345]);
  const fresh = fuzzSeeds({ FUZZ_RANDOM: '1' });
  expect(fresh).toHaveLength(1);
  expect(Number.isSafeInteger(fresh[0])).toBe(true);
});

test('a failure throws the seed, the path and the command that replays it, and the replay fails the same way', () => {
  const property = fc.property(fc.integer({ min: 0, max: 1000 }), (n) => n < 500);
  let message = '';
  try {
    checkSeeds('test/e2e/fuzz/example.test.ts', property, 100, {});
  } catch (error) {
    message = (error as Error).message;
  }
  const replay = /Replay: FUZZ_SEED=(\d+) FUZZ_PATH=(\S+) npx vitest run test\/e2e\/fuzz\/example\.test\.ts$/.exec(message);
  expect(replay, message).not.toBeNull();
  expect(message).toContain('Counterexample: [500]');
  // The printed seed and path give the same shrunk counterexample again.
  expect(() => checkSeeds('x', property, 100, { FUZZ_SEED: replay![1], FUZZ_PATH: replay![2] })).toThrow('Counterexample: [500]');
});

test.each(['optimizer-fuzz.test.ts', 'checkpoint-fuzz.test.ts'])('%s draws its seeds from checkSeeds, never fast-check\'s own', (file) => {
  const source = readFileSync(new URL(file, import.meta.url), 'utf8');
  expect(source).toContain("from './seeds.js'");
  expect(source).not.toMatch(/fc\.assert\(/);
});
