// The golden fixtures real torch wrote (scripts/golden/, schema in scripts/golden/README.md): every
// directory under test/fixtures/ and the number of files it holds. Each suite reads its cases
// through `goldenFiles`, which throws, failing the suite, when a directory is missing or holds
// another number of cases: a renamed or emptied fixture directory cannot turn its suite into a
// silent skip. golden-directories.test.ts checks the list against the tree.
import { existsSync, readdirSync, readFileSync } from 'node:fs';

/** Each directory of test/fixtures/ and how many files it holds (each a case, or a checkpoint file). */
export const GOLDEN: Readonly<Record<string, number>> = Object.freeze({
  'torch-adadelta': 9,
  'torch-adafactor': 5,
  'torch-adagrad': 11,
  'torch-adam': 8,
  'torch-adam-nofma': 8,
  'torch-adamax': 10,
  'torch-adamw': 9,
  'torch-adamw-nofma': 9,
  'torch-asgd': 10,
  'torch-averaging': 5,
  'torch-checkpoints': 27,
  'torch-clip': 17,
  'torch-lbfgs': 5,
  'torch-muon': 7,
  'torch-nadam': 11,
  'torch-radam': 11,
  'torch-refused': 9,
  'torch-rmsprop': 13,
  'torch-rprop': 9,
  'torch-schedulers': 16,
  'torch-sgd': 19,
  'torch-sparse-adam': 4,
});

/** test/fixtures/, the directory the fixtures live in. */
export const FIXTURES_DIR = new URL('../../fixtures/', import.meta.url);

/** The file names of test/fixtures/`dir`/, sorted; throws unless there are exactly GOLDEN[dir] of them. */
export function goldenNames(dir: string): string[] {
  const expected = GOLDEN[dir];
  if (expected === undefined) throw new Error(`test/fixtures/${dir} is not a golden directory (GOLDEN in test/e2e/fidelity/golden.ts lists them)`);
  return checkedNames(dir, expected);
}

/** The file names of test/fixtures/`dir`/, sorted; throws if it is missing or holds other than `expected`. */
export function checkedNames(dir: string, expected: number): string[] {
  const url = new URL(`${dir}/`, FIXTURES_DIR);
  if (!existsSync(url)) throw new Error(`test/fixtures/${dir}/ is missing: its suite has no cases (regenerate it with scripts/golden/)`);
  const names = readdirSync(url).sort();
  if (names.length !== expected) throw new Error(`test/fixtures/${dir}/ holds ${names.length} files, not the ${expected} its suite expects`);
  return names;
}

/** The parsed cases (.json files) of test/fixtures/`dir`/, sorted by name; throws as goldenNames does. */
export function goldenFiles<T>(dir: string): T[] {
  const url = new URL(`${dir}/`, FIXTURES_DIR);
  return goldenNames(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(new URL(f, url), 'utf8')) as T);
}
