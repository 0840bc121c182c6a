// The parsed .json files of a directory of test/fixtures/ (a golden directory may also hold
// torch's own .pt files), sorted by name: what the reference runners read.
import { readdirSync, readFileSync } from 'node:fs';

/** The .json fixtures of test/fixtures/`dir`/, parsed, sorted by file name. */
export function jsonFixtures(dir) {
  const url = new URL(`../test/fixtures/${dir}/`, import.meta.url);
  return readdirSync(url)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(new URL(f, url), 'utf8')));
}

/**
 * Replays a fixture with lucid's `Class`: Parameters of the fixture's shapes and initial values, its
 * groups (`{ params: [indices], ...options }`), and its gradients step by step (`null`: none that
 * step), calling `after(step, params, opt)` after each step. Disposes everything at the end.
 */
export function replay(lucid, Class, fx, after) {
  const params = fx.params.map(({ shape, initial }) => new lucid.Parameter(initial, { shape }));
  const opt = new Class(fx.groups.map(({ params: indices, ...options }) => ({ params: indices.map((i) => params[i]), ...options })));
  try {
    fx.grads.forEach((grads, s) => {
      grads.forEach((g, i) => (params[i].grad = g));
      opt.step();
      after(s + 1, params, opt);
    });
  } finally {
    opt.dispose();
    params.forEach((p) => p.dispose());
  }
}
