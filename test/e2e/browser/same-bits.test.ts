// The same bits in every engine: one seeded run of every optimizer class, every scheduler,
// clipGradNorm and AveragedModel (test/e2e/browser/fixtures/same-bits.mjs) gives the same hash of
// every parameter, state buffer, learning rate, norm and averaged weight in Node and in Chromium,
// Firefox and WebKit (test/e2e/browser/engines.mjs). WebAssembly's float arithmetic is deterministic but for NaN
// payloads, and the JavaScript around it uses only operations IEEE 754 rounds exactly; so the
// expected values here are not numbers from anywhere, they are Node's own run, to the bit.
// The run enumerates the package's exports: a new optimizer joins without an edit, a new scheduler
// makes the run throw until it has a line in same-bits.mjs's table.

import { fileURLToPath } from 'node:url';
import * as lucid from 'lucid-optim';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { serveStatic } from '../../../examples/web/static-server.mjs';
import { optimizerClasses } from '../../helpers';
import { ENGINES, launch } from './engines.mjs';
import { optimizerNames, schedulerNames } from './fixtures/exports.mjs';
import { runSameBits } from './fixtures/same-bits.mjs';

type Report = ReturnType<typeof runSameBits>;

const root = fileURLToPath(new URL('../../..', import.meta.url));
const fixtures = fileURLToPath(new URL('./fixtures', import.meta.url));
let node: Report;
let server: Awaited<ReturnType<typeof serveStatic>>;

beforeAll(async () => {
  await lucid.init();
  node = runSameBits(lucid);
  server = await serveStatic({ mounts: { '/lucid-optim/': `${root}dist`, '/': fixtures } });
});
afterAll(() => server?.close());

test('the run covers every optimizer class and every scheduler the package exports, and both averages', () => {
  expect(Object.keys(node.averaging)).toEqual(['swa', 'ema 0.97', 'ema 0.2']);
  expect(Object.keys(node.optimizers).sort()).toEqual(optimizerClasses().map(([name]) => name).sort());
  expect(optimizerNames(lucid).length).toBeGreaterThanOrEqual(11);
  expect(Object.keys(node.schedulers).sort()).toEqual(schedulerNames(lucid).sort());
  expect(schedulerNames(lucid)).toHaveLength(16);
});

test('the run is a real one: every optimizer moved the 62 elements that had gradients, and no other', () => {
  for (const [name, moved] of Object.entries(node.moved)) expect(moved, name).toBe(37 + 15 + 10);
  // Distinct runs give distinct hashes (a hash of nothing would not).
  const hashes = [...Object.values(node.optimizers), ...Object.values(node.schedulers), node.clipGradNorm, ...Object.values(node.averaging)];
  expect(new Set(hashes).size).toBe(hashes.length);
});

describe.each(ENGINES)('in %s', (engineName) => {
  let report: Report;
  let errors: string[];

  beforeAll(async () => {
    const engine = await launch(engineName);
    try {
      const page = await engine.newPage();
      await page.goto(`${server.url}same-bits.html`);
      await page.waitFor(() => (window as { report?: unknown }).report !== undefined);
      report = await page.evaluate(() => (window as unknown as { report: Promise<Report> }).report);
      errors = await page.errors();
      console.log(`same bits: ${engine.version} and Node ${process.versions.node}`);
    } finally {
      await engine.close();
    }
  });

  test('ran without an uncaught error', () => expect(errors).toEqual([]));

  test('every optimizer class: the same parameter and state bits as Node', () => {
    expect(report.optimizers).toEqual(node.optimizers);
  });

  test('every scheduler: the same learning rates, parameters and state as Node', () => {
    expect(report.schedulers).toEqual(node.schedulers);
  });

  test('clipGradNorm: the same norms as Node', () => {
    expect(report.clipGradNorm).toBe(node.clipGradNorm);
    expect(report.moved).toEqual(node.moved);
  });

  test('AveragedModel (SWA, and EMA with both branches of lerp): the same averaged weights as Node', () => {
    expect(report.averaging).toEqual(node.averaging);
  });
});
