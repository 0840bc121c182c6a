// The examples run and learn: the README's runnable example (examples/my-model.mjs, lucid's MyModel
// ported) and the Node demo (examples/train.mjs, `npm run demo`) with and without the training
// recipe's flags (AdamW, a warmed-up schedule, gradient clipping).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';

const example = (name: string) => fileURLToPath(new URL(`../../examples/${name}`, import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'lucid-optim-examples-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

test('examples/my-model.mjs learns param = [0.5, -1, 2] and its loss falls', () => {
  const out = execFileSync(process.execPath, [example('my-model.mjs')], { encoding: 'utf8' });
  const losses = [...out.matchAll(/loss (\S+)/g)].map((m) => Number(m[1]));
  expect(losses.length).toBeGreaterThan(3);
  expect(losses.at(-1)!).toBeLessThan(losses[0] * 1e-6);
  expect(out).toMatch(/learned param: \[ 0\.5, -1, 2 \]/);
});

describe('examples/train.mjs (npm run demo)', () => {
  /** Runs the demo; its progress lines (piped, so no progress bar) and the SVG it wrote. */
  function train(name: string, ...args: string[]) {
    const svgPath = join(scratch, `${name}.svg`);
    const out = execFileSync(process.execPath, [example('train.mjs'), ...args, '--out', svgPath], { encoding: 'utf8' });
    const lines = [...out.matchAll(/^step +(\d+) +loss (\S+) +accuracy \S+%(.*)$/gm)].map((m) => ({ step: Number(m[1]), loss: Number(m[2]), rest: m[3] }));
    return { out, lines, svg: readFileSync(svgPath, 'utf8') };
  }

  test('by default: Adam at a constant lr, the output of before the recipe flags, and no lr panel', () => {
    const { out, lines, svg } = train('default', '--steps', '60');
    expect(out).toMatch(/^lucid-optim Adam \(lr 0\.01\): 387 weights, 300 spiral points in 3 classes, 60 full-batch steps, seed 1\n/);
    expect(lines.map((l) => l.step)).toEqual([1, 6, 12, 18, 24, 30, 36, 42, 48, 54, 60]);
    expect(lines.every((l) => l.rest === '')).toBe(true); // no lr, no grad norm
    expect(lines.at(-1)!.loss).toBeLessThan(lines[0].loss);
    expect(out).toMatch(/\(Adam\.step [\d.]+ µs of \d+ µs per step; the rest is the hand-written forward\/backward pass\)\nloss curve: /);
    expect(out).not.toMatch(/lr schedule|clipGradNorm/);
    expect(svg).toMatch(/^<svg [^>]*height="420"/);
    expect(svg).toContain('Spiral MLP, lucid-optim Adam (lr 0.01, seed 1)');
    expect(svg).not.toContain('learning rate');
  });

  test('--optimizer adamw --schedule cosine --warmup 20 --clip 0.05: the lr warms up then anneals, clipping happens, the loss falls', () => {
    // --clip 0.05, not 1: this model's gradient norm starts near 0.3 and is often below 0.05 later,
    // so both clipped and unclipped steps occur (with 1, none would be clipped).
    const { out, lines, svg } = train('recipe', ...'--steps 200 --optimizer adamw --schedule cosine --warmup 20 --clip 0.05'.split(' '));
    expect(out).toMatch(/^lucid-optim AdamW \(lr 0\.01, weight decay 0\.01, warm-up 20 \+ cosine over 200 steps, clip 0\.05\): /);
    expect(out).toContain(
      'lr schedule: SequentialLR([LinearLR(startFactor 0.01, endFactor 1, totalIters 20), CosineAnnealingLR(tMax 180)], milestones [20]), stepped after each AdamW.step()',
    );
    expect(lines.map((l) => l.step)).toEqual([1, 20, 40, 60, 80, 100, 120, 140, 160, 180, 200]);
    // The lr step s used (the scheduler steps after each optimizer step, so step s sees epoch s - 1):
    // warm-up, LinearLR epoch e < 20: 0.01 × (0.01 + 0.99 e / 20)
    //   step 1 (e 0): 1e-4;  step 20 (e 19): 0.01 × (0.01 + 0.99 × 19/20) = 9.505e-3
    // then CosineAnnealingLR restarted at the milestone, epoch c = s - 21: 0.01 × (1 + cos(π c / 180)) / 2
    //   step 40 (c 19): 9.7276e-3;  step 60 (c 39): 8.8857e-3;  step 200 (c 179): 7.615e-7
    const lrs = lines.map((l) => l.rest.match(/^ {2}lr (\S+) {2}/)?.[1]);
    expect(lrs[0]).toBe('1.00e-4');
    expect(Number(lrs[1])).toBeCloseTo(9.505e-3, 5); // a decimal tie at 3 digits: 9.50e-3 or 9.51e-3
    expect(lrs[2]).toBe('9.73e-3');
    expect(lrs[3]).toBe('8.89e-3');
    expect(lrs[10]).toBe('7.62e-7');
    const values = lrs.map(Number);
    for (let i = 3; i < values.length; i++) expect(values[i], `lr at step ${lines[i].step}`).toBeLessThan(values[i - 1]); // annealing
    // Each line: the norm before clipping, and how many steps since the line before were clipped.
    const clipping = lines.map((l) => l.rest.match(/ {2}grad norm (\S+) \(clipped (\d+) of (\d+) steps\)$/));
    expect(clipping.every((m) => m !== null)).toBe(true);
    expect(clipping[0]![1]).toBe('0.299'); // the first step's gradient, > 0.05: clipped
    expect(clipping[0]!.slice(2)).toEqual(['1', '1']);
    const clippedInAll = clipping.reduce((n, m) => n + Number(m![2]), 0);
    expect(clipping.reduce((n, m) => n + Number(m![3]), 0)).toBe(200);
    expect(out).toContain(`clipGradNorm clipped ${clippedInAll} of 200 steps (${((100 * clippedInAll) / 200).toFixed(1)}%) to norm 0.05\n`);
    expect(clippedInAll).toBeGreaterThan(0);
    expect(clippedInAll).toBeLessThan(200);
    // The loss falls (chance level is ln 3 ≈ 1.10; 200 steps get it to about half of that).
    expect(lines[0].loss).toBeGreaterThan(1);
    expect(lines.at(-1)!.loss).toBeLessThan(0.8 * lines[0].loss);
    expect(out).toMatch(/\(AdamW\.step [\d.]+ µs \+ clipGradNorm [\d.]+ µs \+ SequentialLR\.step [\d.]+ µs of \d+ µs per step; /);
    expect(out).toMatch(/\nloss and lr curves: .*recipe\.svg\n$/);
    // The SVG: the loss panel, then the lr panel (linear, from 0 to its peak) on the same step axis.
    expect(svg).toContain('Spiral MLP, lucid-optim AdamW (lr 0.01, seed 1)');
    expect(svg).toContain('weight decay 0.01 · warm-up 20 + cosine over 200 steps · clip 0.05');
    expect(svg).toMatch(/<g class="lr-panel">[^]*learning rate[^]*<\/g>/);
    expect(svg).toContain('peak lr 0.01, last 7.615e-7');
    expect(svg.match(/<polyline /g)).toHaveLength(2);
  });

  test('--schedule onecycle: up from lr/25 to lr over the first 30% of steps, then down to lr/25e4', () => {
    const { out, lines, svg } = train('onecycle', ...'--steps 100 --schedule onecycle'.split(' '));
    expect(out).toContain("lr schedule: OneCycleLR(maxLr 0.01, totalSteps 100; beta1, or SGD's momentum, cycles 0.95 ↔ 0.85), stepped after each Adam.step()");
    const lrs = lines.map((l) => Number(l.rest.match(/^ {2}lr (\S+)$/)![1]));
    // step 1: epoch 0, initialLr = maxLr / divFactor = 0.01 / 25; step 30: epoch 29 = pctStart × 100 - 1, the peak;
    // step 100: epoch 99 = totalSteps - 1, minLr = initialLr / finalDivFactor = 4e-4 / 1e4.
    expect(lines.map((l) => l.step)).toEqual([1, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
    expect(lrs[0]).toBe(4e-4);
    expect(lrs[3]).toBe(1e-2);
    expect(lrs[10]).toBe(4e-8);
    for (let i = 1; i <= 3; i++) expect(lrs[i]).toBeGreaterThan(lrs[i - 1]);
    for (let i = 4; i < lrs.length; i++) expect(lrs[i]).toBeLessThan(lrs[i - 1]);
    expect(lines.at(-1)!.loss).toBeLessThan(lines[0].loss);
    expect(svg).toContain('<g class="lr-panel">');
  });

  test('--schedule linear --warmup 10 and --schedule none --warmup 10: warm-up, then a linear decay or a constant lr', () => {
    const linear = train('linear', ...'--steps 60 --schedule linear --warmup 10'.split(' '));
    // After the warm-up, step s uses LinearLR(1 → 0.01, totalIters 50) at epoch s - 11:
    // step 30 (epoch 19): 0.01 × (1 - 0.99 × 19/50) = 6.238e-3; step 60 (epoch 49): 0.01 × (1 - 0.99 × 49/50) = 2.98e-4
    const linearLr = new Map(linear.lines.map((l) => [l.step, l.rest]));
    expect(linearLr.get(30)).toBe('  lr 6.24e-3');
    expect(linearLr.get(60)).toBe('  lr 2.98e-4');
    expect(linear.out).toContain('LinearLR(startFactor 1, endFactor 0.01, totalIters 50)], milestones [10])');
    const constant = train('constant', ...'--steps 50 --schedule none --warmup 10'.split(' '));
    expect(constant.out).toContain('lr schedule: LinearLR(startFactor 0.01, endFactor 1, totalIters 10), then constant, stepped after each Adam.step()');
    // step 1 (epoch 0): 1e-4; step 5 (epoch 4): 0.01 × (0.01 + 0.99 × 4/10) = 4.06e-3;
    // step 10 (epoch 9): 0.01 × (0.01 + 0.99 × 9/10) = 9.01e-3; from step 11 (epoch 10) on: 0.01
    expect(constant.lines.map((l) => [l.step, l.rest])).toEqual([
      [1, '  lr 1.00e-4'],
      [5, '  lr 4.06e-3'],
      [10, '  lr 9.01e-3'],
      ...[15, 20, 25, 30, 35, 40, 45, 50].map((step) => [step, '  lr 1.00e-2']),
    ]);
    expect(constant.svg).toContain('peak lr 0.01, last 0.01');
  });

  test('--optimizer sgd --momentum 0.9 --nesterov: SGD trains the model (the loss falls), and --schedule onecycle cycles its momentum', () => {
    const { out, lines } = train('sgd', ...'--steps 200 --optimizer sgd --momentum 0.9 --nesterov'.split(' '));
    expect(out).toMatch(/^lucid-optim SGD \(lr 0\.1, momentum 0\.9, nesterov\): 387 weights, /);
    expect(out).toMatch(/\(SGD\.step [\d.]+ µs of \d+ µs per step; /);
    // Chance level is ln 3 ≈ 1.10. Measured: 1.048 at step 1, 0.729 at step 200 (SGD leaves a plateau
    // near 0.73 later: the full 3000 steps reach 0.033 and 99.3% accuracy).
    expect(lines[0].loss).toBeGreaterThan(1);
    expect(lines.at(-1)!.loss).toBeLessThan(0.75 * lines[0].loss);
    const onecycle = train('sgd-onecycle', ...'--steps 50 --optimizer sgd --momentum 0.9 --schedule onecycle'.split(' '));
    expect(onecycle.out).toContain('stepped after each SGD.step()');
    expect(onecycle.lines.at(-1)!.loss).toBeLessThan(onecycle.lines[0].loss);
  });

  test.each([
    ['rmsprop', 'RMSprop', 0.002],
    ['adagrad', 'Adagrad', 0.1],
    ['adadelta', 'Adadelta', 1],
    ['adamax', 'Adamax', 0.02],
    ['nadam', 'NAdam', 0.01],
    ['radam', 'RAdam', 0.01],
    ['asgd', 'ASGD', 0.2],
    ['rprop', 'Rprop', 0.01],
  ])('--optimizer %s: %s trains the model at its demo lr (the loss falls), under --schedule onecycle too', (flag, name, lr) => {
    const { out, lines } = train(flag, '--steps', '150', '--optimizer', flag);
    expect(out).toMatch(new RegExp(`^lucid-optim ${name} \\(lr ${lr}\\): 387 weights, `));
    // Chance level is ln 3 ≈ 1.10; each falls well below its first loss (1.048) within 150 steps.
    expect(lines[0].loss).toBeGreaterThan(1);
    expect(lines.at(-1)!.loss).toBeLessThan(0.8 * lines[0].loss);
    // OneCycleLR cycles beta1 or momentum where the optimizer has one, and only the lr otherwise.
    const onecycle = train(`${flag}-onecycle`, '--steps', '30', '--optimizer', flag, '--schedule', 'onecycle');
    expect(onecycle.out).toContain(`stepped after each ${name}.step()`);
  });

  test('a bad flag value exits with status 2 and a message naming the flag and the value', () => {
    const cases: [string[], string][] = [
      [['--optimizer', 'lbfgs'], '--optimizer must be one of adam, adamw, sgd, rmsprop, adagrad, adadelta, adamax, nadam, radam, asgd, rprop, got "lbfgs"'],
      [['--centered'], '--centered is not an option of --optimizer adam'],
      [['--optimizer', 'rprop', '--weight-decay', '0.1'], '--weight-decay is not an option of --optimizer rprop'],
      [['--momentum', '0.9'], '--momentum is not an option of --optimizer adam'],
      [['--optimizer', 'sgd', '--amsgrad'], '--amsgrad is not an option of --optimizer sgd'],
      [['--optimizer', 'sgd', '--momentum=-1'], '--momentum must be a number >= 0, got "-1"'],
      [['--optimizer', 'sgd', '--nesterov'], '--nesterov needs --momentum > 0 and --dampening 0 (torch: "Nesterov momentum requires a momentum and zero dampening"), got --momentum 0 --dampening 0'],
      [['--schedule', 'step'], '--schedule must be one of none, cosine, onecycle, linear, got "step"'],
      [['--warmup', '1.5'], '--warmup must be an integer >= 0, got "1.5"'],
      [['--warmup=-3'], '--warmup must be an integer >= 0, got "-3"'],
      [['--schedule', 'onecycle', '--warmup', '10'], '--warmup must be 0 with the onecycle schedule (OneCycleLR warms up on its own, over its first 30% of steps), got "10"'],
      [['--steps', '100', '--schedule', 'cosine', '--warmup', '100'], '--warmup must be less than --steps (100), got "100"'],
      [['--clip', '0'], '--clip must be a number > 0, got "0"'],
      [['--clip', 'Infinity'], '--clip must be a number > 0, got "Infinity"'],
      [['--clip', 'abc'], '--clip must be a number > 0, got "abc"'],
      [['--weight-decay=-0.1'], '--weight-decay must be a number >= 0, got "-0.1"'],
    ];
    for (const [args, message] of cases) {
      const run = spawnSync(process.execPath, [example('train.mjs'), ...args, '--out', join(scratch, 'never.svg')], { encoding: 'utf8' });
      expect(run.status, args.join(' ')).toBe(2);
      expect(run.stderr.split('\n')[0], args.join(' ')).toBe(message);
      expect(run.stderr).toContain('Usage: node examples/train.mjs');
      expect(run.stdout).toBe('');
    }
  });

  test('--help documents every flag', () => {
    const help = execFileSync(process.execPath, [example('train.mjs'), '--help'], { encoding: 'utf8' });
    for (const flag of ['--steps', '--lr', '--optimizer', '--weight-decay', '--amsgrad', '--momentum', '--dampening', '--nesterov', '--centered', '--schedule', '--warmup', '--clip', '--seed', '--out', '--help']) {
      expect(help).toMatch(new RegExp(`^ +(-h, )?${flag} `, 'm'));
    }
    for (const schedule of ['none', 'cosine', 'linear', 'onecycle']) expect(help).toMatch(new RegExp(`^ +${schedule} +`, 'm'));
  });
});
