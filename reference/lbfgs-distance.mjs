// lucid-optim's LBFGS against real torch (test/fixtures/torch-lbfgs/, written by
// scripts/golden/lbfgs.py). Shared by test/e2e/fidelity/torch-lbfgs.test.ts, which bounds what
// this measures, and by the table in docs/fidelity.md:
//
//   npm run build && node reference/lbfgs-distance.mjs
//
// Per step() call: whether the closure count (torch's func_evals, n_iter) is torch's, the
// parameters' distance ||p_lucid - p_torch||_2 / ||p_torch - p_0||_2 (reference/float32.mjs), and
// the loss's difference relative to the first loss (the objective's scale: near the minimum the
// loss is float32 rounding noise); after the last, t's, H_diag's and ro's relative differences.
import { fileURLToPath } from 'node:url';
import { jsonFixtures } from './fixtures.mjs';
import { relativeDistance } from './float32.mjs';

const f = Math.fround;

/**
 * The closure of fixture `fx` over `params`: writes every gradient as torch's autograd computes
 * it in float32 (`c * (2u) + e * (4 ((u u) u))`, u = x - m, each product rounded; negated where
 * the fixture's `sign` is -1) and returns the loss (summed in float64; torch sums in float32).
 */
export function closureOf(fx, params) {
  return () => {
    let loss = 0;
    params.forEach((p, i) => {
      const { m, c, e } = fx.params[i];
      const grad = new Float32Array(p.data.length);
      for (let k = 0; k < grad.length; k++) {
        const u = f(p.data[k] - m[k]);
        const uu = f(u * u);
        loss += f(f(c[k] * uu) + f(e[k] * f(uu * uu)));
        grad[k] = fx.sign * f(f(c[k] * f(2 * u)) + f(e[k] * f(4 * f(uu * u))));
      }
      p.grad = grad;
    });
    return fx.sign * loss;
  };
}

const relative = (got, want) => Math.abs(got - want) / Math.max(Math.abs(want), 1e-30);

/**
 * Runs fixture `fx` in lucid (`lucid`: the package, after `init()`): a row per step() call
 * `{ step, counts, want, params, loss }` and the final state's `{ t, hDiag, ro, history }`.
 */
export function measure(lucid, fx) {
  const params = fx.params.map((p) => new lucid.Parameter(p.initial, { shape: p.shape }));
  const opt = new lucid.LBFGS(params, fx.options);
  const closure = closureOf(fx, params);
  const rows = fx.steps.map((want, k) => {
    const loss = opt.step(closure);
    const s = opt.stateDict().state[0];
    return {
      step: k + 1,
      counts: [s.funcEvals, s.nIter],
      want: [want.funcEvals, want.nIter],
      params: Math.max(...params.map((p, i) => relativeDistance(p.data, want.params[i], fx.params[i].initial))),
      loss: Math.abs(loss - want.loss) / Math.abs(fx.steps[0].loss),
    };
  });
  const s = opt.stateDict().state[0];
  const final = {
    t: relative(s.t, fx.state.t),
    hDiag: relative(s.hDiag, fx.state.hDiag),
    ro: Math.max(0, ...fx.state.ro.map((r, i) => relative(s.ro[i], r))),
    history: [s.oldDirs.length, (s.al ?? []).filter((v) => v !== null).length],
  };
  opt.dispose();
  for (const p of params) p.dispose();
  return { rows, final };
}

/** The fixtures (the .json files; the .pt file is torch's saved state dict), sorted by file name. */
export function fixtures() {
  return jsonFixtures('torch-lbfgs');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const lucid = await import('../dist/node.mjs');
  await lucid.init();
  console.log("| case | closure calls per step (torch's) | parameters' distance (largest) | loss (largest difference, relative to the first) | t, H_diag, ro (largest relative difference) |");
  console.log('|---|---|---|---|---|');
  for (const fx of fixtures()) {
    const { rows, final } = measure(lucid, fx);
    const max = (key) => Math.max(...rows.map((r) => r[key])).toExponential(1);
    const same = rows.every((r) => r.counts.join() === r.want.join());
    const calls = rows.map((r) => r.counts[0]).join(', ');
    console.log(`| ${fx.case} | ${calls} (${same ? "torch's" : 'DIFFERENT: ' + rows.map((r) => r.want[0]).join(', ')}) | ${max('params')} | ${max('loss')} | ${Math.max(final.t, final.hDiag, final.ro).toExponential(1)} |`);
  }
}
