// The golden fixtures cannot vanish silently: every directory of test/fixtures/ is listed in
// golden.ts with its count, every listed one exists with that count, and a missing one makes its
// suite fail rather than skip (goldenFiles throws).
import { readdirSync } from 'node:fs';
import { expect, test } from 'vitest';
import { FIXTURES_DIR, GOLDEN, checkedNames, goldenFiles, goldenNames } from './golden.js';

test('every directory of test/fixtures/ is a listed golden directory, and every listed one is there', () => {
  const present = readdirSync(FIXTURES_DIR, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  expect(present).toEqual(Object.keys(GOLDEN).sort());
});

test.each(Object.entries(GOLDEN))('test/fixtures/%s/ holds its %i files', (dir, count) => {
  expect(goldenNames(dir)).toHaveLength(count);
});

test('a missing or renamed directory, or one with a file too few, is an error, not an empty suite', () => {
  expect(() => goldenFiles('torch-sgd-renamed')).toThrow('test/fixtures/torch-sgd-renamed is not a golden directory');
  expect(() => checkedNames('torch-sgd-renamed', 19)).toThrow('test/fixtures/torch-sgd-renamed/ is missing: its suite has no cases');
  expect(() => checkedNames('torch-sgd', 20)).toThrow('test/fixtures/torch-sgd/ holds 19 files, not the 20 its suite expects');
  expect(goldenFiles('torch-sgd')).toHaveLength(19);
});
