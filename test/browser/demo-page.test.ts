// The demo page (examples/web/, served by examples/web/serve.mjs) in a real Chromium: it trains,
// the loss falls, a screenshot is taken (into a temporary folder of this run; into docs/demo.png
// only with UPDATE_SCREENSHOT=1, so a test run on a busy machine does not rewrite the committed
// picture), and its Save/Load buttons round-trip the optimizer state (and weights) through a JSON
// file exactly.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startDemoServer } from '../../examples/web/serve.mjs';
import { launchChromium, uncaughtErrors } from './chromium';

const PAUSE_AT = 2000;
const scratch = mkdtempSync(join(tmpdir(), 'lucid-optim-demo-'));
const screenshot = process.env.UPDATE_SCREENSHOT ? fileURLToPath(new URL('../../docs/demo.png', import.meta.url)) : join(scratch, 'demo.png');

let browser: Browser;
let server: Awaited<ReturnType<typeof startDemoServer>>;
let page: Page;
let errors: string[];
const offSite: string[] = [];

beforeAll(async () => {
  server = await startDemoServer({ port: 0 });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 740 } });
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

const text = (testId: string) => page.getByTestId(testId).textContent() as Promise<string>;
const lossValue = async () => Number(await page.getByTestId('loss').getAttribute('data-value'));
const renderedStep = (step: number) => page.waitForSelector(`body[data-rendered-step="${step}"]`);

async function save(): Promise<{ name: string; json: string }> {
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('save').click()]);
  return { name: download.suggestedFilename(), json: readFileSync((await download.path())!, 'utf8') };
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
    { lr: 0.01, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false, params: [0, 1, 2, 3] },
  ]);
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
  expect(errors).toEqual([]);
});
