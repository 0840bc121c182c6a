// init({ threads: 2 }) in real Chromium, from a page's main thread (which may not Atomics.wait):
// served cross-origin isolated (COOP/COEP), every optimizer class stepped across a Web Worker gives
// the bits Node gives on one thread (test/e2e/browser/fixtures/threads-run.mjs); served without those
// headers, init refuses with an Error that says what the page needs.

import { fileURLToPath } from 'node:url';
import * as lucid from 'lucid-optim';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { serveStatic } from '../../../examples/web/static-server.mjs';
import { launch } from './engines.mjs';
import { runThreads } from './fixtures/threads-run.mjs';

type Run = ReturnType<typeof runThreads>;
type Report = { isolated: boolean; run?: Run; refused?: { name: string; message: string } };

const root = fileURLToPath(new URL('../../..', import.meta.url));
const fixtures = fileURLToPath(new URL('./fixtures', import.meta.url));
const mounts = { '/lucid-optim/': `${root}dist`, '/': fixtures };
const ISOLATED = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' };
let node: Run;
let isolated: Awaited<ReturnType<typeof serveStatic>>;
let plain: Awaited<ReturnType<typeof serveStatic>>;

beforeAll(async () => {
  await lucid.init(); // one thread: the bits to match
  node = runThreads(lucid);
  isolated = await serveStatic({ mounts, headers: ISOLATED });
  plain = await serveStatic({ mounts });
});
afterAll(async () => {
  await isolated?.close();
  await plain?.close();
});

/** Opens threads.html from `server` in Chromium and returns its report and uncaught errors. */
async function open(server: Awaited<ReturnType<typeof serveStatic>>): Promise<{ report: Report; errors: string[] }> {
  const engine = await launch('Chromium');
  try {
    const page = await engine.newPage();
    await page.goto(`${server.url}threads.html`);
    await page.waitFor(() => (window as { report?: unknown }).report !== undefined);
    const report = await page.evaluate(() => (window as unknown as { report: Promise<Report> }).report);
    return { report, errors: await page.errors() };
  } finally {
    await engine.close();
  }
}

describe('in Chromium, cross-origin isolated', () => {
  let report: Report;
  let errors: string[];
  beforeAll(async () => ({ report, errors } = await open(isolated)));

  test('2 threads from the main thread, without an uncaught error', () => {
    expect(errors).toEqual([]);
    expect(report.refused).toBeUndefined();
    expect(report.isolated).toBe(true);
    expect(report.run!.threads).toBe(2);
  });

  test("every optimizer class, clipGradNorm, the guard, a refused step and grown memory: Node's bits on one thread", () => {
    const { threads: _page, split, grown, ...rest } = report.run!;
    const { threads: _node, split: _none, grown: nodeGrown, ...expected } = node;
    expect(rest).toEqual(expected);
    expect(grown).toEqual({ ...nodeGrown, split: true });
    // The element-wise classes' steps were split (Muon, Adafactor, SparseAdam's never are).
    expect(Object.entries(split).filter(([, s]) => s).length).toBe(Object.keys(split).length - 3);
  });
});

test('in Chromium, not cross-origin isolated: init({ threads: 2 }) is an Error saying what the page needs', async () => {
  const { report, errors } = await open(plain);
  expect(errors).toEqual([]);
  expect(report.isolated).toBe(false);
  expect(report.refused).toEqual({
    name: 'Error',
    message:
      'init: threads: 2 needs shared WebAssembly memory, and this page is not cross-origin isolated: serve it with the headers ' +
      'Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp (or credentialless), ' +
      "or leave threads out (or use 'auto', one thread here)",
  });
});
