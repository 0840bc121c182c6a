// The demo page (examples/web/, served by examples/web/serve.mjs) in a real Chromium: it trains,
// the loss falls, and its Save/Load buttons round-trip the optimizer state (and weights) through a
// JSON file and through a PyTorch .pt file (saveTorch / loadTorch in the page) exactly; with AdamW, a warm-up + cosine schedule and clipping chosen in its controls,
// the lr chart warms up and anneals, and a checkpoint saved mid-schedule resumes exactly.
// Screenshots go into a temporary folder of this run; the recipe's into docs/demo.png only with
// UPDATE_SCREENSHOT=1, so a test run on a busy machine does not rewrite the committed picture.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { loadTorch, saveTorch, type TorchStateDict, type TorchTensor } from 'lucid-optim';
import { startDemoServer } from '../../../examples/web/serve.mjs';
import { launchChromium, uncaughtErrors } from './chromium';

const PAUSE_AT = 2000;
const scratch = mkdtempSync(join(tmpdir(), 'lucid-optim-demo-'));
const screenshot = join(scratch, 'demo-adam.png');
const recipeScreenshot = process.env.UPDATE_SCREENSHOT ? fileURLToPath(new URL('../../../docs/demo.png', import.meta.url)) : join(scratch, 'demo.png');
const VIEWPORT = { width: 1280, height: 1020 }; // the whole page

let browser: Browser;
let server: Awaited<ReturnType<typeof startDemoServer>>;
let page: Page;
let errors: string[];
const offSite: string[] = [];

beforeAll(async () => {
  server = await startDemoServer({ port: 0 });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: VIEWPORT });
  page.setDefaultTimeout(90_000); // training to PAUSE_AT takes a few seconds, more on a busy machine
  errors = uncaughtErrors(page);
  page.on('request', (request) => {
    const url = request.url();
    if (!url.startsWith(server.url) && !url.startsWith('data:') && !url.startsWith('blob:')) offSite.push(url);
  });
  await page.goto(`${server.url}?pauseAt=${PAUSE_AT}`);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  rmSync(scratch, { recursive: true, force: true });
});

// Each helper acts on the shared page (Adam, default options) unless given another.
const text = (testId: string, on = page) => on.getByTestId(testId).textContent() as Promise<string>;
const lossValue = async (on = page) => Number(await on.getByTestId('loss').getAttribute('data-value'));
const renderedStep = (step: number, on = page) => on.waitForSelector(`body[data-rendered-step="${step}"]`);

async function save(on = page): Promise<{ name: string; json: string }> {
  const [download] = await Promise.all([on.waitForEvent('download'), on.getByTestId('save').click()]);
  return { name: download.suggestedFilename(), json: readFileSync((await download.path())!, 'utf8') };
}

async function savePt(on = page): Promise<{ name: string; bytes: Buffer }> {
  const [download] = await Promise.all([on.waitForEvent('download'), on.getByTestId('save-pt').click()]);
  return { name: download.suggestedFilename(), bytes: readFileSync((await download.path())!) };
}

async function load(on: Page, name: string, json: string): Promise<void> {
  await on.getByTestId('load').setInputFiles({ name, mimeType: 'application/json', buffer: Buffer.from(json) });
}

/** A page of its own (so that no test depends on another's), with its uncaught errors. */
async function openPage(query: string): Promise<{ page: Page; errors: string[] }> {
  const own = await browser.newPage({ viewport: VIEWPORT });
  own.setDefaultTimeout(90_000);
  const ownErrors = uncaughtErrors(own);
  await own.goto(`${server.url}${query}`);
  return { page: own, errors: ownErrors };
}

/** Types into a number input and leaves it, as a person does (which fires `change`). */
async function setNumber(on: Page, testId: string, value: number): Promise<void> {
  await on.getByTestId(testId).fill(String(value));
  await on.getByTestId(testId).blur();
}

/** The recipe of these tests, chosen in the controls: AdamW, warm-up then cosine, clipping at 0.056. */
async function chooseRecipe(on: Page, { warmup, length }: { warmup: number; length: number }): Promise<void> {
  await on.getByTestId('optimizer').selectOption('AdamW');
  await on.getByTestId('schedule').selectOption('cosine');
  await setNumber(on, 'length', length);
  await setNumber(on, 'warmup', warmup);
  await on.getByTestId('clip').fill('-1.25'); // the clip slider is log10(max norm): 10^-1.25 ≈ 0.056
  await expect.poll(() => on.locator('#clip-value').textContent()).toBe('≤ 0.056');
}

/** What the lr chart draws, summed up by the page: point count, first, highest and last lr. */
async function lrChart(on: Page): Promise<{ points: number; first: number; peak: number; last: number }> {
  const data = await on.getByTestId('lr-chart').evaluate((el) => ({ ...(el as HTMLElement).dataset }));
  return { points: Number(data.points), first: Number(data.first), peak: Number(data.peak), last: Number(data.last) };
}

test('trains: the loss falls and the spiral is learned; screenshot taken', async () => {
  await renderedStep(PAUSE_AT);
  expect(await text('step')).toBe(PAUSE_AT.toLocaleString('en-US'));
  const first = Number((await text('first-loss')).replace('from ', ''));
  const loss = await lossValue();
  const accuracy = parseFloat(await text('accuracy'));
  // Chance level for 3 classes is ln 3 ≈ 1.10; the Node demo reaches ~0.015 by step 2000.
  expect(first).toBeGreaterThan(0.9);
  expect(loss).toBeLessThan(first / 10);
  expect(accuracy).toBeGreaterThanOrEqual(95);
  expect(Number((await text('rate')).replace(/,/g, ''))).toBeGreaterThan(0);
  expect(await text('adam-time')).toMatch(/^\d+(\.\d)? µs$/); // serve.mjs makes the page cross-origin isolated
  await page.screenshot({ path: screenshot });
  expect(errors).toEqual([]);
  expect(offSite).toEqual([]); // no CDN: everything came from the local server
});

test('Save state → JSON file → Load state restores the optimizer and the weights exactly', async () => {
  await renderedStep(PAUSE_AT);
  const lossAtSave = await lossValue();
  const saved = await save();
  expect(saved.name).toBe(`lucid-optim-adam-step${PAUSE_AT}.json`);
  const checkpoint = JSON.parse(saved.json);
  expect(checkpoint.optimizer.paramGroups).toEqual([
    { lr: 0.01, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false, decoupledWeightDecay: false, params: [0, 1, 2, 3] },
  ]);
  expect(checkpoint.recipe).toEqual({ optimizer: 'Adam', schedule: 'none', warmup: 0, length: 2000, clip: null });
  expect(checkpoint.scheduler).toBeNull();
  const lengths = [2 * 64, 64, 64 * 3, 3];
  lengths.forEach((length, i) => {
    expect(checkpoint.optimizer.state[i]).toMatchObject({ step: PAUSE_AT });
    expect(checkpoint.optimizer.state[i].expAvg).toHaveLength(length);
    expect(checkpoint.optimizer.state[i].expAvgSq).toHaveLength(length);
  });

  // Start over, then load the file back.
  await page.getByTestId('reset').click();
  await renderedStep(0);
  expect(await lossValue()).toBeGreaterThan(0.9);
  await page.getByTestId('load').setInputFiles({ name: saved.name, mimeType: 'application/json', buffer: Buffer.from(saved.json) });
  await renderedStep(PAUSE_AT);
  expect(await text('status')).toMatch(/^Loaded lucid-optim-adam-step2000\.json: step 2000/);
  // Bit-identical weights give the very same loss, and saving again gives the very same file.
  expect(await lossValue()).toBe(lossAtSave);
  expect((await save()).json).toBe(saved.json);
  expect(errors).toEqual([]);
});

test('Save .pt → a torch.save file (weights as tensors, the optimizer in torch\'s shape) → Load state restores it exactly', async () => {
  // A page of its own: its downloads and loads leave the shared page as the other tests expect it.
  const { page, errors } = await openPage(`?pauseAt=${PAUSE_AT}`);
  try {
    await renderedStep(PAUSE_AT, page);
    const lossAtSave = await lossValue(page);
    const json = (await save(page)).json;
    const saved = await savePt(page);
    expect(saved.name).toBe(`lucid-optim-adam-step${PAUSE_AT}.pt`);
    // Read here with lucid-optim's Node build: what the page wrote is torch's shape.
    const value = loadTorch(saved.bytes) as Map<string, unknown>;
    expect([...value.keys()]).toEqual(['format', 'seed', 'firstLoss', 'model', 'optimizer', 'recipe', 'scheduler']);
    const weights = value.get('model') as Map<string, TorchTensor>;
    expect([...weights].map(([k, t]) => [k, t.dtype, t.shape])).toEqual([
      ['w1', 'float32', [2, 64]],
      ['b1', 'float32', [64]],
      ['w2', 'float32', [64, 3]],
      ['b2', 'float32', [3]],
    ]);
    const optimizer = value.get('optimizer') as TorchStateDict;
    const groups = optimizer.get('param_groups') as Map<string, unknown>[];
    expect(Object.fromEntries(groups[0])).toEqual({
      lr: 0.01, betas: [0.9, 0.999], eps: 1e-8, weight_decay: 0, amsgrad: false, maximize: false, foreach: null,
      capturable: false, differentiable: false, fused: null, decoupled_weight_decay: false, params: [0, 1, 2, 3],
    });
    const state = optimizer.get('state') as Map<number, Map<string, TorchTensor>>;
    expect([...state.get(2)!.keys()]).toEqual(['step', 'exp_avg', 'exp_avg_sq']);
    expect(state.get(2)!.get('step')).toEqual({ dtype: 'float32', shape: [], data: Float32Array.of(PAUSE_AT) });
    expect(state.get(2)!.get('exp_avg')!.shape).toEqual([64, 3]);
    // The JSON checkpoint holds the same numbers.
    const checkpoint = JSON.parse(json);
    expect(Array.from(weights.get('w2')!.data as Float32Array)).toEqual(checkpoint.model.w2);
    expect(Array.from(state.get(2)!.get('exp_avg_sq')!.data as Float32Array)).toEqual(checkpoint.optimizer.state[2].expAvgSq);

    await page.getByTestId('reset').click();
    await renderedStep(0, page);
    await page.getByTestId('load').setInputFiles({ name: saved.name, mimeType: 'application/octet-stream', buffer: saved.bytes });
    await renderedStep(PAUSE_AT, page);
    expect(await text('status', page)).toMatch(/^Loaded lucid-optim-adam-step2000\.pt: step 2000/);
    expect(await lossValue(page)).toBe(lossAtSave);
    expect((await savePt(page)).bytes.equals(saved.bytes)).toBe(true);
    expect((await save(page)).json).toBe(json);

    // A bare optimizer.state_dict() in a .pt, as `torch.save(optimizer.state_dict(), 'opt.pt')` writes
    // one: loads into the optimizer, the weights stay as they are. Here it is the file's own optimizer
    // part with a changed lr and no foreach (torch's __setstate__ fills it in).
    groups[0].set('lr', 0.005);
    groups[0].delete('foreach');
    await page.getByTestId('load').setInputFiles({ name: 'opt.pt', mimeType: 'application/octet-stream', buffer: Buffer.from(saveTorch(optimizer)) });
    await expect.poll(() => text('status', page)).toMatch(/^Loaded opt\.pt: step 2000/);
    expect(JSON.parse((await save(page)).json).optimizer.paramGroups[0].lr).toBe(0.005);
    expect(await lossValue(page)).toBe(lossAtSave);

    // A .pt that is not one is refused, changing nothing.
    const before = (await save(page)).json;
    const bad = Buffer.from(saved.bytes);
    bad.write('GLOBAL', bad.indexOf('archive/data.pkl') + 100); // garbage inside the pickle
    await page.getByTestId('load').setInputFiles({ name: 'bad.pt', mimeType: 'application/octet-stream', buffer: bad });
    await expect.poll(() => text('status', page)).toMatch(/^Could not load bad\.pt: /);
    expect((await save(page)).json).toBe(before);
    expect(errors).toEqual([]);
  } finally {
    await page.close();
  }
});

test('a bad state file is refused with a visible error, changing nothing', async () => {
  await renderedStep(PAUSE_AT);
  const before = (await save()).json;
  const bad = { state: {}, paramGroups: [] }; // no groups: cannot match the optimizer's one group
  await page.getByTestId('load').setInputFiles({ name: 'bad.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(bad)) });
  await expect.poll(() => text('status')).toMatch(/^Could not load bad\.json: Adam\.loadStateDict: /);
  expect(await page.getByTestId('status').getAttribute('class')).toBe('error');
  expect((await save()).json).toBe(before);
  await page.getByTestId('load').setInputFiles({ name: 'not-json.json', mimeType: 'application/json', buffer: Buffer.from('{oops') });
  await expect.poll(() => text('status')).toMatch(/^Could not load not-json\.json: /);
  expect((await save()).json).toBe(before);
  // A checkpoint whose recipe cannot be, or whose scheduler state is missing, is refused as a whole.
  const checkpoint = JSON.parse(before);
  const badRecipe = { ...checkpoint, recipe: { ...checkpoint.recipe, schedule: 'step' } };
  await load(page, 'bad-recipe.json', JSON.stringify(badRecipe));
  await expect.poll(() => text('status')).toBe('Could not load bad-recipe.json: recipe: schedule must be one of none, cosine, onecycle, linear, got "step"');
  const noScheduler = { ...checkpoint, recipe: { ...checkpoint.recipe, optimizer: 'AdamW', schedule: 'cosine' }, scheduler: null };
  await load(page, 'no-scheduler.json', JSON.stringify(noScheduler));
  await expect.poll(() => text('status')).toBe("Could not load no-scheduler.json: scheduler must be the state dict of the recipe's scheduler, got null");
  expect((await save()).json).toBe(before);
  expect(await page.locator('#step-time-label').textContent()).toBe('Adam step');
  expect(errors).toEqual([]);
});

test('AdamW + warm-up/cosine + clipping from the controls: the lr chart warms up and anneals, the loss falls; screenshot taken', async () => {
  const { page: own, errors: ownErrors } = await openPage('?pauseAt=0'); // starts paused at step 0
  try {
    await renderedStep(0, own);
    expect(await text('lr', own)).toBe('1.00e-2');
    await chooseRecipe(own, { warmup: 200, length: 2000 });
    // Switching to AdamW set torch's AdamW default weight decay; the schedule starts at step 0, where
    // the warm-up's LinearLR gives lr × startFactor = 0.01 × 0.01.
    expect(await own.locator('#wd-value').textContent()).toBe('0.01');
    expect(await text('status', own)).toBe('Schedule: warm-up 200 + cosine over 2000 steps, from step 0. Paused.');
    await expect.poll(async () => Number(await own.getByTestId('lr').getAttribute('data-value'))).toBeCloseTo(1e-4, 12);
    expect(await own.locator('#step-time-label').textContent()).toBe('AdamW step');

    // A warm-up as long as the schedule is refused, and the schedule stays as it was.
    await setNumber(own, 'length', 150);
    await expect.poll(() => text('status', own)).toBe("Schedule not changed: warm-up must be less than the schedule's length (150), got 200.");
    expect(await own.getByTestId('length').inputValue()).toBe('2000');
    // One-cycle has a warm-up of its own: the warm-up field is off while it is chosen.
    await own.getByTestId('schedule').selectOption('onecycle');
    expect(await own.getByTestId('warmup').isDisabled()).toBe(true);
    expect(await own.locator('#beta1').isDisabled()).toBe(true); // OneCycleLR cycles β₁
    await own.getByTestId('schedule').selectOption('cosine');
    expect(await own.getByTestId('warmup').isDisabled()).toBe(false);
    expect(await text('status', own)).toBe('Schedule: warm-up 200 + cosine over 2000 steps, from step 0. Paused.');

    // Train: the schedule pauses training when it ends.
    await own.getByTestId('run').click();
    await renderedStep(2000, own);
    expect(await text('status', own)).toMatch(/^Schedule done at step 2000: lr is now 0\. /);
    expect(await text('schedule-progress', own)).toBe('done');
    // Warm-up from 0.01 × 0.01, the cosine's peak 0.01 at step 200, then down to its etaMin, 0.
    const lr = await lrChart(own);
    expect(lr.points).toBeGreaterThan(1000);
    expect(lr.first).toBeCloseTo(1e-4, 12);
    expect(lr.peak).toBe(0.01);
    expect(lr.last).toBe(0);
    expect(await text('lr', own)).toBe('0');
    // The loss falls as with Adam (chance level is ln 3 ≈ 1.10; the Node demo reaches ~0.02).
    const first = Number((await text('first-loss', own)).replace('from ', ''));
    expect(first).toBeGreaterThan(0.9);
    expect(await lossValue(own)).toBeLessThan(first / 10);
    expect(parseFloat(await text('accuracy', own))).toBeGreaterThanOrEqual(95);
    // The gradient norm is shown; early steps (norm ~0.3) were clipped to 0.056.
    expect(await text('grad-norm', own)).toMatch(/^\d\.\d+(e-\d+)?$/);
    expect(await text('clipped', own)).toMatch(/^clipped \d+%$/);
    expect(Number(await own.getByTestId('clipped').getAttribute('data-total'))).toBeGreaterThan(0);
    await own.screenshot({ path: recipeScreenshot });
    expect(ownErrors).toEqual([]);
  } finally {
    await own.close();
  }
});

test('with a schedule, Save state saves the scheduler too, and Load state resumes the run exactly', async () => {
  const { page: own, errors: ownErrors } = await openPage('?pauseAt=300');
  try {
    await renderedStep(300, own); // Adam's first 300 steps; then the recipe, from the start
    await chooseRecipe(own, { warmup: 100, length: 600 });
    await own.getByTestId('reset').click();
    await renderedStep(0, own);
    await own.getByTestId('run').click();
    await renderedStep(300, own); // paused by ?pauseAt, half-way through the schedule
    const at300 = await save(own);
    expect(at300.name).toBe('lucid-optim-adamw-step300.json');
    const checkpoint = JSON.parse(at300.json);
    expect(checkpoint.recipe).toEqual({ optimizer: 'AdamW', schedule: 'cosine', warmup: 100, length: 600, clip: 0.056 });
    // torch's SequentialLR state dict: its own counters and both schedulers'; the group carries initialLr.
    expect(checkpoint.scheduler).toMatchObject({ milestones: [100], lastEpoch: 300, baseLrs: [0.01] });
    expect(checkpoint.scheduler.schedulers).toHaveLength(2);
    expect(checkpoint.scheduler.schedulers[1]).toMatchObject({ tMax: 500, etaMin: 0 });
    expect(checkpoint.optimizer.paramGroups[0]).toMatchObject({ weightDecay: 0.01, decoupledWeightDecay: true, initialLr: 0.01 });
    expect(checkpoint.optimizer.paramGroups[0].lr).toBe(checkpoint.scheduler.lastLr[0]);

    // The run without interruption, to the end of the schedule.
    await own.getByTestId('run').click();
    await renderedStep(600, own);
    const lossAt600 = await lossValue(own);
    const at600 = await save(own);
    // Another optimizer and schedule meanwhile: loading must rebuild the file's.
    await own.getByTestId('optimizer').selectOption('Adam');
    await own.getByTestId('schedule').selectOption('onecycle');

    await load(own, at300.name, at300.json);
    await renderedStep(300, own);
    expect(await text('status', own)).toMatch(/^Loaded lucid-optim-adamw-step300\.json: step 300, loss [\d.]+, AdamW \(SequentialLR, 300 \/ 600\)\. Paused\.$/);
    expect(await own.getByTestId('optimizer').inputValue()).toBe('AdamW');
    expect(await own.getByTestId('schedule').inputValue()).toBe('cosine');
    expect(await own.getByTestId('warmup').inputValue()).toBe('100');
    expect(await own.getByTestId('length').inputValue()).toBe('600');
    expect((await save(own)).json).toBe(at300.json);
    await own.getByTestId('run').click();
    await renderedStep(600, own);
    // Bit-identical weights, moments and learning rates: the same loss, the same file.
    expect(await lossValue(own)).toBe(lossAt600);
    expect((await save(own)).json).toBe(at600.json);
    expect(ownErrors).toEqual([]);
  } finally {
    await own.close();
  }
});

test("the optimizer menu: RMSprop (its momentum on β₁'s slider, no β₂ or amsgrad) trains, and its checkpoint loads back", async () => {
  const { page: own, errors: ownErrors } = await openPage('?pauseAt=0'); // starts paused at step 0
  try {
    await renderedStep(0, own);
    await own.getByTestId('optimizer').selectOption('RMSprop');
    expect(await own.locator('#step-time-label').textContent()).toBe('RMSprop step');
    // examples/optimizers.mjs starts RMSprop at lr 0.002, with momentum 0.9 on the β₁ slider. The
    // stats show it at the next frame the page renders.
    await expect.poll(() => text('lr', own)).toBe('2.00e-3');
    expect(await own.locator('#beta1-name').textContent()).toBe('momentum');
    expect(await own.locator('#beta1-value').textContent()).toBe('0.9');
    expect([await own.locator('#beta2').isDisabled(), await own.locator('#amsgrad').isDisabled()]).toEqual([true, true]);
    expect(await own.locator('#wd').isDisabled()).toBe(false);
    const first = await lossValue(own);
    await own.getByTestId('run').click();
    await expect.poll(() => lossValue(own), { timeout: 90_000 }).toBeLessThan(first / 2);
    await own.getByTestId('run').click(); // pause
    const saved = await save(own);
    const checkpoint = JSON.parse(saved.json);
    expect(saved.name).toMatch(/^lucid-optim-rmsprop-step\d+\.json$/);
    expect(checkpoint.recipe.optimizer).toBe('RMSprop');
    expect(Object.keys(checkpoint.optimizer.state[0])).toEqual(['step', 'squareAvg', 'momentumBuffer']);
    expect(checkpoint.optimizer.paramGroups[0]).toMatchObject({ lr: 0.002, momentum: 0.9, alpha: 0.99, centered: false });
    // Back to Adam (no state carried over from RMSprop), then the RMSprop checkpoint loads back exactly.
    await own.getByTestId('optimizer').selectOption('Adam');
    expect(await own.locator('#beta1-name').textContent()).toBe('β₁');
    await load(own, saved.name, saved.json);
    await expect.poll(() => text('status', own)).toMatch(new RegExp(`^Loaded ${saved.name.replace(/\./g, '\\.')}: step \\d+, loss [\\d.]+, RMSprop\\.`));
    expect(await own.getByTestId('optimizer').inputValue()).toBe('RMSprop');
    expect((await save(own)).json).toBe(saved.json);
    expect(ownErrors).toEqual([]);
  } finally {
    await own.close();
  }
});
