// The demo page (examples/web/, served by examples/web/serve.mjs) in each real browser engine
// (Chromium, Firefox, WebKit: test/e2e/browser/engines.ts): it trains, the loss falls, and its
// Save/Load buttons round-trip the optimizer state (and weights) through a JSON file and through a
// PyTorch .pt file (saveTorch / loadTorch in the page) exactly; with AdamW, a warm-up + cosine
// schedule and clipping chosen in its controls, the lr chart warms up and anneals, and a checkpoint
// saved mid-schedule resumes exactly. Screenshots go into a temporary folder of this run; the
// recipe's, one per engine, into docs/ only with UPDATE_SCREENSHOT=1 (docs/demo.png is Chromium's,
// docs/demo-firefox.png and docs/demo-webkit.png the others), so a test run on a busy machine does
// not rewrite the committed pictures. Last, the page with `?threads=2` (worker threads) trains in Chromium.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadTorch, saveTorch, type TorchStateDict, type TorchTensor } from 'lucid-optim';
import { startDemoServer } from '../../../examples/web/serve.mjs';
import { ENGINES, launch, type Engine, type EnginePage } from './engines.mjs';

const PAUSE_AT = 2000;
const scratch = mkdtempSync(join(tmpdir(), 'lucid-optim-demo-'));
const docs = fileURLToPath(new URL('../../../docs/', import.meta.url));
/** Where the recipe's screenshot goes: docs/ only when asked (UPDATE_SCREENSHOT=1), this run's scratch folder otherwise. */
const recipeScreenshot = (name: string) => join(process.env.UPDATE_SCREENSHOT ? docs : scratch, name);
const VIEWPORT = { width: 1280, height: 1020 }; // the whole page

let server: Awaited<ReturnType<typeof startDemoServer>>;

beforeAll(async () => {
  server = await startDemoServer({ port: 0 });
});

afterAll(async () => {
  await server?.close();
  rmSync(scratch, { recursive: true, force: true });
});

// What a test reads and sets on a page, through its DOM (`data-testid` or a CSS selector).
const testId = (id: string) => `[data-testid="${id}"]`;
const text = (on: EnginePage, id: string) => on.evaluate((selector) => document.querySelector(selector)!.textContent!, testId(id));
const textAt = (on: EnginePage, selector: string) => on.evaluate((s) => document.querySelector(s)!.textContent!, selector);
const attribute = (on: EnginePage, id: string, name: string) =>
  on.evaluate(([selector, attr]) => document.querySelector(selector)!.getAttribute(attr), [testId(id), name] as const);
const inputValue = (on: EnginePage, id: string) => on.evaluate((selector) => (document.querySelector(selector) as HTMLInputElement).value, testId(id));
const isDisabled = (on: EnginePage, selector: string) => on.evaluate((s) => (document.querySelector(s) as HTMLInputElement).disabled, selector);
const lossValue = async (on: EnginePage) => Number(await attribute(on, 'loss', 'data-value'));
const renderedStep = (on: EnginePage, step: number) => on.waitFor((n) => document.body.dataset.renderedStep === String(n), step);
/** Sets a control's value as a person's choice does: its `input`, then its `change` (what Playwright's selectOption and fill fire). */
const setValue = (on: EnginePage, id: string, value: string) =>
  on.evaluate(([selector, v]) => {
    const control = document.querySelector(selector) as HTMLInputElement | HTMLSelectElement;
    control.value = v;
    control.dispatchEvent(new Event('input', { bubbles: true }));
    control.dispatchEvent(new Event('change', { bubbles: true }));
  }, [testId(id), value] as const);
/** Every URL the page fetched that is not the demo server's (its resource timing). */
const offSite = (on: EnginePage) =>
  on.evaluate((origin) => performance.getEntriesByType('resource').map((e) => e.name).filter((url) => !url.startsWith(origin) && !url.startsWith('data:') && !url.startsWith('blob:')), server.url);

async function save(on: EnginePage): Promise<{ name: string; json: string }> {
  const { name, bytes } = await on.download(testId('save'));
  return { name, json: bytes.toString('utf8') };
}

const savePt = (on: EnginePage): Promise<{ name: string; bytes: Buffer }> => on.download(testId('save-pt'));

function load(on: EnginePage, name: string, contents: string | Uint8Array, mimeType = 'application/json'): Promise<void> {
  return on.setInputFile(testId('load'), { name, mimeType, bytes: typeof contents === 'string' ? Buffer.from(contents) : contents });
}

/** The recipe of these tests, chosen in the controls: AdamW, warm-up then cosine, clipping at 0.056. */
async function chooseRecipe(on: EnginePage, { warmup, length }: { warmup: number; length: number }): Promise<void> {
  await setValue(on, 'optimizer', 'AdamW');
  await setValue(on, 'schedule', 'cosine');
  await setValue(on, 'length', String(length));
  await setValue(on, 'warmup', String(warmup));
  await setValue(on, 'clip', '-1.25'); // the clip slider is log10(max norm): 10^-1.25 ≈ 0.056
  await expect.poll(() => textAt(on, '#clip-value')).toBe('≤ 0.056');
}

/** What the lr chart draws, summed up by the page: point count, first, highest and last lr. */
async function lrChart(on: EnginePage): Promise<{ points: number; first: number; peak: number; last: number }> {
  const data = await on.evaluate((selector) => ({ ...(document.querySelector(selector) as HTMLElement).dataset }), testId('lr-chart'));
  return { points: Number(data.points), first: Number(data.first), peak: Number(data.peak), last: Number(data.last) };
}

describe.each(ENGINES)('in %s', (engineName) => {
  let engine: Engine;
  let page: EnginePage; // the shared page: Adam, default options, paused at PAUSE_AT

  /** A page of its own (so that no test depends on another's). */
  async function openPage(query: string): Promise<EnginePage> {
    const own = await engine.newPage(VIEWPORT);
    await own.goto(`${server.url}${query}`);
    return own;
  }

  beforeAll(async () => {
    engine = await launch(engineName);
    page = await openPage(`?pauseAt=${PAUSE_AT}`);
  });

  afterAll(() => engine?.close());

  test('trains: the loss falls and the spiral is learned; screenshot taken', async () => {
    await renderedStep(page, PAUSE_AT);
    expect(await text(page, 'step')).toBe(PAUSE_AT.toLocaleString('en-US'));
    const first = Number((await text(page, 'first-loss')).replace('from ', ''));
    const loss = await lossValue(page);
    const accuracy = parseFloat(await text(page, 'accuracy'));
    // Chance level for 3 classes is ln 3 ≈ 1.10; the Node demo reaches ~0.015 by step 2000.
    expect(first).toBeGreaterThan(0.9);
    expect(loss).toBeLessThan(first / 10);
    expect(accuracy).toBeGreaterThanOrEqual(95);
    expect(Number((await text(page, 'rate')).replace(/,/g, ''))).toBeGreaterThan(0);
    expect(await text(page, 'adam-time')).toMatch(/^\d+(\.\d)? µs$/); // serve.mjs makes the page cross-origin isolated
    await page.screenshot(join(scratch, `demo-adam-${engineName.toLowerCase()}.png`));
    expect(await page.errors()).toEqual([]);
    expect(await offSite(page)).toEqual([]); // no CDN: everything came from the local server
  });

  test('Save state → JSON file → Load state restores the optimizer and the weights exactly', async () => {
    await renderedStep(page, PAUSE_AT);
    const lossAtSave = await lossValue(page);
    const saved = await save(page);
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
    await page.click(testId('reset'));
    await renderedStep(page, 0);
    expect(await lossValue(page)).toBeGreaterThan(0.9);
    await load(page, saved.name, saved.json);
    await renderedStep(page, PAUSE_AT);
    expect(await text(page, 'status')).toMatch(/^Loaded lucid-optim-adam-step2000\.json: step 2000/);
    // Bit-identical weights give the very same loss, and saving again gives the very same file.
    expect(await lossValue(page)).toBe(lossAtSave);
    expect((await save(page)).json).toBe(saved.json);
    expect(await page.errors()).toEqual([]);
  });

  test('Save .pt → a torch.save file (weights as tensors, the optimizer in torch\'s shape) → Load state restores it exactly', async () => {
    // A page of its own: its downloads and loads leave the shared page as the other tests expect it.
    const page = await openPage(`?pauseAt=${PAUSE_AT}`);
    try {
      await renderedStep(page, PAUSE_AT);
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

      await page.click(testId('reset'));
      await renderedStep(page, 0);
      await load(page, saved.name, saved.bytes, 'application/octet-stream');
      await renderedStep(page, PAUSE_AT);
      expect(await text(page, 'status')).toMatch(/^Loaded lucid-optim-adam-step2000\.pt: step 2000/);
      expect(await lossValue(page)).toBe(lossAtSave);
      expect((await savePt(page)).bytes.equals(saved.bytes)).toBe(true);
      expect((await save(page)).json).toBe(json);

      // A bare optimizer.state_dict() in a .pt, as `torch.save(optimizer.state_dict(), 'opt.pt')` writes
      // one: loads into the optimizer, the weights stay as they are. Here it is the file's own optimizer
      // part with a changed lr and no foreach (torch's __setstate__ fills it in).
      groups[0].set('lr', 0.005);
      groups[0].delete('foreach');
      await load(page, 'opt.pt', saveTorch(optimizer), 'application/octet-stream');
      await expect.poll(() => text(page, 'status')).toMatch(/^Loaded opt\.pt: step 2000/);
      expect(JSON.parse((await save(page)).json).optimizer.paramGroups[0].lr).toBe(0.005);
      expect(await lossValue(page)).toBe(lossAtSave);

      // A .pt that is not one is refused, changing nothing.
      const before = (await save(page)).json;
      const bad = Buffer.from(saved.bytes);
      bad.write('GLOBAL', bad.indexOf('archive/data.pkl') + 100); // garbage inside the pickle
      await load(page, 'bad.pt', bad, 'application/octet-stream');
      await expect.poll(() => text(page, 'status')).toMatch(/^Could not load bad\.pt: /);
      expect((await save(page)).json).toBe(before);
      expect(await page.errors()).toEqual([]);
    } finally {
      await page.close();
    }
  });

  test('a bad state file is refused with a visible error, changing nothing', async () => {
    await renderedStep(page, PAUSE_AT);
    const before = (await save(page)).json;
    const bad = { state: {}, paramGroups: [] }; // no groups: cannot match the optimizer's one group
    await load(page, 'bad.json', JSON.stringify(bad));
    await expect.poll(() => text(page, 'status')).toMatch(/^Could not load bad\.json: Adam\.loadStateDict: /);
    expect(await attribute(page, 'status', 'class')).toBe('error');
    expect((await save(page)).json).toBe(before);
    await load(page, 'not-json.json', '{oops');
    await expect.poll(() => text(page, 'status')).toMatch(/^Could not load not-json\.json: /);
    expect((await save(page)).json).toBe(before);
    // A checkpoint whose recipe cannot be, or whose scheduler state is missing, is refused as a whole.
    const checkpoint = JSON.parse(before);
    const badRecipe = { ...checkpoint, recipe: { ...checkpoint.recipe, schedule: 'step' } };
    await load(page, 'bad-recipe.json', JSON.stringify(badRecipe));
    await expect.poll(() => text(page, 'status')).toBe('Could not load bad-recipe.json: recipe: schedule must be one of none, cosine, onecycle, linear, got "step"');
    const noScheduler = { ...checkpoint, recipe: { ...checkpoint.recipe, optimizer: 'AdamW', schedule: 'cosine' }, scheduler: null };
    await load(page, 'no-scheduler.json', JSON.stringify(noScheduler));
    await expect.poll(() => text(page, 'status')).toBe("Could not load no-scheduler.json: scheduler must be the state dict of the recipe's scheduler, got null");
    expect((await save(page)).json).toBe(before);
    expect(await textAt(page, '#step-time-label')).toBe('Adam step');
    expect(await page.errors()).toEqual([]);
  });

  test('AdamW + warm-up/cosine + clipping from the controls: the lr chart warms up and anneals, the loss falls; screenshot taken', async () => {
    const own = await openPage('?pauseAt=0'); // starts paused at step 0
    try {
      await renderedStep(own, 0);
      expect(await text(own, 'lr')).toBe('1.00e-2');
      await chooseRecipe(own, { warmup: 200, length: 2000 });
      // Switching to AdamW set torch's AdamW default weight decay; the schedule starts at step 0, where
      // the warm-up's LinearLR gives lr × startFactor = 0.01 × 0.01.
      expect(await textAt(own, '#wd-value')).toBe('0.01');
      expect(await text(own, 'status')).toBe('Schedule: warm-up 200 + cosine over 2000 steps, from step 0. Paused.');
      await expect.poll(async () => Number(await attribute(own, 'lr', 'data-value'))).toBeCloseTo(1e-4, 12);
      expect(await textAt(own, '#step-time-label')).toBe('AdamW step');

      // A warm-up as long as the schedule is refused, and the schedule stays as it was.
      await setValue(own, 'length', '150');
      await expect.poll(() => text(own, 'status')).toBe("Schedule not changed: warm-up must be less than the schedule's length (150), got 200.");
      expect(await inputValue(own, 'length')).toBe('2000');
      // One-cycle has a warm-up of its own: the warm-up field is off while it is chosen.
      await setValue(own, 'schedule', 'onecycle');
      expect(await isDisabled(own, testId('warmup'))).toBe(true);
      expect(await isDisabled(own, '#beta1')).toBe(true); // OneCycleLR cycles β₁
      await setValue(own, 'schedule', 'cosine');
      expect(await isDisabled(own, testId('warmup'))).toBe(false);
      expect(await text(own, 'status')).toBe('Schedule: warm-up 200 + cosine over 2000 steps, from step 0. Paused.');

      // Train: the schedule pauses training when it ends.
      await own.click(testId('run'));
      await renderedStep(own, 2000);
      expect(await text(own, 'status')).toMatch(/^Schedule done at step 2000: lr is now 0\. /);
      expect(await text(own, 'schedule-progress')).toBe('done');
      // Warm-up from 0.01 × 0.01, the cosine's peak 0.01 at step 200, then down to its etaMin, 0.
      const lr = await lrChart(own);
      expect(lr.points).toBeGreaterThan(1000);
      expect(lr.first).toBeCloseTo(1e-4, 12);
      expect(lr.peak).toBe(0.01);
      expect(lr.last).toBe(0);
      expect(await text(own, 'lr')).toBe('0');
      // The loss falls as with Adam (chance level is ln 3 ≈ 1.10; the Node demo reaches ~0.02).
      const first = Number((await text(own, 'first-loss')).replace('from ', ''));
      expect(first).toBeGreaterThan(0.9);
      expect(await lossValue(own)).toBeLessThan(first / 10);
      expect(parseFloat(await text(own, 'accuracy'))).toBeGreaterThanOrEqual(95);
      // The gradient norm is shown; early steps (norm ~0.3) were clipped to 0.056.
      expect(await text(own, 'grad-norm')).toMatch(/^\d\.\d+(e-\d+)?$/);
      expect(await text(own, 'clipped')).toMatch(/^clipped \d+%$/);
      expect(Number(await attribute(own, 'clipped', 'data-total'))).toBeGreaterThan(0);
      await own.screenshot(recipeScreenshot(engineName === 'Chromium' ? 'demo.png' : `demo-${engineName.toLowerCase()}.png`));
      expect(await own.errors()).toEqual([]);
    } finally {
      await own.close();
    }
  });

  test('with a schedule, Save state saves the scheduler too, and Load state resumes the run exactly', async () => {
    const own = await openPage('?pauseAt=300');
    try {
      await renderedStep(own, 300); // Adam's first 300 steps; then the recipe, from the start
      await chooseRecipe(own, { warmup: 100, length: 600 });
      await own.click(testId('reset'));
      await renderedStep(own, 0);
      await own.click(testId('run'));
      await renderedStep(own, 300); // paused by ?pauseAt, half-way through the schedule
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
      await own.click(testId('run'));
      await renderedStep(own, 600);
      const lossAt600 = await lossValue(own);
      const at600 = await save(own);
      // Another optimizer and schedule meanwhile: loading must rebuild the file's.
      await setValue(own, 'optimizer', 'Adam');
      await setValue(own, 'schedule', 'onecycle');

      await load(own, at300.name, at300.json);
      await renderedStep(own, 300);
      expect(await text(own, 'status')).toMatch(/^Loaded lucid-optim-adamw-step300\.json: step 300, loss [\d.]+, AdamW \(SequentialLR, 300 \/ 600\)\. Paused\.$/);
      expect(await inputValue(own, 'optimizer')).toBe('AdamW');
      expect(await inputValue(own, 'schedule')).toBe('cosine');
      expect(await inputValue(own, 'warmup')).toBe('100');
      expect(await inputValue(own, 'length')).toBe('600');
      expect((await save(own)).json).toBe(at300.json);
      await own.click(testId('run'));
      await renderedStep(own, 600);
      // Bit-identical weights, moments and learning rates: the same loss, the same file.
      expect(await lossValue(own)).toBe(lossAt600);
      expect((await save(own)).json).toBe(at600.json);
      expect(await own.errors()).toEqual([]);
    } finally {
      await own.close();
    }
  });

  test("the optimizer menu: RMSprop (its momentum on β₁'s slider, no β₂ or amsgrad) trains, and its checkpoint loads back", async () => {
    const own = await openPage('?pauseAt=0'); // starts paused at step 0
    try {
      await renderedStep(own, 0);
      await setValue(own, 'optimizer', 'RMSprop');
      expect(await textAt(own, '#step-time-label')).toBe('RMSprop step');
      // examples/optimizers.mjs starts RMSprop at lr 0.002, with momentum 0.9 on the β₁ slider. The
      // stats show it at the next frame the page renders.
      await expect.poll(() => text(own, 'lr')).toBe('2.00e-3');
      expect(await textAt(own, '#beta1-name')).toBe('momentum');
      expect(await textAt(own, '#beta1-value')).toBe('0.9');
      expect([await isDisabled(own, '#beta2'), await isDisabled(own, '#amsgrad')]).toEqual([true, true]);
      expect(await isDisabled(own, '#wd')).toBe(false);
      const first = await lossValue(own);
      await own.click(testId('run'));
      await expect.poll(() => lossValue(own), { timeout: 90_000 }).toBeLessThan(first / 2);
      await own.click(testId('run')); // pause
      const saved = await save(own);
      const checkpoint = JSON.parse(saved.json);
      expect(saved.name).toMatch(/^lucid-optim-rmsprop-step\d+\.json$/);
      expect(checkpoint.recipe.optimizer).toBe('RMSprop');
      expect(Object.keys(checkpoint.optimizer.state[0])).toEqual(['step', 'squareAvg', 'momentumBuffer']);
      expect(checkpoint.optimizer.paramGroups[0]).toMatchObject({ lr: 0.002, momentum: 0.9, alpha: 0.99, centered: false });
      // Back to Adam (no state carried over from RMSprop), then the RMSprop checkpoint loads back exactly.
      await setValue(own, 'optimizer', 'Adam');
      expect(await textAt(own, '#beta1-name')).toBe('β₁');
      await load(own, saved.name, saved.json);
      await expect.poll(() => text(own, 'status')).toMatch(new RegExp(`^Loaded ${saved.name.replace(/\./g, '\\.')}: step \\d+, loss [\\d.]+, RMSprop\\.`));
      expect(await inputValue(own, 'optimizer')).toBe('RMSprop');
      expect((await save(own)).json).toBe(saved.json);
      expect(await own.errors()).toEqual([]);
    } finally {
      await own.close();
    }
  });
});

// init({ threads: 2 }) from the page's main thread, which may not Atomics.wait: Chromium (the
// threads' own bits are test/e2e/browser/threads.test.ts's).
test('in Chromium, ?threads=2: the cross-origin isolated page starts a worker and trains as well', async () => {
  const engine = await launch('Chromium');
  try {
    const page = await engine.newPage(VIEWPORT);
    await page.goto(`${server.url}?pauseAt=300&threads=2`);
    await renderedStep(page, 300);
    expect(await page.evaluate(() => [crossOriginIsolated, document.body.dataset.threads])).toEqual([true, '2']);
    const first = Number((await text(page, 'first-loss')).replace('from ', ''));
    expect(await lossValue(page)).toBeLessThan(first / 2);
    expect(await page.errors()).toEqual([]);
  } finally {
    await engine.close();
  }
});
