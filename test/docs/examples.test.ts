// The README's and guides' code examples. scripts/examples.mjs (run by scripts/test.sh before
// vitest) writes every ```js and ```ts block to target/examples/ and type-checks them all against
// the built package; this suite checks that it covered every block there is, and runs the
// README's first example, the plain training loop, as a user would paste it, with a few data
// points for the `data` it iterates over.
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { expect, test } from 'vitest';
import { codeBlocks, documents } from '../../scripts/examples.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));

test('scripts/examples.mjs type-checked every ```js and ```ts block of the README and docs/ (one file each in target/examples/)', () => {
  const blocks = documents().flatMap((doc) => codeBlocks(readFileSync(join(root, doc), 'utf8')).map((b, k) => `${doc.replace(/[/.]/g, '-')}-${k + 1}.${b.lang}`));
  expect(blocks.length).toBeGreaterThanOrEqual(13);
  const written = readdirSync(join(root, 'target/examples')).filter((f) => /\.(js|ts)$/.test(f) && f !== 'context.d.ts');
  expect(written.sort()).toEqual(blocks.sort());
});

test("the README's training loop runs as written, and trains", async () => {
  const [first] = codeBlocks(readFileSync(join(root, 'README.md'), 'utf8'));
  expect(first.code).toContain('optimizer.step()');
  // y = x * [0.5, -1, 2]: the loop should bring param from [1, 2, 3] towards [0.5, -1, 2].
  const data = Array.from({ length: 200 }, (_, i) => {
    const x = [1 + (i % 3), 2 - (i % 5) / 2, 0.5 + (i % 7) / 3];
    return [x, [0.5 * x[0], -1 * x[1], 2 * x[2]]];
  });
  const dir = mkdtempSync(join(root, 'target/example-run-'));
  try {
    const file = join(dir, 'readme-1.mjs');
    const code = first.code.replace(/from 'lucid-optim'/g, `from ${JSON.stringify(pathToFileURL(join(root, 'dist/node.mjs')).href)}`);
    writeFileSync(file, `const data = ${JSON.stringify(data)};\n${code}\nconsole.log(JSON.stringify(Array.from(model.param.data)));\n`);
    const { stdout } = await promisify(execFile)(process.execPath, [file], { cwd: dir });
    const trained = JSON.parse(stdout.trim().split('\n').at(-1)!) as number[];
    const target = [0.5, -1, 2];
    const before = [1, 2, 3].reduce((s, v, i) => s + Math.abs(v - target[i]), 0);
    const after = trained.reduce((s, v, i) => s + Math.abs(v - target[i]), 0);
    expect(after).toBeLessThan(before / 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
