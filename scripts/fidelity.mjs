#!/usr/bin/env node
// The ulp report: lucid-optim's float32 results against the float64 model of PyTorch's Adam
// (reference/adam-reference.mjs) after 1,000 steps, per option combination, for the SIMD
// kernel and the scalar reference kernel separately; then against TensorFlow.js. Runs exactly the
// cases of test/e2e/fidelity/ (reference/trajectory.mjs, tfjs-adam.mjs) and rewrites the part of
// docs/fidelity.md between the `fidelity:begin` and `fidelity:end` markers (creating the file if
// needed); the rest of that file is prose kept by hand.
//
//   npm run fidelity        (builds dist/ first, then runs this; ~1 minute on 2 cores)
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as lucid from '../dist/node.mjs';
import { ulpError, ulpsBetween } from '../reference/float32.mjs';
import { cases, runCase, SIZES, STEPS } from '../reference/trajectory.mjs';
import { runTfjs, TFJS_CONFIGS, TFJS_SIZES, TFJS_STEPS } from '../reference/tfjs-adam.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const docPath = fileURLToPath(new URL('../docs/fidelity.md', import.meta.url));
const BEGIN = '<!-- fidelity:begin (written by scripts/fidelity.mjs; edit outside the markers) -->';
const END = '<!-- fidelity:end -->';
const QUANTITIES = ['param', 'expAvg', 'expAvgSq', 'maxExpAvgSq'];
const NAMES = { param: 'param', expAvg: 'exp_avg', expAvgSq: 'exp_avg_sq', maxExpAvgSq: 'max_exp_avg_sq' };

/** Error statistics of float32 `got` against float64 `want`, over all parameters. */
function stats(pairs) {
  let maxAbs = 0;
  let maxRel = 0;
  let maxUlp = 0;
  const ulps = [];
  for (const [got, want] of pairs) {
    for (let e = 0; e < want.length; e++) {
      const abs = Math.abs(got[e] - want[e]);
      maxAbs = Math.max(maxAbs, abs);
      if (want[e] !== 0) maxRel = Math.max(maxRel, abs / Math.abs(want[e]));
      const ulp = ulpError(got[e], want[e]);
      maxUlp = Math.max(maxUlp, ulp);
      ulps.push(ulp);
    }
  }
  if (ulps.length === 0) return undefined;
  ulps.sort((a, b) => a - b);
  return { maxAbs, maxRel, maxUlp, medianUlp: ulps[ulps.length >> 1], n: ulps.length };
}

function quantityPairs(snap, q) {
  return snap.lucid.params
    .map((p, i) => (q === 'param' ? [p, snap.reference.params[i]] : [snap.lucid.state[i]?.[q], snap.reference.state[i]?.[q]]))
    .filter(([got, want]) => got !== undefined && want !== undefined);
}

function maxBoundRatio(snap, q) {
  let worst = 0;
  snap.lucid.params.forEach((p, i) => {
    const got = q === 'param' ? p : snap.lucid.state[i]?.[q];
    const want = q === 'param' ? snap.reference.params[i] : snap.reference.state[i]?.[q];
    const bound = snap.reference.bounds[i][q];
    if (!got || !want) return;
    for (let e = 0; e < want.length; e++) {
      const err = Math.abs(got[e] - want[e]);
      if (err > 0) worst = Math.max(worst, err / bound[e]);
    }
  });
  return worst;
}

function sameBits(a, b) {
  const bits = (x) => (x === undefined ? '' : Buffer.from(x.buffer, x.byteOffset, x.byteLength).toString('hex'));
  return a.lucid.params.every(
    (p, i) => bits(p) === bits(b.lucid.params[i]) && ['expAvg', 'expAvgSq', 'maxExpAvgSq'].every((q) => bits(a.lucid.state[i]?.[q]) === bits(b.lucid.state[i]?.[q])),
  );
}

const sci = (x) => (x === 0 ? '0' : x.toExponential(1));
const ulpText = (x) => (x < 100 ? x.toFixed(1) : x < 1e6 ? x.toFixed(0) : x.toExponential(1));

function trajectoryTable(rows) {
  const head = [
    '| case | param max abs | param max rel | param max ulp | param median ulp | exp_avg max ulp (median) | exp_avg_sq max ulp (median) | max_exp_avg_sq max ulp (median) |',
    '|---|---|---|---|---|---|---|---|',
  ];
  const cell = (s) => (s === undefined ? '-' : `${ulpText(s.maxUlp)} (${ulpText(s.medianUlp)})`);
  return [
    ...head,
    ...rows.map(({ name, s }) => `| ${name} | ${sci(s.param.maxAbs)} | ${sci(s.param.maxRel)} | ${ulpText(s.param.maxUlp)} | ${ulpText(s.param.medianUlp)} | ${cell(s.expAvg)} | ${cell(s.expAvgSq)} | ${cell(s.maxExpAvgSq)} |`),
  ].join('\n');
}

function machine() {
  const cpus = os.cpus();
  return `${cpus[0]?.model.trim() ?? 'unknown CPU'} (${cpus.length} logical cores), ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.type()} ${os.release()} ${os.arch()}; Node ${process.version} (V8 ${process.versions.v8})`;
}

function commit() {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'crates', 'ts', 'reference', 'scripts/fidelity.mjs'], { cwd: root, encoding: 'utf8' }).trim();
    return dirty ? `${head} with uncommitted changes` : head;
  } catch {
    return 'unknown (not a git checkout)';
  }
}

async function main() {
  const started = Date.now();
  // The test build: the shipped Rust plus the scalar reference kernel (`npm run fidelity` builds it).
  await lucid.init(readFileSync(new URL('../build/wasm/reference/lucid_optim_bg.wasm', import.meta.url)));
  tf.env().set('PROD', true); // silences tfjs's "install tfjs-node" banner
  await tf.setBackend('cpu');
  await tf.ready();

  const simdRows = [];
  const scalarRows = [];
  const boundRows = [];
  let allSame = true;
  for (const def of cases()) {
    process.stderr.write(`${def.name}\n`);
    const checkpoints = [STEPS];
    const [simd] = runCase(lucid, def, { checkpoints, weightDecayFrom: 'reference' });
    const [scalar] = runCase(lucid, def, { checkpoints, weightDecayFrom: 'reference', referenceKernel: true });
    const [bounded] = runCase(lucid, def, { checkpoints });
    const same = sameBits(simd, scalar);
    allSame &&= same;
    const summarize = (snap) => Object.fromEntries(QUANTITIES.map((q) => [q, stats(quantityPairs(snap, q))]));
    simdRows.push({ name: def.name, s: summarize(simd) });
    scalarRows.push({ name: `${def.name}${same ? '' : ' (DIFFERS from SIMD)'}`, s: summarize(scalar) });
    boundRows.push({ name: def.name, r: Object.fromEntries(QUANTITIES.map((q) => [q, maxBoundRatio(bounded, q)])), hasMax: def.groups.some((g) => g.amsgrad) });
  }

  const tfjsRows = [];
  for (const { name, h } of TFJS_CONFIGS) {
    process.stderr.write(`tfjs ${name}\n`);
    const { snaps } = await runTfjs(lucid, tf, name, h);
    const row = { name };
    for (const k of ['p', 'm', 'v']) {
      let abs = 0;
      let rel = 0;
      let ulp = 0;
      let ratio = 0;
      for (const s of snaps) {
        s.lucid[k].forEach((xs, i) => {
          for (let e = 0; e < xs.length; e++) {
            const d = Math.abs(xs[e] - s.tfjs[k][i][e]);
            abs = Math.max(abs, d);
            if (s.tfjs[k][i][e] !== 0) rel = Math.max(rel, d / Math.abs(s.tfjs[k][i][e]));
            ulp = Math.max(ulp, ulpsBetween(xs[e], s.tfjs[k][i][e]));
            if (d > 0) ratio = Math.max(ratio, d / (s.boundLucid[k][i][e] + s.boundTfjs[k][i][e]));
          }
        });
      }
      row[k] = { abs, rel, ulp, ratio };
    }
    tfjsRows.push(row);
  }

  const boundTable = [
    '| case | param | exp_avg | exp_avg_sq | max_exp_avg_sq |',
    '|---|---|---|---|---|',
    ...boundRows.map(({ name, r, hasMax }) => `| ${name} | ${r.param.toFixed(3)} | ${r.expAvg.toFixed(3)} | ${r.expAvgSq.toFixed(3)} | ${hasMax ? r.maxExpAvgSq.toFixed(3) : '-'} |`),
  ].join('\n');
  const tfjsTable = [
    '| lr, betas, eps | param max abs | param max rel | param max ulps | exp_avg max ulps | exp_avg_sq max ulps | max \\|lucid - tfjs\\| / (bound lucid + bound tfjs) |',
    '|---|---|---|---|---|---|---|',
    ...tfjsRows.map(
      (r) =>
        `| ${r.name} | ${sci(r.p.abs)} | ${sci(r.p.rel)} | ${r.p.ulp} | ${r.m.ulp} | ${r.v.ulp} | ${Math.max(r.p.ratio, r.m.ratio, r.v.ratio).toFixed(3)} |`,
    ),
  ].join('\n');

  const generated = [
    BEGIN,
    '',
    '## Measured',
    '',
    `Command: \`npm run fidelity\` (\`scripts/fidelity.mjs\`). Date: ${new Date().toISOString().slice(0, 10)}. Commit: ${commit()}.`,
    `Machine: ${machine()}. Run time: ${Math.round((Date.now() - started) / 1000)} s.`,
    '',
    `Every case runs ${STEPS} steps on four parameters of lengths ${SIZES.join(', ')} (seeded; initial values and gradients from 1e-8 to 1e4, sign flips, exact zeros; \`reference/trajectory.mjs\`), in lucid-optim (float32) and in the float64 model of PyTorch's Adam, fully independently. Errors after step ${STEPS}, over all ${SIZES.reduce((a, b) => a + b, 0)} elements: absolute, relative (to the float64 value), and in float32 ulps of the float64 value (fractional).`,
    '',
    '### SIMD kernel (what `step()` runs)',
    '',
    trajectoryTable(simdRows),
    '',
    '### Scalar reference kernel (`Adam._useReferenceKernel(true)`, internal)',
    '',
    allSame ? 'Bit for bit the same results as the SIMD kernel in every case (parameters and every state buffer), hence the same table:' : '**The scalar kernel differs from the SIMD kernel in the cases marked below.**',
    '',
    trajectoryTable(scalarRows),
    '',
    '### Against the float32 error bound',
    '',
    "The largest |lucid − float64| / bound over all elements after step 1000, where the bound is the first-order float32 error bound the float64 model carries (`propagateBounds` in `reference/adam-reference.mjs`) and the tolerance of `test/e2e/fidelity/trajectory.test.ts`. Below 1 means within what float32 rounding alone explains. As in that suite, the model evaluates `weight_decay * p` at lucid's parameters before each step (the weight-decay feedback loop is cut; see \"Reading the tables\"), so these runs differ from the independent ones above only in the weight-decay cases.",
    '',
    boundTable,
    '',
    '### TensorFlow.js',
    '',
    `\`tf.train.adam(lr, beta1, beta2, eps)\` (tfjs-core ${tf.version_core}, CPU backend) and lucid-optim on the same gradients, ${TFJS_STEPS} steps, lengths ${TFJS_SIZES.join(', ')}, compared at steps 1, 2, 10, 50, 100 and 200 (\`test/e2e/fidelity/tfjs.test.ts\`). Ulps here count the float32 values between the two results.`,
    '',
    tfjsTable,
    '',
    END,
  ].join('\n');

  let doc = existsSync(docPath) ? readFileSync(docPath, 'utf8') : `# Fidelity\n\n${BEGIN}\n${END}\n`;
  const a = doc.indexOf(BEGIN);
  const b = doc.indexOf(END);
  if (a < 0 || b < a) throw new Error(`${docPath}: markers missing; expected ${BEGIN} ... ${END}`);
  doc = doc.slice(0, a) + generated + doc.slice(b + END.length);
  writeFileSync(docPath, doc);
  process.stdout.write(`${generated}\n\nwrote ${docPath}\n`);
}

await main();
