// The README's runnable example (examples/my-model.mjs, lucid's MyModel ported) runs and learns.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

test('examples/my-model.mjs learns param = [0.5, -1, 2] and its loss falls', () => {
  const out = execFileSync('node', [fileURLToPath(new URL('../examples/my-model.mjs', import.meta.url))], { encoding: 'utf8' });
  const losses = [...out.matchAll(/loss (\S+)/g)].map((m) => Number(m[1]));
  expect(losses.length).toBeGreaterThan(3);
  expect(losses.at(-1)!).toBeLessThan(losses[0] * 1e-6);
  expect(out).toMatch(/learned param: \[ 0\.5, -1, 2 \]/);
});
