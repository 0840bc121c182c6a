// The gate itself: `npm test` cannot pass by running less than it should. A committed `.only`
// fails the run in every environment, CI runs exactly the README's command, no suite skips on its
// own, and child processes run the Node that runs the tests.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, test } from 'vitest';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'lucid-gate-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? testFiles(join(dir, e.name)) : /\.(test\.)?ts$/.test(e.name) ? [join(dir, e.name)] : [],
  );
}

test('a `.only` fails the run with the project\'s vitest config, with CI unset as .ci/run leaves it', () => {
  // A two-test project in a temp folder, run by the project's own vitest and config; vitest's
  // default would allow the `.only` here (CI unset), run one test and exit 0.
  mkdirSync(join(scratch, 'test'));
  writeFileSync(
    join(scratch, 'test', 'only.test.ts'),
    "import { test } from 'vitest';\ntest.only('the one', () => {});\ntest('every other', () => {});\n",
  );
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.CI;
  delete env.VITEST;
  delete env.VITEST_MODE;
  delete env.VITEST_POOL_ID;
  delete env.VITEST_WORKER_ID;
  delete env.NODE_ENV;
  const run = spawnSync(
    process.execPath,
    [join(root, 'node_modules/vitest/vitest.mjs'), 'run', '--root', scratch, '--config', join(root, 'vitest.config.ts')],
    { cwd: scratch, env, encoding: 'utf8', timeout: 120_000 },
  );
  const output = run.stdout + run.stderr;
  expect(run.status, output).not.toBe(0);
  expect(output).toMatch(/\.only/);
});

test('.ci/run runs exactly the test command the README gives a newcomer', () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const commands = [...readme.matchAll(/^(npm [a-z:]+(?: [^#\n]*?)?)\s+#/gm)].map((m) => m[1].trim());
  expect(commands).toContain('npm test');
  const ci = readFileSync(join(root, '.ci/run'), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#') && !/^(set|cd) /.test(line));
  expect(ci).toEqual(['npm test']);
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  // npm test must not quietly narrow what it runs, e.g. to one folder or with --bail skipped steps.
  expect(pkg.scripts.test).toBe('bash scripts/test.sh');
});

test('no test file skips itself: a suite that cannot run fails instead (golden.ts, the fuzz seeds)', () => {
  // `runIf(backend === 'wasm')` in the tfjs suite is the one allowed condition: the suite runs on
  // both tfjs backends and that test is about the wasm backend; the cpu run reports it skipped.
  const offenders = testFiles(join(root, 'test'))
    .filter((file) => /\b(describe|test|it)\.(skip|skipIf|todo|only)\b|\b(describe|it)\.runIf\b/.test(readFileSync(file, 'utf8')))
    .map((file) => relative(root, file))
    .filter((file) => file !== 'test/e2e/reliability/test-gate.test.ts');
  expect(offenders).toEqual([]);
  const runIf = testFiles(join(root, 'test')).filter((file) => /\btest\.runIf\b/.test(readFileSync(file, 'utf8')));
  expect(runIf.map((file) => relative(root, file))).toEqual(['test/tfjs/suite.ts']);
});

test('child processes run process.execPath, never whatever `node` is first on PATH', () => {
  const offenders = testFiles(join(root, 'test'))
    .filter((file) => /\b(execFileSync|spawnSync|spawn|execFile|execSync|exec)\(\s*['"`]node\b/.test(readFileSync(file, 'utf8')))
    .map((file) => relative(root, file));
  expect(offenders).toEqual([]);
});
