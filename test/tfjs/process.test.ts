// lucid-optim/tfjs in processes of their own, started as a user's program starts: before init()
// (nothing may have happened yet, so it cannot share a process with other tests), and resuming
// training from a model saved with its optimizer, in a fresh process where tfjs-layers gives the
// loaded variables the names they had when saved.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { init } from 'lucid-optim';
import { adamW } from 'lucid-optim/tfjs';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { makeData, makeModel, useBackend } from './setup';

const fixture = (file: string) => fileURLToPath(new URL(`./fixtures/${file}`, import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'lucid-optim-tfjs-'));
const node = (file: string, ...args: string[]) => JSON.parse(execFileSync(process.execPath, [fixture(file), ...args], { encoding: 'utf8' }));

beforeAll(async () => {
  await init();
  await useBackend('cpu');
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

test('used before init(): a TypeError naming init(), and nothing created', () => {
  const report = node('before-init.mjs');
  const notInitialised = (name: string) => ({ threw: true, name: 'TypeError', message: `${name}: lucid-optim is not initialised; call \`await init()\` first` });
  expect(report.adamW).toEqual(notInitialised('AdamW'));
  expect(report.adam).toEqual(notInitialised('Adam'));
  expect(report.fromConfig).toEqual(notInitialised('AdamW'));
  expect(report.unchanged).toBe(true); // no tensor or variable was created
  expect(report.afterInit).toEqual({ isOptimizer: true, className: 'LucidAdamW' });
});

test('model.save({ includeOptimizer: true }), then tf.loadLayersModel in a fresh process resumes training bit for bit', async () => {
  const { xs, ys } = makeData(64);
  const model = makeModel();
  const opt = adamW({ lr: 0.02, weightDecay: 0.05, amsgrad: true });
  model.compile({ optimizer: opt, loss: 'meanSquaredError' });
  for (let i = 0; i < 5; i++) await model.trainOnBatch(xs, ys);
  opt.optimizer.paramGroups[0].lr = 0.01; // as a scheduler would: saved by getConfig
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler(async (a) => ((artifacts = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })), {
    includeOptimizer: true,
  });
  const file = join(scratch, 'saved.json');
  const weightData = Buffer.from(artifacts!.weightData as ArrayBuffer).toString('base64');
  writeFileSync(file, JSON.stringify({ artifacts: { ...artifacts, weightData }, xs: Array.from(xs.dataSync()), ys: Array.from(ys.dataSync()), steps: 5 }));
  // This process goes on training the original for the same 5 batches.
  for (let i = 0; i < 5; i++) await model.trainOnBatch(xs, ys);
  const resumed = node('resume.mjs', file);
  expect(resumed.className).toBe('LucidAdamW');
  expect(resumed.lr).toBe(0.01);
  expect(resumed.iterations).toBe(10);
  expect(resumed.names).toEqual(model.getWeights().map((w) => (w as tf.Variable).name));
  expect(resumed.steps).toEqual(Object.fromEntries(Object.keys(opt.stateDict().state).map((name) => [name, 10])));
  const ours = model.getWeights().map((w) => {
    const values = w.dataSync();
    return Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString('base64');
  });
  expect(resumed.weights).toEqual(ours);
  opt.dispose();
  model.dispose();
});
