// Seeded Adam problems and their option cases, and a runner that steps lucid-optim and the float64
// reference side by side. Shared by test/e2e/fidelity/trajectory.test.ts and scripts/fidelity.mjs so the
// suite and the ulp report measure exactly the same runs. Not shipped.

import { ReferenceAdam } from './adam-reference.mjs';
import { mulberry32 } from './rng.mjs';

/** Parameter lengths of every problem: 1 and 7 and 33 leave a scalar tail after the 4-lane body. */
export const SIZES = Object.freeze([1, 7, 33, 1000]);
/** Steps per run. */
export const STEPS = 1000;
/** Steps after which runs are compared (the last one included). */
export const CHECKPOINTS = Object.freeze([1, 2, 10, 100, 500, 1000]);

/** FNV-1a of a string: a stable seed per case name. */
export function seedOf(name) {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/**
 * Initial values and a gradient stream. Initial values: random sign, magnitude 10^U(-8, 4). Each
 * gradient element has its own scale 10^U(-7, 3), jittered by 10^U(-1, 1) every step (so values
 * span 1e-8 to 1e4 and some elements stay tiny, where eps matters), keeps its sign or flips it
 * (probability 0.3), and is exactly zero with probability 1/8. All values are float32.
 */
export function makeProblem(seed, sizes = SIZES) {
  const rand = mulberry32(seed);
  const uniform = (lo, hi) => lo + (hi - lo) * rand();
  const sign = () => (rand() < 0.5 ? -1 : 1);
  const initial = sizes.map((n) => Float32Array.from({ length: n }, () => sign() * 10 ** uniform(-8, 4)));
  const scales = sizes.map((n) => Float64Array.from({ length: n }, () => 10 ** uniform(-7, 3)));
  const signs = sizes.map((n) => Float64Array.from({ length: n }, sign));
  return {
    initial,
    /** The next step's gradients, one Float32Array per parameter. */
    nextGrads() {
      return sizes.map((n, j) => {
        const g = new Float32Array(n);
        for (let e = 0; e < n; e++) {
          if (rand() < 0.3) signs[j][e] = -signs[j][e];
          g[e] = rand() < 0.125 ? 0 : signs[j][e] * scales[j][e] * 10 ** uniform(-1, 1);
        }
        return g;
      });
    },
  };
}

const ALL = [0, 1, 2, 3];

/**
 * The option cases: every combination of weightDecay {0, 1e-2} x amsgrad x maximize, then
 * non-default lr/betas/eps, then parameter groups with different options, lr changes (one jump
 * and a per-step schedule) and skipped parameters (grad null; one gets its first gradient late).
 */
export function cases() {
  const list = [];
  for (const weightDecay of [0, 1e-2]) {
    for (const amsgrad of [false, true]) {
      for (const maximize of [false, true]) {
        list.push({
          name: `weightDecay=${weightDecay} amsgrad=${amsgrad} maximize=${maximize}`,
          groups: [{ params: ALL, weightDecay, amsgrad, maximize }],
        });
      }
    }
  }
  list.push(
    { name: 'lr=0.05 betas=(0.8,0.95) eps=1e-6', groups: [{ params: ALL, lr: 0.05, betas: [0.8, 0.95], eps: 1e-6 }] },
    { name: 'lr=1e-4 betas=(0.95,0.9999) eps=1e-10', groups: [{ params: ALL, lr: 1e-4, betas: [0.95, 0.9999], eps: 1e-10 }] },
    // 1 - beta1 >= 0.5: torch.lerp's other formula.
    { name: 'lr=1e-2 betas=(0.3,0.9) amsgrad', groups: [{ params: ALL, lr: 1e-2, betas: [0.3, 0.9], amsgrad: true }] },
    // exp_avg = g and exp_avg_sq = g * g. (With weight decay too, g = grad + wd * p cancels to ~0 and
    // the update -lr * g / (|g| + eps) flips sign on the last bit: no float32 run can track float64.)
    { name: 'betas=(0,0)', groups: [{ params: ALL, betas: [0, 0] }] },
  );
  const cosine = [];
  for (let step = 1; step < STEPS; step++) {
    cosine.push({ afterStep: step, group: 2, lr: 1e-3 * 0.5 * (1 + Math.cos((Math.PI * step) / STEPS)) });
  }
  list.push({
    name: 'param groups, lr changes, skipped params',
    groups: [
      { params: [0, 1], lr: 1e-2, betas: [0.8, 0.99], amsgrad: true },
      { params: [2], weightDecay: 1e-2, maximize: true, eps: 1e-6 },
      { params: [3], lr: 1e-3 },
    ],
    lrSchedule: [{ afterStep: 500, group: 0, lr: 1e-3 }, ...cosine],
    // Parameter 1 gets its first gradient at step 250 (lazy state); parameter 2 none every 5th step.
    skip: (step, i) => (i === 1 && step < 250) || (i === 2 && step % 5 === 0),
  });
  return list.map((c) => ({ lrSchedule: [], skip: () => false, ...c, seed: seedOf(c.name) }));
}

function copyReference(ref) {
  const copy = (x) => (x === undefined ? undefined : Float64Array.from(x));
  return {
    params: ref.params.map(copy),
    state: ref.state.map((s) => s && { step: s.step, expAvg: copy(s.expAvg), expAvgSq: copy(s.expAvgSq), maxExpAvgSq: copy(s.maxExpAvgSq) }),
    bounds: ref.bounds?.map((b) => ({ param: copy(b.param), expAvg: copy(b.expAvg), expAvgSq: copy(b.expAvgSq), maxExpAvgSq: copy(b.maxExpAvgSq) })),
  };
}

/**
 * Runs one case with lucid-optim (`lucid`: the package's exports after `init()`) and with the
 * float64 reference, and returns a snapshot of both at every checkpoint. `alternatives` runs
 * extra references with other semantics (by name) on the same data.
 *
 * `weightDecayFrom`: 'lucid' (default) evaluates the references' L2 term at lucid-optim's float32
 * parameters before each step (ReferenceAdam.step explains why: it keeps the error bounds finite);
 * 'reference' runs the references fully independently, as the ulp report also shows them.
 */
export function runCase(
  lucid,
  def,
  { steps = STEPS, checkpoints = CHECKPOINTS, referenceKernel = false, alternatives = {}, weightDecayFrom = 'lucid' } = {},
) {
  const problem = makeProblem(def.seed);
  const params = problem.initial.map((x, i) => new lucid.Parameter(x, { name: `p${i}` }));
  const opt = new lucid.Adam(def.groups.map((g) => ({ ...g, params: g.params.map((i) => params[i]) })));
  if (referenceKernel) opt._useReferenceKernel(true);
  const ref = new ReferenceAdam(problem.initial, def.groups);
  const alts = Object.entries(alternatives).map(([name, semantics]) => [name, new ReferenceAdam(problem.initial, def.groups, { semantics })]);
  const snapshots = [];
  try {
    for (let step = 1; step <= steps; step++) {
      const grads = problem.nextGrads().map((g, i) => (def.skip(step, i) ? null : g));
      grads.forEach((g, i) => {
        params[i].grad = g;
      });
      const decayAt = weightDecayFrom === 'lucid' ? params.map((p) => Float64Array.from(p.data)) : undefined;
      opt.step();
      ref.step(grads, decayAt);
      for (const [, alt] of alts) alt.step(grads, decayAt);
      if (checkpoints.includes(step)) {
        const state = opt.stateDict().state;
        snapshots.push({
          step,
          lucid: {
            params: params.map((p) => p.data.slice()),
            state: params.map((_, i) => state[i]),
          },
          reference: copyReference(ref),
          alternatives: Object.fromEntries(alts.map(([name, alt]) => [name, copyReference(alt)])),
        });
      }
      for (const change of def.lrSchedule) {
        if (change.afterStep !== step) continue;
        opt.paramGroups[change.group].lr = change.lr;
        ref.paramGroups[change.group].lr = change.lr;
        for (const [, alt] of alts) alt.paramGroups[change.group].lr = change.lr;
      }
    }
  } finally {
    opt.dispose();
    params.forEach((p) => p.dispose());
  }
  return snapshots;
}
