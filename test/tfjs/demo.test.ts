// examples/tfjs/train.mjs (`npm run demo:tfjs`) runs and learns: a tfjs-layers MLP trained by
// lucid-optim/tfjs AdamW under a warm-up + cosine schedule, then by tf.train.adam, both loss curves
// in one SVG. Its output is piped here, so it prints plain progress lines instead of a bar.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, test } from 'vitest';

const demo = fileURLToPath(new URL('../../examples/tfjs/train.mjs', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'lucid-optim-tfjs-demo-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function train(name: string, ...args: string[]) {
  const svgPath = join(scratch, `${name}.svg`);
  const out = execFileSync(process.execPath, [demo, ...args, '--out', svgPath], { encoding: 'utf8' });
  const lines = (who: string) =>
    [...out.matchAll(new RegExp(`^${who} +epoch +(\\d+) +loss (\\S+) +accuracy (\\S+)%(.*)$`, 'gm'))].map((m) => ({ epoch: Number(m[1]), loss: Number(m[2]), rest: m[4] }));
  return { out, ours: lines('lucid-optim/tfjs AdamW'), theirs: lines('tf\\.train\\.adam'), svg: readFileSync(svgPath, 'utf8') };
}

test('both runs learn; the schedule warms up then anneals; the SVG has both curves and the lr', () => {
  const { out, ours, theirs, svg } = train('cpu', '--epochs', '16');
  expect(out).toMatch(
    /^lucid-optim\/tfjs AdamW \(lr 0\.01, weight decay 0\.01, warm-up 16 \+ cosine over 160 batches\) vs tf\.train\.adam \(lr 0\.01, eps 1e-8\): tfjs-layers MLP, 300 spiral points in 3 classes, 16 epochs of batch 30, cpu backend, seed 1\n/,
  );
  expect(out).toContain(
    'lr schedule: SequentialLR([LinearLR(startFactor 0.01, endFactor 1, totalIters 16), CosineAnnealingLR(tMax 144)], milestones [16]) on opt.optimizer, stepped after each batch',
  );
  // A line after the first epoch and every 2nd (16 / 8) epoch.
  const epochs = [1, 2, 4, 6, 8, 10, 12, 14, 16];
  expect(ours.map((l) => l.epoch)).toEqual(epochs);
  expect(theirs.map((l) => l.epoch)).toEqual(epochs);
  // Measured (seed 1, cpu): AdamW 0.972 → 0.238, tf.train.adam 0.868 → 0.071 over these 16 epochs.
  expect(ours.at(-1)!.loss).toBeLessThan(ours[0].loss / 3);
  expect(theirs.at(-1)!.loss).toBeLessThan(theirs[0].loss / 3);
  // The lr the last batch of each epoch used: 10 batches per epoch, warm-up over batches 0–15,
  // LinearLR: 0.01 × (0.01 + 0.99 × 9/16) = 5.67e-3 after epoch 1; then cosine from batch 16,
  // CosineAnnealingLR: 0.01 × (1 + cos(π (b - 16) / 144)) / 2, b = 159 at the end: 1.19e-6.
  const lrs = ours.map((l) => l.rest.match(/^ {2}lr (\S+)$/)?.[1]);
  expect(lrs[0]).toBe('5.67e-3');
  expect(lrs.at(-1)).toBe('1.19e-6');
  expect(theirs.every((l) => l.rest === '')).toBe(true);
  expect(out).toMatch(/^lucid-optim\/tfjs AdamW last epoch: loss [\d.]+ {2}accuracy [\d.]+% {2}[\d.]+ ms per epoch$/m);
  expect(out).toMatch(/^tf\.train\.adam +last epoch: loss [\d.]+ {2}accuracy [\d.]+% {2}[\d.]+ ms per epoch$/m);
  expect(svg).toMatch(/^<svg /);
  expect(svg).toContain('lucid-optim/tfjs AdamW (final ');
  expect(svg).toContain('tf.train.adam (final ');
  expect(svg).toContain('learning rate');
  expect(svg.match(/<polyline /g)).toHaveLength(3); // ours, theirs, the lr
});

test('--backend wasm trains too', () => {
  const { out, ours, theirs } = train('wasm', '--epochs', '4', '--backend', 'wasm');
  expect(out).toMatch(/4 epochs of batch 30, wasm backend, seed 1\n/);
  expect(ours.at(-1)!.loss).toBeLessThan(ours[0].loss);
  expect(theirs.at(-1)!.loss).toBeLessThan(theirs[0].loss);
});

test('bad flags: exit 2 with the rule and the usage; --help documents every flag', () => {
  for (const [args, message] of [
    [['--epochs', '0'], '--epochs must be an integer >= 1, got "0"'],
    [['--backend', 'webgl'], '--backend must be cpu or wasm, got "webgl"'],
    [['--warmup', '100', '--epochs', '1'], '--warmup must be an integer in [0, 10) (the run\'s 10 batches), got "100"'],
  ] as const) {
    const run = spawnSync(process.execPath, [demo, ...args, '--out', join(scratch, 'never.svg')], { encoding: 'utf8' });
    expect(run.status, args.join(' ')).toBe(2);
    expect(run.stderr.split('\n')[0]).toBe(message);
    expect(run.stderr).toContain('Usage: node examples/tfjs/train.mjs');
    expect(run.stdout).toBe('');
  }
  const help = execFileSync(process.execPath, [demo, '--help'], { encoding: 'utf8' });
  for (const flag of ['--epochs', '--batch', '--lr', '--warmup', '--backend', '--seed', '--out', '--help']) {
    expect(help).toMatch(new RegExp(`^ +(-h, )?${flag} `, 'm'));
  }
});
